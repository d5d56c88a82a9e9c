"""The collector's error logs: which files (from a real ``nginx -T`` dump), their tails, and only
what was appended since the last run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import module_runner
import pytest
from ansible_collections.fix502.gateway.plugins.module_utils._error_logs import (
    config_error_logs,
    error_log_paths,
    error_logs,
    read_tail,
)
from ansible_collections.fix502.gateway.plugins.modules import collect

NGINX = "/usr/sbin/nginx"
LINE = "2024/05/01 10:00:{:02d} [error] 1#1: *1 connect() failed (111: Connection refused)\n"


@pytest.mark.skipif(not os.path.exists(NGINX), reason=f"{NGINX} is not installed")
def test_error_logs_named_in_a_real_nginx_dump(tmp_path: Path) -> None:
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "site.conf").write_text(
        "server {\n"
        "    listen 127.0.0.1:1;\n"
        '    error_log "logs/site error.log" warn;  # error_log /commented/out.log;\n'
        "    location / { error_log memory:1m; return 204; }\n"
        f"    location /x {{ error_log {tmp_path}/x.log; return 204; }}\n"
        "}\n",
        encoding="utf-8",
    )
    (tmp_path / "nginx.conf").write_text(
        f"error_log {tmp_path}/main.log;\nerror_log stderr;\nerror_log syslog:server=unix:/dev/log;\n"
        f"events {{}}\nhttp {{ include {tmp_path}/conf.d/*.conf; }}\n",
        encoding="utf-8",
    )
    (tmp_path / "logs").mkdir()
    dump = module_runner.nginx_dump(NGINX, tmp_path / "nginx.conf", tmp_path)

    assert config_error_logs(dump) == [
        f"{tmp_path}/main.log",
        "stderr",
        "syslog:server=unix:/dev/log",
        "logs/site error.log",
        "memory:1m",
        f"{tmp_path}/x.log",
    ]
    assert error_log_paths(dump, f"{tmp_path}/", "--prefix=/usr/share/nginx --error-log-path=stderr") == [
        (f"{tmp_path}/main.log", True),
        (f"{tmp_path}/logs/site error.log", True),
        (f"{tmp_path}/x.log", True),
    ]
    # without --error-log-path nginx logs to logs/error.log under its prefix
    assert error_log_paths("", "/srv/nginx/", "--prefix=/srv/nginx") == [("/srv/nginx/logs/error.log", False)]


def test_the_tail_starts_at_a_line_and_is_bounded(tmp_path: Path) -> None:
    log = tmp_path / "error.log"
    log.write_text("".join(LINE.format(n) for n in range(10)), encoding="utf-8")
    size = log.stat().st_size

    whole = read_tail(str(log), 1 << 20)
    assert whole is not None
    assert whole["offset"] == 0 and not whole["truncated"] and whole["size"] == size
    assert whole["inode"] == log.stat().st_ino and whole["tail"] == log.read_text(encoding="utf-8")

    cut = read_tail(str(log), len(LINE.format(0)) * 3 + 5)
    assert cut is not None and cut["truncated"]
    assert cut["tail"] == "".join(LINE.format(n) for n in (7, 8, 9))  # the cut line is dropped
    assert cut["offset"] == size - 3 * len(LINE.format(0))


def test_since_reads_only_what_was_appended_and_starts_over_after_rotation(tmp_path: Path) -> None:
    log = tmp_path / "error.log"
    log.write_text(LINE.format(1), encoding="utf-8")
    first = read_tail(str(log), 1 << 20)
    assert first is not None
    since = {"inode": first["inode"], "size": first["size"]}

    assert read_tail(str(log), 1 << 20, since)["tail"] == ""  # type: ignore[index]
    with log.open("a", encoding="utf-8") as handle:
        handle.write(LINE.format(2))
    appended = read_tail(str(log), 1 << 20, since)
    assert appended is not None
    assert appended["tail"] == LINE.format(2) and appended["offset"] == first["size"]

    log.write_text("", encoding="utf-8")  # truncated by copytruncate: read from the start again
    log.write_text(LINE.format(3), encoding="utf-8")
    again = read_tail(str(log), 1 << 20, {"inode": first["inode"], "size": 10_000})
    assert again is not None and again["tail"] == LINE.format(3)

    log.rename(tmp_path / "error.log.1")  # rotated: a new file, another inode
    log.write_text(LINE.format(4), encoding="utf-8")
    rotated = read_tail(str(log), 1 << 20, since)
    assert rotated is not None and rotated["tail"] == LINE.format(4) and rotated["offset"] == 0


def test_missing_unreadable_and_too_many_logs_are_problems(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text(LINE.format(1), encoding="utf-8")
    (tmp_path / "b.log").write_text(LINE.format(2), encoding="utf-8")
    (tmp_path / "dir.log").mkdir()
    (tmp_path / "php8.2-fpm.log").write_text("[01-May-2024 10:00:00] NOTICE: ready\n", encoding="utf-8")
    dump = (
        f"error_log {tmp_path}/a.log;\nerror_log {tmp_path}/gone.log;\nerror_log {tmp_path}/dir.log;\n"
        f"error_log {tmp_path}/a.log;\nerror_log {tmp_path}/b.log;\n"
    )
    nginx = {"dump": dump, "prefix": f"{tmp_path}/", "configure_arguments": "--error-log-path=stderr"}

    entries, problems = error_logs(nginx, [f"{tmp_path}/php*-fpm.log"], 1 << 20, 2, {})

    assert [e["path"] for e in entries] == [f"{tmp_path}/a.log", f"{tmp_path}/b.log"]
    assert problems == [
        {"source": f"{tmp_path}/gone.log", "message": "error log does not exist"},
        {"source": f"{tmp_path}/dir.log", "message": "cannot read: Is a directory"},
        {
            "source": f"{tmp_path}/php8.2-fpm.log",
            "message": "not read: error_log_max_files (2) logs were read already",
        },
    ]


def _run_collect(tmp_path: Path, args: dict[str, object]) -> dict[str, Any]:
    """The collect module in a child Python, as Ansible's old-style wrapper runs it."""
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    done = subprocess.run(
        [sys.executable, collect.__file__, str(args_file)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.skipif(not os.path.exists(NGINX), reason=f"{NGINX} is not installed")
def test_the_module_returns_the_tails_and_reads_only_what_is_new(tmp_path: Path) -> None:
    conf = tmp_path / "nginx.conf"
    log = tmp_path / "error.log"
    conf.write_text(f"error_log {log};\nevents {{}}\nhttp {{}}\n", encoding="utf-8")
    log.write_text(LINE.format(1), encoding="utf-8")
    args: dict[str, object] = {
        "nginx_binary": NGINX,
        "nginx_config": str(conf),
        "nginx_prefix": f"{tmp_path}/",
        "php_fpm_logs": [f"{tmp_path}/php*-fpm.log"],
    }

    [entry] = _run_collect(tmp_path, args)["collected"]["error_logs"]
    assert (entry["path"], entry["tail"], entry["offset"]) == (str(log), LINE.format(1), 0)

    with log.open("a", encoding="utf-8") as handle:
        handle.write(LINE.format(2))
    since = {str(log): {"inode": entry["inode"], "size": entry["size"]}}
    [newer] = _run_collect(tmp_path, {**args, "error_log_since": since})["collected"]["error_logs"]
    assert (newer["tail"], newer["offset"]) == (LINE.format(2), entry["size"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"error_log_max_bytes": 0}, "error_log_max_bytes must be greater than 0, got 0"),
        ({"error_log_max_files": -1}, "error_log_max_files must be greater than 0, got -1"),
        (
            {"error_log_since": {"/var/log/nginx/error.log": {"inode": 5}}},
            "error_log_since['/var/log/nginx/error.log'] must be {inode, size} with whole numbers, "
            "got {'inode': 5}",
        ),
    ],
)
def test_invalid_error_log_options_fail_in_one_line(
    tmp_path: Path, args: dict[str, object], message: str
) -> None:
    result = _run_collect(tmp_path, args)
    assert result["failed"] is True and result["msg"] == message
