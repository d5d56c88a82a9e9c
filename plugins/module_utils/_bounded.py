# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run one command with a time limit and a byte cap; private to this collection.

The collector must never hang on a managed host and never ship megabytes it did not ask
for, so every external command goes through run_bounded(): it reads stdout and stderr
as they come, keeps at most a fixed number of bytes of each (the rest is read and
dropped, so the child never blocks on a full pipe), and kills the whole process group
when the deadline passes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import contextlib
import errno
import os
import selectors
import signal
import subprocess
import time

_ResultTuple = collections.namedtuple("BoundedResult", ["rc", "stdout", "stderr", "truncated", "timed_out"])


class BoundedResult(_ResultTuple):
    """(rc, stdout, stderr, truncated, timed_out), plus which stream was cut.

    truncated is true when either stream was cut; stdout_truncated and stderr_truncated tell
    them apart.
    """

    def __new__(
        cls, rc, stdout, stderr, truncated, timed_out, stdout_truncated=False, stderr_truncated=False
    ):
        self = _ResultTuple.__new__(cls, rc, stdout, stderr, truncated, timed_out)
        self.stdout_truncated = stdout_truncated
        self.stderr_truncated = stderr_truncated
        return self


DEFAULT_STDERR_BYTES = 64 * 1024
_READ_CHUNK = 65536


def c_locale_env():
    """The environment for commands whose messages are parsed: current one, C locale."""
    env = dict(os.environ)
    env["LC_ALL"] = "C"
    env["LANG"] = "C"
    env.pop("LANGUAGE", None)
    return env


class _Sink(object):
    """Collects the bytes of one stream, keeping the head (or the tail) up to a cap."""

    def __init__(self, cap, keep_tail):
        self.cap = cap
        self.keep_tail = keep_tail
        self.buf = bytearray()
        self.truncated = False

    def add(self, data):
        if self.keep_tail:
            self.buf.extend(data)
            if len(self.buf) > 2 * self.cap:
                del self.buf[: len(self.buf) - self.cap]
                self.truncated = True
            return
        room = self.cap - len(self.buf)
        if room >= len(data):
            self.buf.extend(data)
        else:
            if room > 0:
                self.buf.extend(data[:room])
            self.truncated = True

    def text(self):
        data = bytes(self.buf)
        if self.keep_tail and (self.truncated or len(data) > self.cap):
            data = data[len(data) - self.cap :] if len(data) > self.cap else data
            self.truncated = True
            # Drop the partial first line left over by the cut.
            nl = data.find(b"\n")
            if nl != -1:
                data = data[nl + 1 :]
        return data.decode("utf-8", "replace")


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        with contextlib.suppress(OSError):
            proc.kill()


def run_bounded(
    argv, timeout, max_bytes, max_stderr_bytes=DEFAULT_STDERR_BYTES, keep_tail=False, env=None, cwd=None
):
    """Run argv (a list, no shell) for at most timeout seconds.

    Keeps at most max_bytes of stdout and max_stderr_bytes of stderr: the first bytes, or the
    last ones (whole lines) when keep_tail is true. Returns a BoundedResult(rc, stdout, stderr,
    truncated, timed_out): rc is None when the command timed out and was killed; truncated is
    true when either stream was cut. Raises OSError when the command cannot be started at all
    (not found, not executable).
    """
    if timeout <= 0:
        raise ValueError("timeout must be > 0")
    if max_bytes <= 0 or max_stderr_bytes <= 0:
        raise ValueError("byte caps must be > 0")
    proc = subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=cwd,
        close_fds=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    sinks = {
        proc.stdout.fileno(): _Sink(max_bytes, keep_tail),
        proc.stderr.fileno(): _Sink(max_stderr_bytes, keep_tail),
    }
    out_sink = sinks[proc.stdout.fileno()]
    err_sink = sinks[proc.stderr.fileno()]
    timed_out = False
    sel = selectors.DefaultSelector()
    try:
        for fd in sinks:
            sel.register(fd, selectors.EVENT_READ)
        open_fds = len(sinks)
        while open_fds:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            for key, _events in sel.select(remaining):
                fd = key.fd
                try:
                    data = os.read(fd, _READ_CHUNK)
                except OSError as exc:
                    if exc.errno in (errno.EINTR, errno.EAGAIN):
                        continue
                    data = b""
                if data:
                    sinks[fd].add(data)
                else:
                    sel.unregister(fd)
                    open_fds -= 1
        rc = None
        if not timed_out:
            # Both pipes are closed; the process is normally gone or about to be.
            remaining = deadline - time.monotonic()
            try:
                rc = proc.wait(max(remaining, 0.01))
            except subprocess.TimeoutExpired:
                timed_out = True
        if timed_out:
            _kill_group(proc)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(2)
            rc = None
    finally:
        sel.close()
        for stream in (proc.stdout, proc.stderr):
            with contextlib.suppress(OSError):
                stream.close()
        if proc.returncode is None:
            _kill_group(proc)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(2)
    stdout = out_sink.text()
    stderr = err_sink.text()
    return BoundedResult(
        rc,
        stdout,
        stderr,
        out_sink.truncated or err_sink.truncated,
        timed_out,
        stdout_truncated=out_sink.truncated,
        stderr_truncated=err_sink.truncated,
    )


def describe_failure(result, timeout):
    """A one-line reason when result is not a clean exit 0, else None."""
    if result.timed_out:
        return "timed out after %s s" % _fmt_seconds(timeout)
    if result.rc != 0:
        last = ""
        for line in reversed(result.stderr.splitlines()):
            if line.strip():
                last = line.strip()
                break
        if last:
            return "exit status %s: %s" % (result.rc, last[:300])
        return "exit status %s" % result.rc
    return None


def _fmt_seconds(value):
    if float(value) == int(value):
        return str(int(value))
    return str(value)
