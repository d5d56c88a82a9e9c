"""Mounted filesystems: mountinfo parsing and df-style usage, against a real tmpfs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import module_runner
import pytest
from ansible_collections.fix502.gateway.plugins.module_utils._filesystems import (
    filesystems,
    parse_mountinfo,
    unescape,
    usage_from_statvfs,
)

MOUNTINFO = """\
22 27 0:21 / /proc rw,relatime - proc proc rw
23 27 0:22 / /sys rw,relatime - sysfs sysfs rw
24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=1024k
27 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
30 27 0:30 / /srv/my\\040data rw,relatime shared:5 master:2 - xfs /dev/vdb rw
31 27 0:31 / /var/lib/docker/overlay2/x/merged rw - overlay overlay rw,lowerdir=/a
32 27 0:32 / /run rw - tmpfs tmpfs rw,size=100k
33 32 0:33 / /run rw - tmpfs tmpfs2 rw,size=200k
34 27 0:34 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw
35 27 0:35 / /mnt/remote rw - fuse.sshfs user@host:/ rw
"""


def test_parse_mountinfo_drops_pseudo_and_keeps_the_last_mount() -> None:
    mounts = parse_mountinfo(MOUNTINFO)
    assert [m["mount"] for m in mounts] == [
        "/",
        "/srv/my data",
        "/var/lib/docker/overlay2/x/merged",
        "/run",
        "/mnt/remote",
    ]
    by_mount = {m["mount"]: m for m in mounts}
    assert by_mount["/run"]["device"] == "tmpfs2"
    assert by_mount["/srv/my data"] == {"mount": "/srv/my data", "device": "/dev/vdb", "fstype": "xfs"}
    assert by_mount["/var/lib/docker/overlay2/x/merged"]["fstype"] == "overlay"


def test_unescape() -> None:
    assert unescape(r"/a\040b\011c\012d\134e") == "/a b\tc\nd\\e"


class _Statvfs:
    """A statvfs result with chosen numbers (os.statvfs_result cannot be built with f_frsize)."""

    def __init__(self, **values: int) -> None:
        self.__dict__.update(values)


def test_usage_is_computed_like_df() -> None:
    st = _Statvfs(f_frsize=4096, f_bsize=4096, f_blocks=1000, f_bfree=300, f_bavail=250, f_files=0, f_ffree=0)
    usage = usage_from_statvfs(st)
    assert usage["size_bytes"] == 4096000
    assert usage["avail_bytes"] == 250 * 4096
    # used = 700 blocks; 700 / (700 + 250) = 73.68...%
    assert usage["used_percent"] == 73.7
    assert usage["inodes_used_percent"] is None


@pytest.fixture
def tmpfs_with_space(tmp_path: Path) -> Iterator[Path]:
    with module_runner.tmpfs(tmp_path / "with space\tand tab", "size=1m,nr_inodes=64", "fix502test") as mount:
        yield mount


def test_real_tmpfs_with_escaped_name(tmpfs_with_space: Path) -> None:
    (tmpfs_with_space / "blob").write_bytes(b"\0" * 300_000)
    for i in range(10):
        (tmpfs_with_space / f"f{i}").write_text("x")
    result, problems = filesystems(5)
    by_mount = {entry["mount"]: entry for entry in result}
    assert str(tmpfs_with_space) in by_mount, problems
    entry = by_mount[str(tmpfs_with_space)]
    assert entry["fstype"] == "tmpfs"
    assert entry["device"] == "fix502test"

    st = os.statvfs(tmpfs_with_space)
    size = st.f_blocks * st.f_frsize
    used = size - st.f_bfree * st.f_frsize
    avail = st.f_bavail * st.f_frsize
    assert entry["size_bytes"] == size
    assert entry["avail_bytes"] == avail
    assert entry["used_percent"] == round(used * 100 / (used + avail), 1)
    assert entry["used_percent"] > 20  # 300 kB of 1 MB
    assert entry["inodes_total"] == st.f_files == 64
    assert entry["inodes_free"] == st.f_ffree
    assert entry["inodes_used_percent"] == round((st.f_files - st.f_ffree) * 100 / st.f_files, 1)
    assert entry["inodes_used_percent"] > 10  # 11 files and the root of 64 inodes


def test_root_filesystem_is_listed() -> None:
    result, _problems = filesystems(5)
    assert "/" in {entry["mount"] for entry in result}
    for entry in result:
        assert set(entry) == {
            "mount",
            "device",
            "fstype",
            "size_bytes",
            "avail_bytes",
            "used_percent",
            "inodes_total",
            "inodes_free",
            "inodes_used_percent",
        }


def test_unreadable_mountinfo_is_a_problem_not_a_failure(tmp_path: Path) -> None:
    result, problems = filesystems(5, mountinfo_path=str(tmp_path / "missing"))
    assert result == []
    assert problems[0]["message"].startswith("cannot read")


def test_a_vanished_mount_point_is_a_problem(tmp_path: Path) -> None:
    fake = tmp_path / "mountinfo"
    fake.write_text(
        f"40 27 0:40 / {tmp_path}/gone rw - ext4 /dev/vdz rw\n27 1 252:1 / / rw - ext4 /dev/vda1 rw\n"
    )
    result, problems = filesystems(5, mountinfo_path=str(fake))
    assert [entry["mount"] for entry in result] == ["/"]
    assert problems == [{"source": f"statvfs {tmp_path}/gone", "message": "No such file or directory"}]
