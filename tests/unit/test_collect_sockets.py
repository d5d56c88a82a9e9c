"""Listening sockets from /proc, matched to this very process."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from ansible_collections.fix502.gateway.plugins.module_utils._sockets import (
    decode_address,
    listeners,
    parse_proc_net_tcp,
    parse_proc_net_unix,
    unit_from_cgroup_text,
)

MY_PID = os.getpid()
MY_NAME = Path("/proc/self/comm").read_text().strip()


def _listening(family: int, host: str) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.bind((host, 0))
    sock.listen(4)
    return sock


@pytest.fixture
def tcp4() -> Iterator[socket.socket]:
    sock = _listening(socket.AF_INET, "127.0.0.1")
    yield sock
    sock.close()


@pytest.fixture
def tcp6() -> Iterator[socket.socket]:
    if not socket.has_ipv6 or not Path("/proc/net/tcp6").exists():
        pytest.skip("no IPv6 on this host")
    try:
        sock = _listening(socket.AF_INET6, "::1")
    except OSError as exc:
        pytest.skip(f"cannot listen on ::1: {exc}")
    yield sock
    sock.close()


def _tcp_entry(port: int, family: int) -> dict | None:
    result, _problems = listeners()
    for entry in result["tcp"]:
        if entry["port"] == port and entry["family"] == family:
            return entry
    return None


def test_tcp4_listener_is_found_with_its_owner(tcp4: socket.socket) -> None:
    port = tcp4.getsockname()[1]
    entry = _tcp_entry(port, 4)
    assert entry is not None
    assert entry["address"] == "127.0.0.1"
    assert entry["pid"] == MY_PID
    assert entry["process"] == MY_NAME


def test_tcp6_listener_is_found_with_its_owner(tcp6: socket.socket) -> None:
    port = tcp6.getsockname()[1]
    entry = _tcp_entry(port, 6)
    assert entry is not None
    assert entry["address"] == "::1"
    assert entry["pid"] == MY_PID
    assert entry["process"] == MY_NAME


def test_ipv4_mapped_listener_is_decoded(tcp6: socket.socket) -> None:
    sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(("::ffff:127.0.0.1", 0))
        sock.listen(1)
        entry = _tcp_entry(sock.getsockname()[1], 6)
    finally:
        sock.close()
    assert entry is not None
    assert entry["address"] == "::ffff:127.0.0.1"


def test_closed_and_unlistened_ports_do_not_appear() -> None:
    closed = _listening(socket.AF_INET, "127.0.0.1")
    closed_port = closed.getsockname()[1]
    closed.close()
    bound = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    bound.bind(("127.0.0.1", 0))  # bound but never listen()ed
    try:
        bound_port = bound.getsockname()[1]
        result, _problems = listeners()
    finally:
        bound.close()
    ports = {entry["port"] for entry in result["tcp"]}
    assert closed_port not in ports
    assert bound_port not in ports


def test_unix_listener_is_found_with_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "back end.sock"
    listening = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    idle = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listening.bind(str(path))
        listening.listen(4)
        idle.bind(str(tmp_path / "idle.sock"))  # bound, not listening
        result, _problems = listeners()
    finally:
        listening.close()
        idle.close()
    by_path = {entry["path"]: entry for entry in result["unix"]}
    assert str(path) in by_path
    assert by_path[str(path)]["pid"] == MY_PID
    assert by_path[str(path)]["process"] == MY_NAME
    assert str(tmp_path / "idle.sock") not in by_path


@pytest.mark.parametrize(
    ("hex_addr", "expected"),
    [
        ("0100007F", "127.0.0.1"),
        ("00000000", "0.0.0.0"),
        ("0500000A", "10.0.0.5"),
        ("00000000000000000000000000000000", "::"),
        ("00000000000000000000000001000000", "::1"),
        ("0000000000000000FFFF00000100007F", "::ffff:127.0.0.1"),
        ("B80D0120000000000000000001000000", "2001:db8::1"),
    ],
)
def test_decode_address(hex_addr: str, expected: str) -> None:
    assert decode_address(hex_addr) == expected


def test_parse_proc_net_tcp_keeps_only_listen_state() -> None:
    text = (
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000"
        "  0 0 4242 1 0 100 0 0 10 0\n"
        "   1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000"
        "  0 0 4343 1 0 20 4 30 10 -1\n"
    )
    assert parse_proc_net_tcp(text, 4) == [("127.0.0.1", 8080, 4, 4242)]


def test_parse_proc_net_unix_keeps_named_listeners() -> None:
    text = (
        "Num       RefCount Protocol Flags    Type St Inode Path\n"
        "0000000000000000: 00000002 00000000 00010000 0001 01 101 /run/app.sock\n"
        "0000000000000000: 00000002 00000000 00010000 0001 01 102 @abstract\n"
        "0000000000000000: 00000002 00000000 00000000 0001 03 103 /run/connected.sock\n"
        "0000000000000000: 00000002 00000000 00010000 0001 01 104\n"
        "0000000000000000: 00000002 00000000 00010000 0001 01 105 /run/with space.sock\n"
    )
    assert parse_proc_net_unix(text) == [
        ("/run/app.sock", 101),
        ("@abstract", 102),
        ("/run/with space.sock", 105),
    ]


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("0::/system.slice/nginx.service\n", "nginx.service"),
        ("0::/system.slice/shop.service/worker\n", "shop.service"),
        ("0::/user.slice/user-0.slice/session-3.scope\n", "session-3.scope"),
        ("12:pids:/system.slice/a.service\n1:name=systemd:/system.slice/b.service\n0::/\n", "b.service"),
        ("0::/\n", None),
        ("0::/docker/0123abcd\n", None),
    ],
)
def test_unit_from_cgroup_text(text: str, unit: str | None) -> None:
    assert unit_from_cgroup_text(text) == unit
