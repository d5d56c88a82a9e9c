"""Discovery of the backends nobody declared, from real listeners on this machine.

A real server listens on loopback; the collector's own listeners() finds it with its process. systemd
is not PID 1 here, so the process is put into a cgroup of the name=systemd hierarchy named like a
unit, which is how systemd marks the processes of a unit and what the collector reads in
/proc/PID/cgroup. That the services found this way are judged by SVC001 with their unit's properties
is proved on the fleet's systemd hosts (tests/fleet/test_fleet_discovery.py).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ansible_collections.fix502.gateway.plugins.module_utils._sockets import listeners

from fix502 import catalogue
from fix502.checks.context import HostContext
from fix502.demo import free_port, terminate, wait_listening
from fix502.discovery import listener_of
from fix502.engine import judge_host
from fix502.upstreams import Address

SYSTEMD_HIERARCHY = Path("/sys/fs/cgroup/systemd")


@dataclass
class Server:
    pid: int
    port: int
    unit: str


@pytest.fixture
def server_in_unit() -> Iterator[Server]:
    """A python http.server on 127.0.0.1, in the cgroup of a unit named fix502-test-*.service."""
    if not (SYSTEMD_HIERARCHY / "cgroup.procs").exists():
        pytest.fail(f"{SYSTEMD_HIERARCHY} is not a name=systemd cgroup hierarchy on this machine")
    unit = f"fix502-test-{uuid.uuid4().hex[:8]}.service"
    group = SYSTEMD_HIERARCHY / unit
    group.mkdir()
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        (group / "cgroup.procs").write_text(str(process.pid), encoding="ascii")
        wait_listening(port)
        yield Server(process.pid, port, unit)
    finally:
        terminate(process.pid)
        process.wait(10)
        group.rmdir()


def dump(*targets: str) -> str:
    locations = "".join(
        f"        location /{index} {{\n            proxy_pass http://{target};\n        }}\n"
        for index, target in enumerate(targets)
    )
    return (
        "# configuration file /etc/nginx/nginx.conf:\n"
        f"events {{}}\nhttp {{\n    server {{\n        listen 80;\n{locations}    }}\n}}\n"
    )


def collected(nginx_dump: str, **extra: Any) -> dict[str, Any]:
    sockets, _problems = listeners()
    return {
        "schema": 1,
        "hostname": socket.gethostname(),
        "addresses": ["127.0.0.1"],
        "nginx": {"dump": nginx_dump, "master_pid": None},
        "listeners": sockets,
        "backend_services": [],
        "units": {},
        "containers": {"engines": [], "items": []},
    } | extra


def test_the_listener_names_the_process_and_its_unit(server_in_unit: Server) -> None:
    ctx = HostContext("web", collected(dump(f"127.0.0.1:{server_in_unit.port}")))

    [service] = ctx.discovery.services

    assert service == {
        "name": server_in_unit.unit.removesuffix(".service"),
        "listen": f"127.0.0.1:{server_in_unit.port}",
        "manager": "systemd",
        "unit": server_in_unit.unit,
        "discovered": True,
        "listens": [f"127.0.0.1:{server_in_unit.port}"],
        "properties": {},
    }
    assert ctx.discovery.links == []


def test_a_unit_serving_two_targets_is_one_service(server_in_unit: Server) -> None:
    port = server_in_unit.port
    ctx = HostContext("web", collected(dump(f"127.0.0.1:{port}", f"localhost:{port}")))

    [service] = ctx.discovery.services

    assert service["listens"] == [f"127.0.0.1:{port}"]


def test_declared_backends_keep_priority(server_in_unit: Server) -> None:
    port = server_in_unit.port
    by_address = [{"name": "api", "listen": f"127.0.0.1:{port}", "manager": "command", "unit": None}]
    by_unit = [{"name": "api", "listen": "127.0.0.1:1", "manager": "systemd", "unit": server_in_unit.unit}]

    for declared in (by_address, by_unit):
        ctx = HostContext("web", collected(dump(f"127.0.0.1:{port}"), backend_services=declared))
        assert ctx.discovery.services == []


def test_nginx_itself_is_no_backend(server_in_unit: Server) -> None:
    nginx = {"dump": dump(f"127.0.0.1:{server_in_unit.port}"), "master_pid": server_in_unit.pid}
    ctx = HostContext("web", collected("", nginx=nginx))

    assert ctx.discovery.services == []


def test_nothing_listening_is_nothing_discovered() -> None:
    port = free_port()
    ctx = HostContext("web", collected(dump(f"127.0.0.1:{port}")))

    assert ctx.discovery.services == []
    assert not any(item["port"] == port for item in ctx.collected["listeners"]["tcp"])


def test_a_discovered_unit_without_properties_is_not_judged(server_in_unit: Server) -> None:
    """Without systemd the unit's properties are unknown: the service checks say nothing rather than guess."""
    found = judge_host(
        "web", collected(dump(f"127.0.0.1:{server_in_unit.port}")), catalogue.select(["service"])
    )
    assert found.report.findings == []


def test_the_listener_of_a_target(server_in_unit: Server) -> None:
    ctx = HostContext("web", collected(dump(f"127.0.0.1:{server_in_unit.port}")))
    listener = listener_of(ctx, Address(host="127.0.0.1", port=server_in_unit.port))

    assert listener is not None
    assert listener["pid"] == server_in_unit.pid
    assert listener["unit"] == server_in_unit.unit
    assert listener["process"] == Path(sys.executable).name[:15]
