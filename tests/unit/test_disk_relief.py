"""The disk_relief module on real filesystems: a small tmpfs mounted for each test, filled with logs.

Every test that compresses checks that no byte of any log was lost (decompress and compare).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import module_runner
import pytest

pytest.importorskip("ansible.module_utils.basic")

from ansible_collections.fix502.gateway.plugins.module_utils import _disk_relief
from ansible_collections.fix502.gateway.plugins.modules import disk_relief

MODULE = Path(disk_relief.__file__)
MiB = 1 << 20


def run_module(tmp_path: Path, args: dict[str, Any], *, check: bool = False) -> dict[str, Any]:
    return module_runner.run_module(MODULE, tmp_path, args, check_mode=check, diff=True)


def log_text(lines: int, tag: str, start: int = 0) -> bytes:
    """Access-log lines, each different: text that gzip shrinks several times, like real logs."""
    return b"".join(
        b'10.1.%d.%d - - [01/Jan/2024:%02d:%02d:%02d +0000] "GET /%s/item/%d HTTP/1.1" 200 %d "-" "curl/8"\n'
        % (i % 251, i % 241, i // 3600 % 24, i // 60 % 60, i % 60, tag.encode(), i, i * 7919 % 100003)
        for i in range(start, start + lines)
    )


def fill(path: Path, tag: str) -> bytes:
    """Append log lines to ``path`` until its filesystem is full; returns everything the file holds."""
    chunk = 0
    with open(path, "ab", buffering=0) as handle:
        while True:
            data = log_text(2000, tag, chunk * 2000)
            try:
                written = handle.write(data)
            except OSError:
                break
            if written is not None and written < len(data):
                break
            chunk += 1
    return path.read_bytes()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def snapshot(root: Path) -> dict[str, tuple[int, str, float]]:
    """Every file under root with its size, content hash and modification time."""
    return {
        str(p.relative_to(root)): (p.stat().st_size, sha(p.read_bytes()), p.stat().st_mtime)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def avail(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A 16 MiB tmpfs of its own, like a log partition."""
    with module_runner.tmpfs(tmp_path / "logs", "size=16m", "fix502relief") as mount:
        yield mount


@pytest.fixture
def staging(tmp_path: Path) -> Path:
    """A staging directory on another filesystem than small_fs."""
    path = tmp_path / "staging"
    path.mkdir()
    return path


def args_for(fs: Path, staging: Path, **more: Any) -> dict[str, Any]:
    return {
        "filesystems": [str(fs)],
        "log_dirs": [str(fs)],
        "max_log_size": "1M",
        "journal_dirs": [],
        "staging_dirs": [str(staging)],
        **more,
    }


def test_check_mode_changes_nothing_and_says_what_it_would_free(
    small_fs: Path, staging: Path, tmp_path: Path
) -> None:
    (small_fs / "nginx").mkdir()
    (small_fs / "nginx" / "access.log.1").write_bytes(log_text(40000, "shop"))
    fill(small_fs / "app.log", "live")
    assert avail(small_fs) == 0
    before = snapshot(small_fs)

    result = run_module(tmp_path, args_for(small_fs, staging), check=True)

    assert result.get("failed") is not True, result
    assert snapshot(small_fs) == before
    assert list(staging.iterdir()) == [], "check mode made a staging directory"
    assert result["changed"] is True
    by_path = {a["path"]: a for a in result["actions"]}
    compress = by_path[str(small_fs / "nginx" / "access.log.1")]
    rotate = by_path[str(small_fs / "app.log")]
    assert compress["action"] == "compress" and compress["dest"].endswith("access.log.1.gz")
    assert rotate["action"] == "rotate" and rotate["dest"] == str(small_fs / "app.log.1.gz")
    assert all(a["estimated"] for a in result["actions"])
    # The filesystem is full: the first copy would be made on the staging filesystem.
    assert compress["staged_in"] == str(staging)
    assert compress["freed_bytes"] > 1 * MiB
    [fs] = result["filesystems"]
    assert fs["mount"] == str(small_fs)
    assert fs["avail_before_bytes"] == 0
    assert fs["freed_bytes"] == sum(a["freed_bytes"] for a in result["actions"]) == result["freed_bytes"]
    assert fs["avail_after_bytes"] == fs["freed_bytes"]
    assert "access.log.1" in result["diff"]["before"] and "access.log.1.gz" in result["diff"]["after"]
    assert result["summary"][0].startswith(f"{small_fs}: would free about ")


def test_a_full_filesystem_is_relieved_through_staging_without_losing_a_byte(
    small_fs: Path, staging: Path, tmp_path: Path
) -> None:
    rotated = log_text(60000, "old")
    (small_fs / "access.log.1").write_bytes(rotated)
    active = fill(small_fs / "app.log", "live")
    assert avail(small_fs) == 0

    result = run_module(tmp_path, args_for(small_fs, staging))

    assert result.get("failed") is not True, result
    assert not (small_fs / "access.log.1").exists()
    assert gzip.decompress((small_fs / "access.log.1.gz").read_bytes()) == rotated
    assert gzip.decompress((small_fs / "app.log.1.gz").read_bytes()) == active
    assert (small_fs / "app.log").stat().st_size == 0, "the active log is truncated, not removed"
    by_path = {a["path"]: a for a in result["actions"]}
    assert by_path[str(small_fs / "access.log.1")]["staged_in"] == str(staging)
    assert list(staging.iterdir()) == [], "the staging directory is removed afterwards"
    assert not [p for p in small_fs.iterdir() if p.name.startswith(".fix502-")]
    [fs] = result["filesystems"]
    assert fs["avail_before_bytes"] == 0
    assert fs["avail_after_bytes"] == avail(small_fs) > 12 * MiB
    # Every byte freed is accounted for, per action and per filesystem.
    assert fs["freed_bytes"] == sum(a["freed_bytes"] for a in result["actions"])
    assert fs["freed_bytes"] == fs["avail_after_bytes"] - fs["avail_before_bytes"]
    assert not any(a["estimated"] for a in result["actions"])

    again = run_module(tmp_path, args_for(small_fs, staging))
    assert again["changed"] is False and again["actions"] == [], again


def test_rotated_names_are_compressed_in_place_and_the_active_log_takes_number_one(
    small_fs: Path, staging: Path, tmp_path: Path
) -> None:
    contents = {
        "syslog.1": log_text(20000, "a"),
        "app.log.2": log_text(20000, "b"),
        "dpkg.log-20240101": log_text(20000, "c"),
        "app.log-2024010112": log_text(20000, "d"),
    }
    for name, data in contents.items():
        (small_fs / name).write_bytes(data)
    os.utime(small_fs / "syslog.1", (1_700_000_000, 1_700_000_000))
    os.chmod(small_fs / "syslog.1", 0o640)
    older = {"app.log.1.gz": gzip.compress(b"one\n"), "app.log.3.gz": gzip.compress(b"three\n")}
    for name, data in older.items():
        (small_fs / name).write_bytes(data)
    active = log_text(30000, "live")
    (small_fs / "app.log").write_bytes(active)
    before = snapshot(small_fs)

    dry = run_module(tmp_path, args_for(small_fs, staging), check=True)
    assert snapshot(small_fs) == before
    result = run_module(tmp_path, args_for(small_fs, staging))

    assert result.get("failed") is not True, result

    def plan(actions: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [(a["action"], a["path"], a["dest"], a["renamed"]) for a in actions]

    assert plan(dry["actions"]) == plan(result["actions"]), "check mode shows what the run does"
    for name, data in contents.items():
        if name == "app.log.2":
            continue  # moved up to make room for the new app.log.1.gz
        assert not (small_fs / name).exists()
        assert gzip.decompress((small_fs / f"{name}.gz").read_bytes()) == data
    gz = (small_fs / "syslog.1.gz").stat()
    assert (gz.st_mtime, gz.st_mode & 0o777) == (1_700_000_000, 0o640), (
        "the gzip keeps the log's time and mode"
    )
    # app.log.1.gz (old) -> .2.gz, app.log.2 (gzipped first) -> .3.gz, old .3.gz -> .4.gz
    assert gzip.decompress((small_fs / "app.log.1.gz").read_bytes()) == active
    assert gzip.decompress((small_fs / "app.log.2.gz").read_bytes()) == b"one\n"
    assert gzip.decompress((small_fs / "app.log.3.gz").read_bytes()) == contents["app.log.2"]
    assert gzip.decompress((small_fs / "app.log.4.gz").read_bytes()) == b"three\n"
    assert (small_fs / "app.log").read_bytes() == b""
    [rotate] = [a for a in result["actions"] if a["action"] == "rotate"]
    assert rotate["staged_in"] is None  # there was room for the copy
    assert rotate["renamed"] == [
        [str(small_fs / "app.log.3.gz"), str(small_fs / "app.log.4.gz")],
        [str(small_fs / "app.log.2.gz"), str(small_fs / "app.log.3.gz")],
        [str(small_fs / "app.log.1.gz"), str(small_fs / "app.log.2.gz")],
    ]


def test_no_other_file_is_removed_or_changed(small_fs: Path, staging: Path, tmp_path: Path) -> None:
    others = {
        "data.bin": os.urandom(2 * MiB),
        "notes.txt": log_text(30000, "notes"),
        "lastlog": b"\0" * MiB,
        "old.log.1.xz": b"not really xz",
        "sub/report.csv": log_text(10000, "csv"),
    }
    for name, data in others.items():
        (small_fs / name).parent.mkdir(exist_ok=True)
        (small_fs / name).write_bytes(data)
    long_ago = time.time() - 30 * 86400
    for name in others:
        os.utime(small_fs / name, (long_ago, long_ago))
    (small_fs / "access.log.1").write_bytes(log_text(30000, "x"))
    kept = snapshot(small_fs)
    del kept["access.log.1"]

    result = run_module(tmp_path, args_for(small_fs, staging))

    assert result.get("failed") is not True, result
    now = snapshot(small_fs)
    assert {name: now[name] for name in kept} == kept
    assert set(now) == set(kept) | {"access.log.1.gz"}


def test_only_old_files_in_the_temp_dirs_are_removed(small_fs: Path, staging: Path, tmp_path: Path) -> None:
    sessions = small_fs / "sessions"
    (sessions / "deeper").mkdir(parents=True)
    old_age = time.time() - 3 * 86400
    for name in ("sess_old1", "deeper/sess_old2"):
        (sessions / name).write_bytes(b"s" * 100_000)
        os.utime(sessions / name, (old_age, old_age))
    (sessions / "sess_new").write_bytes(b"n" * 100_000)
    (small_fs / "other_old").write_bytes(b"o" * 100_000)
    os.utime(small_fs / "other_old", (old_age, old_age))
    args = args_for(small_fs, staging, temp_dirs=[str(sessions)], temp_min_age="2d")

    dry = run_module(tmp_path, args, check=True)
    assert (sessions / "sess_old1").exists() and (sessions / "deeper" / "sess_old2").exists()
    [would] = dry["actions"]
    assert would["action"] == "clean_temp" and would["files_removed"] == 2

    result = run_module(tmp_path, args)

    assert result.get("failed") is not True, result
    [clean] = result["actions"]
    assert clean["action"] == "clean_temp" and clean["path"] == str(sessions)
    assert sorted(clean["removed"]) == sorted(
        [str(sessions / "sess_old1"), str(sessions / "deeper" / "sess_old2")]
    )
    assert clean["freed_bytes"] == would["freed_bytes"] > 200_000
    assert (sessions / "sess_new").exists() and (sessions / "deeper").is_dir()
    assert (small_fs / "other_old").exists(), "a file outside temp_dirs is never removed"


@pytest.mark.parametrize("temp_dir", ["/", "/var/log", "/etc", "relative/dir"])
def test_system_directories_are_refused_as_temp_dirs(
    temp_dir: str, small_fs: Path, staging: Path, tmp_path: Path
) -> None:
    result = run_module(tmp_path, args_for(small_fs, staging, temp_dirs=[temp_dir]))
    assert result["failed"] is True
    assert result["msg"] == f"temp_dirs: {temp_dir} is not a directory whose files may be removed"


def test_a_rotated_log_still_open_by_a_process_is_left_alone(
    small_fs: Path, staging: Path, tmp_path: Path
) -> None:
    data = log_text(30000, "held")
    (small_fs / "access.log.1").write_bytes(data)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; f = open(sys.argv[1], 'ab'); sys.stdin.read()",
            str(small_fs / "access.log.1"),
        ],
        stdin=subprocess.PIPE,
    )
    try:
        for _ in range(100):
            if any(
                os.path.realpath(f"/proc/{holder.pid}/fd/{fd}") == str(small_fs / "access.log.1")
                for fd in os.listdir(f"/proc/{holder.pid}/fd")
            ):
                break
            time.sleep(0.05)
        result = run_module(tmp_path, args_for(small_fs, staging))
    finally:
        holder.communicate(b"")
    assert result["changed"] is False
    [skipped] = result["skipped"]
    assert skipped["path"] == str(small_fs / "access.log.1")
    assert f"still open by {holder.pid} (python" in skipped["reason"]
    assert (small_fs / "access.log.1").read_bytes() == data


def test_lines_written_while_the_active_log_is_copied_are_kept(
    small_fs: Path, staging: Path, tmp_path: Path
) -> None:
    """A writer appends while the copy is made: what it wrote is in the gzip or left in the log."""
    first = log_text(60000, "before")
    log = small_fs / "app.log"
    log.write_bytes(first)
    late = log_text(5000, "during")
    appended = threading.Event()

    def writer() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # as soon as the compressed copy is being written
            if any(p.name.startswith(".fix502-") for p in small_fs.iterdir()):
                with open(log, "ab") as handle:
                    handle.write(late)
                appended.set()
                return
            time.sleep(0.001)

    thread = threading.Thread(target=writer)
    thread.start()
    result = run_module(tmp_path, args_for(small_fs, staging, compress_level=9))
    thread.join()

    assert result.get("failed") is not True, result
    assert appended.is_set()
    kept = gzip.decompress((small_fs / "app.log.1.gz").read_bytes()) + log.read_bytes()
    assert kept == first + late


def test_no_room_anywhere_leaves_the_log_as_it_was(small_fs: Path, tmp_path: Path) -> None:
    data = log_text(30000, "stuck")
    (small_fs / "access.log.1").write_bytes(data)
    fill(small_fs / "filler.bin", "fill")
    result = run_module(tmp_path, args_for(small_fs, small_fs / "no-such-dir"))
    assert result["changed"] is False
    assert result["skipped"] == [{"path": str(small_fs / "access.log.1"), "reason": _disk_relief._NO_ROOM}]
    assert (small_fs / "access.log.1").read_bytes() == data


def test_a_missing_filesystem_and_bad_sizes_are_named(tmp_path: Path) -> None:
    missing = run_module(tmp_path, {"filesystems": [str(tmp_path / "nowhere")]})
    assert missing["failed"] is True
    assert missing["msg"] == f"filesystems: {tmp_path / 'nowhere'}: No such file or directory"
    bad = run_module(tmp_path, {"filesystems": [str(tmp_path)], "max_log_size": "lots"})
    assert bad["failed"] is True and bad["msg"].startswith("max_log_size 'lots': ")
    age = run_module(tmp_path, {"filesystems": [str(tmp_path)], "temp_min_age": "soon"})
    assert age["failed"] is True and age["msg"].startswith("temp_min_age 'soon': ")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("access.log", "active"),
        ("syslog", "active"),
        ("error_log", "active"),
        ("access.log.1", "rotated"),
        ("syslog.12", "rotated"),
        ("dpkg.log-20240101", "rotated"),
        ("app.log-2024010112", "rotated"),
        ("access.log.2.gz", None),
        ("btmp.1.xz", None),
        ("notes.txt", None),
        (".fix502-abc.gz.tmp", None),
        ("system@0001.journal", None),
    ],
)
def test_log_names(name: str, kind: str | None) -> None:
    assert _disk_relief.classify(name, ["*.log", "*_log", "syslog", "messages"]) == kind


def test_documentation_matches_the_argument_spec() -> None:
    yaml = pytest.importorskip("yaml")
    documented = yaml.safe_load(disk_relief.DOCUMENTATION)["options"]
    assert set(documented) == set(disk_relief.ARGUMENT_SPEC)
    for name, spec in disk_relief.ARGUMENT_SPEC.items():
        assert documented[name]["type"] == spec["type"], name
        assert documented[name].get("default") == spec.get("default"), name
        assert documented[name].get("elements") == spec.get("elements"), name
    returned = yaml.safe_load(disk_relief.RETURN)
    assert set(returned) == {"freed_bytes", "filesystems", "actions", "skipped", "summary", "errors"}


def test_an_active_log_that_does_not_compress_is_left_alone(
    small_fs: Path, staging: Path, tmp_path: Path
) -> None:
    data = os.urandom(3 * MiB)
    (small_fs / "random.log").write_bytes(data)
    result = run_module(tmp_path, args_for(small_fs, staging))
    assert result["changed"] is False
    [skipped] = result["skipped"]
    assert skipped["path"] == str(small_fs / "random.log") and "would free nothing" in skipped["reason"]
    assert (small_fs / "random.log").read_bytes() == data
