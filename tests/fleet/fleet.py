"""The fleet test bed for pytest: real Debian hosts with systemd as PID 1, sshd, python3 and nginx.

The hosts are podman containers that ``tests/fleet/up`` starts (see docs/development.md, "The fleet").
The session fixture ``fleet`` runs ``up 3`` once per test session and ``down`` at its end; set
FIX502_FLEET_KEEP=1 to leave the hosts up afterwards (the next session reuses them). When the bed
cannot be brought up the fixture fails with the reason: ``make test`` installs what it needs.

Tests in this folder get the fixture from conftest.py. Elsewhere, a conftest.py does::

    sys.path.insert(0, str(REPO / "tests" / "fleet"))
    from fleet import Fleet, fleet  # noqa: F401  (the fixture)
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

FLEET_DIR = Path(__file__).resolve().parent
UP = FLEET_DIR / "up"
DOWN = FLEET_DIR / "down"
CONTAINERS_CONF = FLEET_DIR / "containers.conf"
# up installs packages with apt and may build the image: minutes on a new machine, seconds after.
UP_TIMEOUT = 900.0


class FleetError(RuntimeError):
    """up or down failed; the message has the script's own words."""


def podman_env() -> dict[str, str]:
    """The environment for podman commands on the fleet: its own containers.conf."""
    return {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF)}


@dataclass(frozen=True)
class Host:
    """One host of the fleet: its name (the container's and the host name) and its address."""

    name: str
    address: str


@dataclass(frozen=True)
class Fleet:
    """The running fleet: its Ansible inventory, its hosts, and ways to run commands on them."""

    inventory: Path
    hosts: tuple[Host, ...]
    private_key: Path

    @property
    def names(self) -> list[str]:
        return [host.name for host in self.hosts]

    @property
    def addresses(self) -> dict[str, str]:
        return {host.name: host.address for host in self.hosts}

    def host(self, host: str | Host) -> Host:
        name = host.name if isinstance(host, Host) else host
        for candidate in self.hosts:
            if candidate.name == name:
                return candidate
        raise KeyError(f"{name} is not a host of the fleet ({', '.join(self.names)})")

    def sh(
        self,
        host: str | Host,
        command: str,
        *,
        input: str | None = None,
        check: bool = False,
        timeout: float = 60.0,
    ) -> subprocess.CompletedProcess[str]:
        """Run a shell command on a host as root through ``podman exec``, not over the network.

        For fault injection and checks: it works whatever state the host's sshd or network is in.
        """
        name = self.host(host).name
        argv = ["podman", "exec", *(["-i"] if input is not None else []), name, "sh", "-c", command]
        result = subprocess.run(
            argv,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=podman_env(),
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{name}: `{command}` exited {result.returncode}\n"
                f"stdout: {result.stdout.strip()}\nstderr: {result.stderr.strip()}"
            )
        return result

    def ssh(
        self, host: str | Host, command: str, *, timeout: float = 60.0
    ) -> subprocess.CompletedProcess[str]:
        """Run a shell command on a host over SSH as root, the way Ansible reaches it."""
        target = self.host(host)
        argv = [
            "ssh",
            "-i",
            str(self.private_key),
            "-o",
            "BatchMode=yes",
            "-o",
            "ConnectTimeout=10",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            f"root@{target.address}",
            command,
        ]
        return subprocess.run(
            argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, check=False
        )

    def podman(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """``podman ARGS`` with the fleet's configuration, for inspecting the containers."""
        return subprocess.run(
            ["podman", *args], capture_output=True, text=True, timeout=timeout, env=podman_env(), check=False
        )

    @classmethod
    def from_inventory(cls, inventory: Path) -> Fleet:
        """The fleet as ``up`` wrote it down in its inventory."""
        data = yaml.safe_load(inventory.read_text(encoding="utf-8"))
        group = data["all"]["children"]["fleet"]
        hosts = tuple(Host(name, str(values["ansible_host"])) for name, values in group["hosts"].items())
        return cls(inventory, hosts, Path(group["vars"]["ansible_ssh_private_key_file"]))

    @classmethod
    def up(cls, count: int = 3) -> Fleet:
        """Bring up (or reuse) ``count`` hosts with ``tests/fleet/up``."""
        result = _run_script(UP, str(count), timeout=UP_TIMEOUT)
        lines = result.stdout.strip().splitlines()
        if not lines:
            raise FleetError(f"{UP} printed no inventory path\n{result.stderr.strip()}")
        return cls.from_inventory(Path(lines[-1]))

    @staticmethod
    def down(*, image: bool = False) -> None:
        """Remove the fleet with ``tests/fleet/down`` (and its image too when ``image``)."""
        _run_script(DOWN, *(["--image"] if image else []), timeout=300.0)


def _run_script(script: Path, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    command = " ".join(["tests/fleet/" + script.name, *args])
    try:
        result = subprocess.run(
            [str(script), *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise FleetError(f"{command}: {error}") from error
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-20:])
        raise FleetError(f"{command} exited {result.returncode}:\n{tail}")
    return result


def keep() -> bool:
    """FIX502_FLEET_KEEP=1: leave the hosts up after the session, to look at them or to reuse them."""
    return os.environ.get("FIX502_FLEET_KEEP", "") not in ("", "0")


@pytest.fixture(scope="session")
def fleet() -> Iterator[Fleet]:
    """Three real hosts for the whole test session; torn down at its end unless FIX502_FLEET_KEEP=1."""
    failure = ""
    try:
        bed = Fleet.up(3)
    except FleetError as error:
        failure = str(error)
    if failure:
        if not keep():
            try:
                Fleet.down()
            except FleetError as error:
                failure += f"\nand tearing it down failed too: {error}"
        pytest.fail(f"the fleet test bed could not be brought up: {failure}", pytrace=False)
    try:
        yield bed
    finally:
        if not keep():
            Fleet.down()
