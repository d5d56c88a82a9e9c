"""The fleet test bed is real: systemd as PID 1, SSH and Ansible, restarts, nginx, host keys of its own."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from fleet import UP, Fleet

pytestmark = [pytest.mark.fleet, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
ANSIBLE = Path(sys.executable).parent / "ansible"

PROBE_UNIT = """\
[Unit]
Description=fix502 fleet probe: a tiny HTTP server that systemd restarts

[Service]
ExecStart=/usr/bin/python3 -m http.server 8080 --directory /tmp
Restart=always
RestartSec=1
"""


def unit_property(fleet: Fleet, host: str, unit: str, name: str) -> str:
    return fleet.sh(host, f"systemctl show --property={name} --value {unit}", check=True).stdout.strip()


def listening(fleet: Fleet, host: str, port: int) -> bool:
    return bool(fleet.sh(host, f"ss -Hltn 'sport = :{port}'", check=True).stdout.strip())


def nginx_server_header(url: str) -> str:
    """The Server header of whatever answer comes back, an error status included."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return str(response.headers.get("Server", ""))
    except urllib.error.HTTPError as error:
        return str(error.headers.get("Server", ""))


def test_three_hosts_each_with_an_address(fleet: Fleet) -> None:
    prefix = os.environ.get("FIX502_FLEET_NAME", "fix502")
    assert fleet.names == [f"{prefix}-host1", f"{prefix}-host2", f"{prefix}-host3"]
    addresses = list(fleet.addresses.values())
    assert len(set(addresses)) == 3, addresses
    assert fleet.inventory.is_file()
    for host in fleet.hosts:
        assert fleet.sh(host, "hostname", check=True).stdout.strip() == host.name
        assert host.address in fleet.sh(host, "hostname -I", check=True).stdout.split()


def test_systemd_is_pid_1_and_the_system_is_up(fleet: Fleet) -> None:
    for host in fleet.names:
        assert fleet.sh(host, "ps -p 1 -o comm=", check=True).stdout.strip() == "systemd", host
        state = fleet.sh(host, "systemctl is-system-running").stdout.strip()
        failed = fleet.sh(host, "systemctl --failed --plain --no-legend").stdout.strip()
        assert state in ("running", "degraded"), f"{host}: {state}; failed units: {failed}"


def test_ansible_reaches_every_host_over_ssh(fleet: Fleet) -> None:
    result = subprocess.run(
        [str(ANSIBLE), "all", "-i", str(fleet.inventory), "-m", "ansible.builtin.ping", "--one-line"],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for host in fleet.names:
        line = next((line for line in result.stdout.splitlines() if line.startswith(f"{host} | ")), "")
        assert "SUCCESS" in line and '"pong"' in line, result.stdout


def test_systemd_restarts_a_killed_service(fleet: Fleet) -> None:
    host = fleet.names[0]
    unit = "fix502-probe.service"
    fleet.sh(host, f"cat >/etc/systemd/system/{unit}", input=PROBE_UNIT, check=True)
    try:
        fleet.sh(host, f"systemctl daemon-reload && systemctl start {unit}", check=True)
        deadline = time.monotonic() + 15
        while not listening(fleet, host, 8080):
            assert time.monotonic() < deadline, f"{unit} never listened on 8080"
            time.sleep(0.2)
        pid = unit_property(fleet, host, unit, "MainPID")
        restarts = int(unit_property(fleet, host, unit, "NRestarts"))
        assert pid != "0"

        fleet.sh(host, f"kill -9 {pid}", check=True)

        deadline = time.monotonic() + 15
        while True:
            new_pid = unit_property(fleet, host, unit, "MainPID")
            new_restarts = int(unit_property(fleet, host, unit, "NRestarts"))
            if new_pid not in ("0", pid) and new_restarts > restarts and listening(fleet, host, 8080):
                break
            assert time.monotonic() < deadline, (
                f"{unit} not back within 15 s: MainPID {new_pid} (was {pid}), NRestarts {new_restarts}"
            )
            time.sleep(0.2)
        # It answers on the host's own address, from this machine.
        with urllib.request.urlopen(f"http://{fleet.addresses[host]}:8080/", timeout=10) as response:
            assert response.status == 200
    finally:
        fleet.sh(host, f"systemctl stop {unit}; rm -f /etc/systemd/system/{unit}; systemctl daemon-reload")


def test_nginx_is_installed_and_its_configuration_is_valid(fleet: Fleet) -> None:
    for host in fleet.hosts:
        result = fleet.sh(host, "nginx -t")
        assert result.returncode == 0, f"{host.name}: {result.stderr}"
        tools = fleet.sh(host, "command -v logrotate && command -v apt-get && python3 --version")
        assert tools.returncode == 0, f"{host.name}: {tools.stdout} {tools.stderr}"
        assert fleet.sh(host, "systemctl is-active nginx.service").stdout.strip() == "active", host.name
        # nginx answers on the host's own address; tests sharing the session may have changed its site.
        assert nginx_server_header(f"http://{host.address}/").startswith("nginx"), host.name


def test_each_host_has_ssh_host_keys_of_its_own(fleet: Fleet) -> None:
    keys: dict[str, str] = {}
    for host in fleet.hosts:
        key = fleet.sh(host, "cat /etc/ssh/ssh_host_ed25519_key.pub", check=True).stdout.split()[1]
        scan = subprocess.run(
            ["ssh-keyscan", "-t", "ed25519", "-T", "10", host.address],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert key in scan.stdout, f"{host.name} serves another key than its own: {scan.stdout}"
        keys[host.name] = key
    assert len(set(keys.values())) == len(keys), keys


def test_up_again_reuses_the_running_hosts(fleet: Fleet) -> None:
    def container_ids() -> list[str]:
        inspect = ("container", "inspect", "--format", "{{.Id}}")
        return [fleet.podman(*inspect, name).stdout.strip() for name in fleet.names]

    before = container_ids()
    result = subprocess.run([str(UP), "3"], capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()) == fleet.inventory
    assert container_ids() == before
    assert Fleet.from_inventory(fleet.inventory) == fleet
    assert fleet.ssh(fleet.names[1], "true").returncode == 0


def test_collector_on_this_machine_ignores_the_hosts_nginx(fleet: Fleet) -> None:
    """The hosts' nginx masters show in this machine's /proc, but their files are not this machine's."""
    from ansible_collections.fix502.gateway.plugins.module_utils._nginx_probe import find_masters

    in_hosts = [line for name in fleet.names for line in fleet.sh(name, "pgrep -x nginx").stdout.split()]
    assert in_hosts, "nginx runs on every host of the fleet"
    visible = subprocess.run(
        ["pgrep", "-f", "nginx: master process"], capture_output=True, text=True
    ).stdout.split()
    assert visible, "this machine sees the hosts' processes"
    own = os.readlink("/proc/self/ns/mnt")
    assert all(os.readlink(f"/proc/{m['pid']}/ns/mnt") == own for m in find_masters())
