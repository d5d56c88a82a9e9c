"""A real container engine for the tests: podman's Docker-compatible API on a socket of its own.

The fixture ``engine`` starts ``podman system service --time=0 unix://TMP/podman.sock`` with the
fleet's containers.conf (runc, cgroupfs: what works on this machine), and at its end removes every
container labelled with this run's label (volumes too) and stops the service. The containers run the
fleet's image (``tests/fleet/up`` builds it), whose python3 serves HTTP. Containers of the fleets
(label ``fix502.fleet``) are never touched: only those labelled by this run are removed.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ansible_collections.fix502.gateway.plugins.module_utils._docker_api import Engine, EngineError

from fix502.demo import free_port, terminate

REPO = Path(__file__).resolve().parents[2]
IMAGE_BUILD = REPO / "tests" / "fleet" / "image" / "build"
CONTAINERS_CONF = REPO / "tests" / "fleet" / "containers.conf"
IMAGE = "localhost/fix502-fleet:bookworm"
LABEL = "fix502.test.containers"


def podman_env() -> dict[str, str]:
    return {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF)}


def wait_port(port: int, *, open_: bool = True, timeout: float = 20.0) -> None:
    """Until 127.0.0.1:port accepts connections (or, with open_=False, refuses them)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                conn.settimeout(0.5)
                conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
                answered = bool(conn.recv(16))
        except OSError:
            answered = False
        if answered is open_:
            return
        time.sleep(0.1)
    raise AssertionError(
        f"127.0.0.1:{port} still {'does not answer' if open_ else 'answers'} after {timeout} s"
    )


@dataclass
class EngineLab:
    socket: Path
    run_id: str
    api: Engine

    def create(
        self,
        what: str,
        *,
        inside_port: int,
        host_port: int | None,
        serve_port: int | None = None,
        bind: str = "0.0.0.0",
        policy: str = "no",
        auto_remove: bool = False,
        start: bool = True,
        command: list[str] | None = None,
    ) -> dict[str, Any]:
        """A container serving /data over HTTP on inside_port, published on 127.0.0.1:host_port.

        serve_port: where its server really listens, when that is not the port published.

        /data is an anonymous volume holding ``marker``, written once: the same text after a
        recreation proves the new container has the old one's data.
        """
        name = f"fix502-test-{self.run_id[:8]}-{what}"
        serve_port = inside_port if serve_port is None else serve_port
        script = (
            "[ -f /data/marker ] || date +%s%N > /data/marker; "
            f"exec python3 -m http.server {serve_port} --bind {bind} --directory /data"
        )
        host_config: dict[str, Any] = {"RestartPolicy": {"Name": policy}, "AutoRemove": auto_remove}
        if host_port is not None:
            host_config["PortBindings"] = {
                f"{inside_port}/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(host_port)}]
            }
        body = {
            "Image": IMAGE,
            "Cmd": command or ["sh", "-c", script],
            "Labels": {LABEL: self.run_id},
            "Volumes": {"/data": {}},
            "ExposedPorts": {f"{inside_port}/tcp": {}},
            "HostConfig": host_config,
        }
        created = self.api.post("/containers/create", query={"name": name}, body=body)[1]
        if start:
            self.api.post(f"/containers/{created['Id']}/start")
            self.wait_listening(created["Id"], serve_port)
        return self.inspect(created["Id"])

    def inspect(self, ref: str) -> dict[str, Any]:
        found = self.api.inspect(ref)
        assert isinstance(found, dict)
        return found

    def wait_listening(self, ref: str, inside_port: int, timeout: float = 20.0) -> None:
        """Until the container's server listens inside its network namespace."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid = self.inspect(ref)["State"]["Pid"]
            if pid:
                for name in ("tcp", "tcp6"):
                    try:
                        text = Path(f"/proc/{pid}/net/{name}").read_text(encoding="ascii")
                    except OSError:
                        continue
                    if f":{inside_port:04X} " in text and " 0A " in text:
                        return
            time.sleep(0.1)
        raise AssertionError(f"container {ref} does not listen on {inside_port} after {timeout} s")

    def wait_restarted(self, ref: str, timeout: float = 30.0) -> dict[str, Any]:
        """Until the engine has restarted the container by itself and it runs."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.inspect(ref)
            if state["RestartCount"] >= 1 and state["State"]["Running"]:
                return state
            time.sleep(0.1)
        raise AssertionError(f"the engine did not restart {ref} within {timeout} s")

    def crash(self, ref: str) -> dict[str, Any]:
        """SIGKILL its process from the host, as the kernel's OOM killer would: it exits with 137."""
        os.kill(self.inspect(ref)["State"]["Pid"], signal.SIGKILL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            state = self.inspect(ref)
            if not state["State"]["Running"]:
                return state
            time.sleep(0.1)
        raise AssertionError(f"container {ref} still runs after SIGKILL")

    def mine(self) -> list[dict[str, Any]]:
        """The containers this run created (recreated ones and the kept old ones included)."""
        listed = self.api.get(
            "/containers/json", query={"all": "1", "filters": f'{{"label":["{LABEL}={self.run_id}"]}}'}
        )
        return list(listed or [])


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineLab]:
    if os.geteuid() != 0:
        pytest.fail("the container tests run a rootful podman service, as CI does: run them as root")
    # The fleet's image build installs podman when it is missing and builds the image only when it is
    # missing or its recipe changed: seconds when both are there.
    build = subprocess.run(
        [str(IMAGE_BUILD)], env=podman_env(), capture_output=True, text=True, timeout=900, check=False
    )
    if build.returncode != 0:
        pytest.fail(f"tests/fleet/image/build failed: {build.stderr.strip()[-2000:]}")
    podman = shutil.which("podman")
    if podman is None:
        pytest.fail("podman is still not installed after tests/fleet/image/build")
    tmp = tmp_path_factory.mktemp("engine")
    sock = tmp / "podman.sock"
    log = (tmp / "service.log").open("wb")
    service = subprocess.Popen(
        [podman, "system", "service", "--time=0", f"unix://{sock}"],
        env=podman_env(),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    lab = EngineLab(socket=sock, run_id=uuid.uuid4().hex, api=Engine(str(sock), timeout=60))
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                lab.api.version()
                break
            except EngineError:
                if time.monotonic() > deadline or service.poll() is not None:
                    pytest.fail(f"podman system service did not answer: {(tmp / 'service.log').read_text()}")
                time.sleep(0.2)
        yield lab
    finally:
        try:
            for container in lab.mine():
                lab.api.request("DELETE", f"/containers/{container['Id']}", query={"force": "1", "v": "1"})
        finally:
            terminate(service.pid)
            log.close()


__all__ = ["IMAGE", "LABEL", "EngineLab", "engine", "free_port", "wait_port"]
