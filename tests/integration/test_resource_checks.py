"""Resource checks against real exhaustion: a full tmpfs under nginx's logs, its inode table used up,
a real OOM kill in a memory cgroup, and the host's real memory figures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import run_cli, site_dir

from fix502.demo import DemoSite, find_nginx


@pytest.fixture
def site_with_small_log_fs(tmp_path: Path) -> Iterator[DemoSite]:
    """The demo site with its logs directory on a 4 MiB tmpfs with 64 inodes."""
    root = site_dir(tmp_path)
    demo = DemoSite(root, find_nginx())
    demo.write()
    logs = root / "logs"
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,nr_inodes=64", "tmpfs", str(logs)], check=True)
    try:
        demo.start()
        yield demo
    finally:
        demo.stop()
        subprocess.run(["umount", "-l", str(logs)], check=False)


def findings(inventory: str, *args: str) -> list[dict[str, object]]:
    result = run_cli("audit", "-i", inventory, "--format", "json", *args)
    assert result.returncode in (0, 1), result.stderr
    [host] = json.loads(result.stdout)["hosts"]
    assert host["status"] == "ok", host
    found: list[dict[str, object]] = host["findings"]
    return found


def test_full_log_filesystem_is_found(site_with_small_log_fs: DemoSite) -> None:
    logs = site_with_small_log_fs.tmp / "logs"
    with open(logs / "filler.log", "wb") as handle:
        while True:
            try:
                handle.write(b"x" * 65536)
                handle.flush()
            except OSError:
                break
    found = findings(str(site_with_small_log_fs.inventory()), "--checks", "RES001")
    [disk] = [f for f in found if f["evidence"]["path"] == str(logs)]  # type: ignore[index]
    assert disk["severity"] == "critical"
    assert "logs" in str(disk["cause"]) and "100% full" in str(disk["cause"])
    # A filesystem holding logs is relieved by compressing them; the finding names where they are.
    assert disk["autofix"] is True and disk["fixed_by"] == "fix502.gateway.disk_relief"
    assert str(logs) in disk["evidence"]["values"]["log_dirs"].split(":")  # type: ignore[index]


def test_exhausted_inodes_are_found(site_with_small_log_fs: DemoSite) -> None:
    logs = site_with_small_log_fs.tmp / "logs"
    count = 0
    while True:
        try:
            (logs / f"session-{count}").touch()
        except OSError:
            break
        count += 1
    found = findings(str(site_with_small_log_fs.inventory()), "--checks", "RES002", "--lang", "zh")
    [inodes] = [f for f in found if f["evidence"]["path"] == str(logs)]  # type: ignore[index]
    assert inodes["severity"] == "critical"
    assert "inode" in str(inodes["cause"]) and "日志" in str(inodes["cause"])


def test_memory_pressure_is_judged_on_the_real_figures(site: DemoSite) -> None:
    inventory = str(site.inventory())
    assert findings(inventory, "--checks", "RES003", "--threshold", "memory_available_percent_medium=0") == []
    [pressure] = findings(
        inventory,
        "--checks",
        "RES003",
        "--threshold",
        "memory_available_percent_medium=100",
        "--threshold",
        "memory_available_percent_high=100",
    )
    assert pressure["severity"] == "high"
    meminfo = Path("/proc/meminfo").read_text(encoding="ascii").splitlines()
    total_kb = int(next(line.split()[1] for line in meminfo if line.startswith("MemTotal:")))
    assert pressure["evidence"]["values"]["total_kb"] == str(total_kb)  # type: ignore[index]


MEMORY_CGROUP = Path("/sys/fs/cgroup/memory")


@pytest.fixture
def oom_killed_process() -> Iterator[int]:
    """A process the kernel's OOM killer really killed: a child over a 32 MiB memory cgroup limit."""
    if not (MEMORY_CGROUP / "cgroup.procs").exists():
        pytest.skip("no cgroup v1 memory controller on this machine to provoke an OOM kill in")
    group = MEMORY_CGROUP / f"fix502-test-{os.getpid()}"
    group.mkdir()
    try:
        (group / "memory.limit_in_bytes").write_text(str(32 << 20))
        hog = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; sys.stdin.readline(); blocks = [bytearray(1 << 20) for _ in range(512)]",
            ],
            stdin=subprocess.PIPE,
            text=True,
        )
        (group / "cgroup.procs").write_text(str(hog.pid))
        assert hog.stdin is not None
        hog.stdin.write("go\n")
        hog.stdin.flush()
        assert hog.wait(timeout=60) == -9
        yield hog.pid
    finally:
        for _ in range(50):
            try:
                group.rmdir()
                break
            except OSError:
                time.sleep(0.1)


def test_oom_kill_is_found_in_the_kernel_log(site: DemoSite, oom_killed_process: int) -> None:
    [oom] = findings(str(site.inventory()), "--checks", "RES004")
    assert oom["severity"] == "high"
    assert any(f"Killed process {oom_killed_process} " in line for line in oom["evidence"]["log_lines"])  # type: ignore[index]
    assert "python" in str(oom["cause"])
