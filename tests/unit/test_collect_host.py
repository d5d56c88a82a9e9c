"""Memory, own addresses, kernel log and systemd: read from this host."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from ansible_collections.fix502.gateway.plugins.module_utils._addresses import (
    addresses,
    parse_fib_trie,
    parse_if_inet6,
)
from ansible_collections.fix502.gateway.plugins.module_utils._kernel_log import (
    MAX_OOM_LINES,
    kernel_log,
    oom_lines,
)
from ansible_collections.fix502.gateway.plugins.module_utils._memory import memory, parse_meminfo
from ansible_collections.fix502.gateway.plugins.module_utils._systemd import (
    parse_show_output,
    systemd_running,
    unit_properties,
)

FIB_TRIE = """\
Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
     +-- 10.0.0.0/24 2 0 2
        |-- 10.0.0.5
           /32 host LOCAL
Local:
  +-- 0.0.0.0/0 3 0 5
           |-- 127.0.0.1
              /32 host LOCAL
"""

IF_INET6 = """\
00000000000000000000000000000001 01 80 10 80       lo
20010db8000000000000000000000005 02 40 00 80     eth0
fe8000000000000000fc00fffe000001 02 40 20 80     eth0
"""


def test_parse_fib_trie_keeps_local_host_entries_once() -> None:
    assert parse_fib_trie(FIB_TRIE) == ["127.0.0.1", "10.0.0.5"]


def test_parse_if_inet6() -> None:
    assert parse_if_inet6(IF_INET6) == ["::1", "2001:db8::5", "fe80::fc:ff:fe00:1"]


def test_own_addresses_include_loopback() -> None:
    hostname, found, _problems = addresses()
    assert hostname == socket.gethostname()
    assert "127.0.0.1" in found
    inet6 = Path("/proc/net/if_inet6")
    if inet6.exists() and "00000000000000000000000000000001" in inet6.read_text():
        assert "::1" in found


def test_memory_matches_proc_meminfo() -> None:
    result, problems = memory()
    assert problems == []
    text = Path("/proc/meminfo").read_text()
    total = next(int(line.split()[1]) for line in text.splitlines() if line.startswith("MemTotal:"))
    assert result["total_kb"] == total
    assert 0 < result["available_kb"] <= result["total_kb"]
    assert set(result) == {"total_kb", "available_kb", "swap_total_kb", "swap_free_kb"}


def test_parse_meminfo_ignores_other_lines() -> None:
    text = "MemTotal:  2000 kB\nMemFree: 10 kB\nMemAvailable: 1500 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n"
    assert parse_meminfo(text) == {
        "total_kb": 2000,
        "available_kb": 1500,
        "swap_total_kb": 0,
        "swap_free_kb": 0,
    }


def test_oom_lines_filter_and_limit() -> None:
    lines = [
        "2024-05-01T10:00:00+0000 kernel: gunicorn invoked oom-killer: gfp_mask=0x140cca",
        "2024-05-01T10:00:00+0000 kernel: Out of memory: Killed process 901 (gunicorn)",
        "2024-05-01T10:00:00+0000 kernel: oom_reaper: reaped process 901 (gunicorn)",
        "2024-05-01T10:00:00+0000 kernel: Memory cgroup out of memory: Killed process 7",
        "2024-05-01T10:00:00+0000 kernel: oom-kill:constraint=CONSTRAINT_NONE",
        "2024-05-01T10:00:01+0000 kernel: eth0: link up",
    ]
    assert oom_lines(lines) == lines[:5]
    many = [f"Out of memory: Killed process {i}" for i in range(500)]
    kept = oom_lines(many)
    assert len(kept) == MAX_OOM_LINES
    assert kept[-1] == many[-1]


def test_kernel_log_reports_its_source_or_why_not() -> None:
    result, problems = kernel_log(100, 5)
    assert set(result) == {"source", "lines_scanned", "oom_lines"}
    assert 0 <= result["lines_scanned"] <= 100
    if result["source"] is None:
        assert problems, "no source and no problem"
        assert result["lines_scanned"] == 0
    else:
        assert result["source"] in ("journalctl -k", "dmesg --time-format iso", "dmesg", "/var/log/kern.log")


def test_parse_show_output_splits_units() -> None:
    text = (
        "Id=ssh.service\nLoadState=loaded\nActiveState=active\nRestart=on-failure\n\n"
        "Id=nope.service\nLoadState=not-found\nActiveState=inactive\n"
    )
    assert parse_show_output(text) == [
        {"Id": "ssh.service", "LoadState": "loaded", "ActiveState": "active", "Restart": "on-failure"},
        {"Id": "nope.service", "LoadState": "not-found", "ActiveState": "inactive"},
    ]


def test_unit_properties_on_this_host() -> None:
    unit = f"fix502-absent-{os.getpid()}.service"
    result, problems = unit_properties([unit, unit], 10)
    if not systemd_running():
        assert result == {}
        assert len(problems) == 1
        assert "systemd is not running" in problems[0]["message"]
        assert unit in problems[0]["message"]
    else:
        assert result[unit]["LoadState"] == "not-found"
        assert result[unit]["Id"] == unit


@pytest.mark.skipif(not systemd_running(), reason="systemd does not run this host")
def test_unit_properties_of_a_real_unit() -> None:
    result, problems = unit_properties(["systemd-journald.service"], 10)
    assert problems == []
    props = result["systemd-journald.service"]
    assert props["LoadState"] == "loaded"
    for name in ("ActiveState", "SubState", "Restart", "NRestarts", "MainPID", "LimitNOFILE"):
        assert name in props
