"""The bounded command runner: time limit, byte caps, process groups."""

from __future__ import annotations

import sys
import time

import pytest
from ansible_collections.fix502.gateway.plugins.module_utils._bounded import describe_failure, run_bounded


def test_clean_exit_keeps_both_streams() -> None:
    result = run_bounded(["sh", "-c", "echo out; echo err >&2; exit 3"], 5, 1024)
    assert result.rc == 3
    assert result.stdout == "out\n"
    assert result.stderr == "err\n"
    assert not result.truncated
    assert not result.timed_out
    assert describe_failure(result, 5) == "exit status 3: err"


def test_timeout_kills_the_command() -> None:
    started = time.monotonic()
    result = run_bounded(["sleep", "5"], 0.5, 1024)
    elapsed = time.monotonic() - started
    assert result.timed_out
    assert result.rc is None
    assert elapsed < 3
    assert describe_failure(result, 0.5) == "timed out after 0.5 s"


def test_timeout_kills_grandchildren_holding_the_pipes() -> None:
    # The shell's child keeps stdout open; only killing the process group ends the read.
    started = time.monotonic()
    result = run_bounded(["sh", "-c", "echo started; sleep 5; echo never"], 0.5, 1024)
    assert result.timed_out
    assert result.stdout == "started\n"
    assert time.monotonic() - started < 3


def test_byte_cap_keeps_the_head_and_drains_the_rest() -> None:
    # 1 MB of output against a 1000-byte cap: the command must still finish normally (rc 0).
    code = "import sys; sys.stdout.write('x' * 1000000)"
    result = run_bounded([sys.executable, "-c", code], 10, 1000)
    assert result.rc == 0
    assert not result.timed_out
    assert result.stdout == "x" * 1000
    assert result.truncated
    assert result.stdout_truncated
    assert not result.stderr_truncated


def test_stderr_has_its_own_cap() -> None:
    code = "import sys; sys.stderr.write('e' * 5000); sys.stdout.write('ok')"
    result = run_bounded([sys.executable, "-c", code], 10, 1000, max_stderr_bytes=100)
    assert result.stdout == "ok"
    assert result.stderr == "e" * 100
    assert result.stderr_truncated
    assert not result.stdout_truncated


def test_keep_tail_keeps_the_last_whole_lines() -> None:
    result = run_bounded(["seq", "1", "100000"], 10, 100, keep_tail=True)
    assert result.rc == 0
    assert result.truncated
    lines = result.stdout.splitlines()
    assert lines[-1] == "100000"
    assert len(result.stdout) <= 100
    # Every line kept is whole: consecutive numbers ending at 100000.
    assert [int(n) for n in lines] == list(range(100001 - len(lines), 100001))


def test_a_missing_command_raises_oserror() -> None:
    with pytest.raises(OSError):
        run_bounded(["/nonexistent/fix502-no-such-tool"], 1, 100)


@pytest.mark.parametrize(("timeout", "cap"), [(0, 10), (-1, 10), (1, 0)])
def test_invalid_bounds_are_refused(timeout: float, cap: int) -> None:
    with pytest.raises(ValueError):
        run_bounded(["true"], timeout, cap)
