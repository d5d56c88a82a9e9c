"""Write an nginx configuration into a temp dir, judge it with one check, and ask nginx -t about it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from fix502.catalogue import BY_ID
from fix502.engine import COLLECTED_SCHEMA, judge_host
from fix502.model import Finding
from fix502.nginx_config import parse_files
from fix502.thresholds import Thresholds

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

# Everything nginx -t needs to run unprivileged paths: its error log and pid in the temp dir.
HEAD = "error_log @TMP@/error.log;\npid @TMP@/nginx.pid;\n"
EVENTS = "events {}\n"


def write(tmp: Path, body: str, *, events: bool = True, files: dict[str, str] | None = None) -> Path:
    """nginx.conf in ``tmp`` (HEAD, an events block unless the body has one, then ``body``)."""
    text = HEAD + (EVENTS if events else "") + body
    conf = tmp / "nginx.conf"
    conf.write_text(text.replace("@TMP@", str(tmp)), encoding="utf-8")
    for name, content in (files or {}).items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return conf


def line_of(conf: Path, needle: str, nth: int = 1) -> int:
    """1-based number of the ``nth`` line of ``conf`` containing ``needle``."""
    hits = [i for i, line in enumerate(conf.read_text().splitlines(), 1) if needle in line]
    return hits[nth - 1]


def judge(conf: Path, check_id: str, **thresholds: str) -> list[Finding]:
    limits = Thresholds().updated(thresholds, "test")
    judgement = judge_host(
        "test",
        {"schema": COLLECTED_SCHEMA},
        [BY_ID[check_id]],
        thresholds=limits,
        config=parse_files(str(conf)),
    )
    return judgement.report.findings


def nginx_t(conf: Path) -> subprocess.CompletedProcess[str]:
    if not Path(NGINX).exists():
        pytest.fail("nginx is not installed (make test installs it)")
    return subprocess.run(
        [NGINX, "-t", "-q", "-c", str(conf), "-p", f"{conf.parent}/"],
        capture_output=True,
        text=True,
        check=False,
    )


def assert_valid(conf: Path) -> None:
    done = nginx_t(conf)
    assert done.returncode == 0, done.stderr
