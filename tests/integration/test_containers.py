"""Containers against a real engine: podman's Docker-compatible API, the collector, the checks
CNT001-CNT004, the module fix502.gateway.container_restart_policy and fix-502.yml end to end.

Every container is created by this module's engine fixture (engine_lab.py), labelled with its run's
label, and removed at the end.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import module_runner
import pytest
from ansible_collections.fix502.gateway.plugins.module_utils._docker_api import containers
from ansible_collections.fix502.gateway.plugins.module_utils._sockets import listeners
from ansible_collections.fix502.gateway.plugins.modules import container_restart_policy
from conftest import run_ansible, run_cli, site_dir
from engine_lab import LABEL, EngineLab, engine, free_port, wait_port

from fix502 import catalogue
from fix502.demo import find_nginx, http_status, terminate
from fix502.engine import judge_host

__all__ = ["engine"]

MODULE = Path(container_restart_policy.__file__)


class ProxySite:
    """The system nginx on a free loopback port proxying to 127.0.0.1:target_port."""

    def __init__(self, root: Path, target_port: int) -> None:
        self.root = root
        self.nginx = find_nginx()
        self.site_port = free_port()
        self.target_port = target_port
        self.conf = root / "nginx.conf"
        self.url = f"http://127.0.0.1:{self.site_port}/marker"

    def start(self) -> None:
        for sub in ("logs", "temp"):
            (self.root / sub).mkdir()
        template = resources.files("fix502.demo_site").joinpath("nginx.conf.tmpl").read_text(encoding="utf-8")
        self.conf.write_text(
            template.format(tmp=self.root, site_port=self.site_port, backend_port=self.target_port),
            encoding="utf-8",
        )
        subprocess.run([self.nginx, "-c", str(self.conf), "-p", f"{self.root}/"], check=True)

    def stop(self) -> None:
        pidfile = self.root / "nginx.pid"
        if pidfile.exists():
            terminate(int(pidfile.read_text(encoding="ascii").strip() or 0))

    def inventory(self, engine_socket: Path) -> str:
        path = self.root / "inventory.yml"
        path.write_text(
            "\n".join(
                [
                    "all:",
                    "  hosts:",
                    "    container-site:",
                    "      ansible_connection: local",
                    f"      ansible_python_interpreter: {sys.executable}",
                    f"      fix502_nginx_binary: {self.nginx}",
                    f"      fix502_nginx_config: {self.conf}",
                    f"      fix502_nginx_prefix: {self.root}/",
                    f"      fix502_container_sockets: [{engine_socket}]",
                    "      fix502_checks: [container, upstream]",
                    f"      nginx_proxy_backup_dir: {self.root}/backups",
                    "",
                ]
            ),
            encoding="utf-8",
        )
        return str(path)


@pytest.fixture
def proxy_site(tmp_path: Path) -> Iterator[ProxySite]:
    site = ProxySite(site_dir(tmp_path), free_port())
    site.start()
    try:
        yield site
    finally:
        site.stop()


def run_module(tmp_path: Path, args: dict[str, Any], check_mode: bool = False) -> dict[str, Any]:
    return module_runner.run_module(MODULE, tmp_path, args, check_mode=check_mode, diff=True)


def marker(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/marker", timeout=10) as response:
        return str(response.read().decode())


def collected_for(lab: EngineLab, dump: str) -> dict[str, Any]:
    """What the collector returns for the checks to read: real listeners, real containers, an nginx dump."""
    found, _problems = containers([str(lab.socket)], 30)
    sockets, _problems = listeners()
    return {
        "schema": 1,
        "hostname": socket.gethostname(),
        "addresses": ["127.0.0.1"],
        "nginx": {"dump": dump},
        "listeners": sockets,
        "containers": found,
        "backend_services": [],
        "units": {},
    }


def proxy_dump(target: str) -> str:
    return (
        "# configuration file /etc/nginx/nginx.conf:\n"
        "events {}\nhttp {\n    server {\n        listen 80;\n"
        f"        location / {{\n            proxy_pass http://{target};\n        }}\n    }}\n}}\n"
    )


def findings(collected: dict[str, Any], lang: str = "en") -> list[dict[str, Any]]:
    judged = judge_host("web", collected, catalogue.select(["container"]), lang=lang)
    return [finding.to_dict() for finding in judged.report.findings]


def of_container(found: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [f for f in found if f["evidence"]["values"]["container"] == name]


def test_no_socket_is_no_engine_and_no_problem(tmp_path: Path) -> None:
    found, problems = containers([str(tmp_path / "docker.sock")], 5)
    assert found == {"engines": [], "items": []}
    assert problems == []


def test_a_socket_that_does_not_answer_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "silent.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(4)
    held: list[socket.socket] = []

    def accept() -> None:
        conn, _ = server.accept()
        held.append(conn)  # read nothing, answer nothing

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        found, problems = containers([str(path)], 1)
    finally:
        server.close()
        for conn in held:
            conn.close()
    assert found["engines"] == []
    assert len(problems) == 1
    assert problems[0]["source"] == str(path)
    assert "no answer within 1 s" in problems[0]["message"]


def test_the_collector_describes_a_container(engine: EngineLab) -> None:
    host_port = free_port()
    created = engine.create("described", inside_port=8000, host_port=host_port)

    found, problems = containers([str(engine.socket)], 30)

    assert problems == []
    [described] = found["engines"]
    assert described == {
        "socket": str(engine.socket),
        "product": "podman",
        "version": engine.api.version()["Version"],
        "api_version": engine.api.version()["ApiVersion"],
    }
    [item] = [c for c in found["items"] if c["id"] == created["Id"]]
    assert item["name"] == created["Name"].lstrip("/")
    assert item["state"] == "running" and item["running"] is True
    assert item["restart_policy"] == {"name": "no", "maximum_retry_count": 0}
    assert item["port_bindings"] == [
        {"container_port": 8000, "protocol": "tcp", "host_ip": "127.0.0.1", "host_port": host_port}
    ]
    assert item["ports"] == item["port_bindings"]
    assert {"address": "0.0.0.0", "port": 8000} in item["listening"]
    assert item["labels"][LABEL] == engine.run_id
    assert created["NetworkSettings"]["IPAddress"] in item["addresses"]

    crashed = engine.crash(created["Id"])
    found, _ = containers([str(engine.socket)], 30)
    [item] = [c for c in found["items"] if c["id"] == created["Id"]]
    assert item["state"] == "exited" and item["running"] is False
    assert item["exit_code"] == crashed["State"]["ExitCode"] == 137
    assert item["oom_killed"] is False
    assert item["ports"] == [] and item["listening"] is None
    assert item["port_bindings"][0]["host_port"] == host_port


def test_checks_name_a_stopped_container_without_policy(engine: EngineLab) -> None:
    host_port = free_port()
    created = engine.create("stopped", inside_port=8000, host_port=host_port)
    name = created["Name"].lstrip("/")
    engine.crash(created["Id"])

    found = of_container(findings(collected_for(engine, proxy_dump(f"127.0.0.1:{host_port}"))), name)

    by_id = {f["id"]: f for f in found}
    assert set(by_id) == {"CNT001", "CNT003"}
    stopped = by_id["CNT001"]
    assert stopped["severity"] == "critical" and stopped["autofix"] is True
    assert stopped["fixed_by"] == "fix502.gateway.restart_policy"
    assert f"is exited with exit code 137: nginx proxies to 127.0.0.1:{host_port}" in stopped["cause"]
    assert f"podman start {name}" in stopped["fix"]
    values = stopped["evidence"]["values"]
    assert values["engine"] == str(engine.socket)
    assert values["image"] == created["Config"]["Image"]
    assert values["restart_policy"] == "no"
    assert values["ports"] == f"127.0.0.1:{host_port}->8000/tcp"
    assert values["linked_by"] == "published"
    assert stopped["evidence"]["port"] == host_port
    assert "restart policy no" in by_id["CNT003"]["cause"]

    zh = {
        f["id"]: f
        for f in of_container(
            findings(collected_for(engine, proxy_dump(f"127.0.0.1:{host_port}")), "zh"), name
        )
    }
    assert "退出码 137" in zh["CNT001"]["cause"]


def test_a_container_nginx_does_not_proxy_to_is_not_judged(engine: EngineLab) -> None:
    created = engine.create("elsewhere", inside_port=8000, host_port=free_port())
    engine.crash(created["Id"])
    unrelated = proxy_dump(f"127.0.0.1:{free_port()}")

    assert of_container(findings(collected_for(engine, unrelated)), created["Name"].lstrip("/")) == []


def test_port_published_to_a_port_nothing_listens_on_inside(engine: EngineLab) -> None:
    host_port = free_port()
    # Port 8000 is published, but the server listens on 8001 inside.
    created = engine.create("inside", inside_port=8000, serve_port=8001, host_port=host_port, policy="always")
    name = created["Name"].lstrip("/")

    [finding] = of_container(findings(collected_for(engine, proxy_dump(f"127.0.0.1:{host_port}"))), name)

    assert finding["id"] == "CNT004" and finding["autofix"] is False
    assert (
        f"publishes port {host_port} on its port 8000, where nothing listens inside it (it listens on 8001)"
        in finding["cause"]
    )
    assert finding["evidence"]["file"] == "/etc/nginx/nginx.conf"


def test_server_listening_on_loopback_inside_the_container(engine: EngineLab) -> None:
    host_port = free_port()
    created = engine.create(
        "loopback", inside_port=8000, host_port=host_port, bind="127.0.0.1", policy="always"
    )
    name = created["Name"].lstrip("/")

    [finding] = of_container(findings(collected_for(engine, proxy_dump(f"127.0.0.1:{host_port}"))), name)

    assert finding["id"] == "CNT004"
    assert "listens on only on 127.0.0.1 inside" in finding["cause"]


def test_container_port_published_on_another_host_port(engine: EngineLab) -> None:
    wanted = free_port()  # nginx proxies here; the container serves on this port inside
    published = free_port()
    created = engine.create("otherhost", inside_port=wanted, host_port=published, policy="always")
    name = created["Name"].lstrip("/")

    [finding] = of_container(findings(collected_for(engine, proxy_dump(f"127.0.0.1:{wanted}"))), name)

    assert finding["id"] == "CNT004"
    assert (
        f"publishes its port {wanted} on 127.0.0.1:{published} instead of port {wanted}" in finding["cause"]
    )
    assert finding["evidence"]["values"]["linked_by"] == "port"

    # A backend declared there is the one nginx means: the container is not blamed.
    declared = collected_for(engine, proxy_dump(f"127.0.0.1:{wanted}"))
    declared["backend_services"] = [{"name": "api", "listen": f"127.0.0.1:{wanted}", "manager": "command"}]
    assert of_container(findings(declared), name) == []


def test_module_check_mode_then_recreate_then_nothing(engine: EngineLab, tmp_path: Path) -> None:
    host_port = free_port()
    created = engine.create("module", inside_port=8000, host_port=host_port)
    name = created["Name"].lstrip("/")
    data = marker(host_port)
    args = {
        "name": name,
        "socket": str(engine.socket),
        "restart_policy": "unless-stopped",
        "state": "started",
    }

    dry = run_module(tmp_path, args, check_mode=True)
    assert dry["changed"] is True, dry
    assert dry["diff"] == {
        "before": {"restart_policy": "no", "state": "running"},
        "after": {"restart_policy": "unless-stopped", "state": "running"},
    }
    assert engine.inspect(name)["Id"] == created["Id"]
    assert engine.inspect(name)["HostConfig"]["RestartPolicy"]["Name"] == "no"

    in_place = run_module(tmp_path, dict(args, recreate=False))
    if in_place.get("failed"):
        # podman before 5 has no update request: nothing was changed, and the message says what would.
        assert "cannot change the restart policy of an existing container; recreate=true" in in_place["msg"]
        assert engine.inspect(name)["Id"] == created["Id"]
        done = run_module(tmp_path, dict(args, recreate=True))
        assert done["changed"] is True and done["method"] == "recreate", done
        assert done["replaced"] == f"{name}-fix502-{created['Id'][:12]}"
        kept = engine.inspect(done["replaced"])
        assert kept["Id"] == created["Id"] and kept["State"]["Running"] is False
        assert engine.inspect(name)["Config"]["Labels"]["fix502.gateway.replaces"] == created["Id"]
    else:
        assert in_place["changed"] is True and in_place["method"] == "update", in_place

    now = engine.inspect(name)
    assert now["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    assert now["State"]["Running"] is True
    wait_port(host_port)
    assert marker(host_port) == data, "the recreated container lost the old one's volume"

    again = run_module(tmp_path, dict(args, recreate=True))
    assert again["changed"] is False and again["method"] is None, again
    assert run_module(tmp_path, dict(args, recreate=True), check_mode=True)["changed"] is False


def test_module_starts_an_exited_container_and_keeps_its_policy(engine: EngineLab, tmp_path: Path) -> None:
    host_port = free_port()
    created = engine.create("startonly", inside_port=8000, host_port=host_port)
    engine.crash(created["Id"])
    args = {"name": created["Id"], "socket": str(engine.socket), "state": "started"}

    assert run_module(tmp_path, args, check_mode=True)["changed"] is True
    assert engine.inspect(created["Id"])["State"]["Running"] is False
    started = run_module(tmp_path, args)

    assert started["changed"] is True and started["started"] is True and started["method"] is None
    assert started["container"]["restart_policy"]["name"] == "no"
    assert started["container"]["id"] == created["Id"]
    wait_port(host_port)
    assert run_module(tmp_path, args)["changed"] is False


def test_module_names_a_container_that_exits_at_once(engine: EngineLab, tmp_path: Path) -> None:
    broken = engine.create(
        "broken",
        inside_port=8000,
        host_port=free_port(),
        start=False,
        command=["sh", "-c", "echo 'cannot open /etc/app.conf' >&2; exit 3"],
    )
    name = broken["Name"].lstrip("/")

    result = run_module(tmp_path, {"name": name, "socket": str(engine.socket), "state": "started"})

    assert result["failed"] is True
    assert result["msg"] == f"{name} exited right after its start with code 3: cannot open /etc/app.conf"

    recreated = run_module(
        tmp_path,
        {
            "name": name,
            "socket": str(engine.socket),
            "state": "started",
            "restart_policy": "always",
            "recreate": True,
        },
    )
    if "recreating" in recreated["msg"]:  # podman before 5: the old container is put back as it was
        assert recreated["msg"].startswith(f"recreating {name} failed, the old container is back: ")
        assert engine.inspect(name)["Id"] == broken["Id"]
        assert [c["Names"] for c in engine.mine() if name in c["Names"][0]] == [[f"/{name}"]]
    else:  # an engine that changes the policy in place still cannot keep the container up
        assert recreated["failed"] is True and "exited right after its start with code 3" in recreated["msg"]


def test_module_refuses_what_it_must_not_do(engine: EngineLab, tmp_path: Path) -> None:
    missing = run_module(tmp_path, {"name": "fix502-no-such-container", "socket": str(engine.socket)})
    assert missing["failed"] and missing["msg"] == f"no container fix502-no-such-container on {engine.socket}"

    not_socket = run_module(tmp_path, {"name": "x", "socket": str(tmp_path)})
    assert not_socket["msg"] == f"{tmp_path} is not a container engine's socket"

    removed_on_exit = engine.create("rm", inside_port=8000, host_port=free_port(), auto_remove=True)
    refused = run_module(
        tmp_path,
        {
            "name": removed_on_exit["Id"],
            "socket": str(engine.socket),
            "restart_policy": "always",
            "recreate": True,
        },
    )
    assert refused["failed"] is True
    assert "started with --rm, which excludes a restart policy" in refused["msg"]
    assert engine.inspect(removed_on_exit["Id"])["HostConfig"]["RestartPolicy"]["Name"] in ("", "no")


def recap(output: str, host: str) -> dict[str, int]:
    for line in output.splitlines():
        if line.startswith(host) and "changed=" in line:
            return {k: int(v) for k, v in (part.split("=") for part in line.split()[2:] if "=" in part)}
    raise AssertionError(output[-3000:])


def test_audit_fix_verify_end_to_end(engine: EngineLab, proxy_site: ProxySite) -> None:
    created = engine.create("e2e", inside_port=8000, host_port=proxy_site.target_port)
    name = created["Name"].lstrip("/")
    assert http_status(proxy_site.url) == 200
    data = marker(proxy_site.target_port)
    engine.crash(created["Id"])
    assert http_status(proxy_site.url) == 502
    inventory = proxy_site.inventory(engine.socket)

    audit = run_cli("audit", "-i", inventory, "--format", "json")
    assert audit.returncode == 1, audit.stderr
    [host] = json.loads(audit.stdout)["hosts"]
    ids = [f["id"] for f in host["findings"]]
    assert ids[0] == "CNT001", host["findings"]
    assert {"CNT001", "CNT003", "UPS001"} <= set(ids)
    assert host["findings"][0]["evidence"]["values"]["container"] == name

    dry = run_cli("fix", "--check", "-i", inventory)
    assert dry.returncode == 1, dry.stdout[-3000:]
    assert recap(dry.stdout, "container-site")["changed"] >= 1
    assert engine.inspect(name)["Id"] == created["Id"]
    assert engine.inspect(name)["State"]["Running"] is False
    assert http_status(proxy_site.url) == 502

    fixed = run_ansible("ansible-playbook", "fix-502.yml", "-i", inventory)
    assert fixed.returncode == 0, fixed.stdout[-4000:]
    assert "every site answers" in fixed.stdout
    now = engine.inspect(name)
    assert now["State"]["Running"] is True
    assert now["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    assert http_status(proxy_site.url) == 200
    assert marker(proxy_site.target_port) == data

    again = run_ansible("ansible-playbook", "fix-502.yml", "-i", inventory)
    assert again.returncode == 0, again.stdout[-3000:]
    assert recap(again.stdout, "container-site")["changed"] == 0
    assert run_cli("fix", "--check", "-i", inventory).returncode == 0

    # The policy is real: killed again, the engine brings it back by itself.
    os.kill(now["State"]["Pid"], signal.SIGKILL)
    engine.wait_restarted(now["Id"])
    wait_port(proxy_site.target_port)
    assert http_status(proxy_site.url) == 200
