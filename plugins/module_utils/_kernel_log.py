# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Out-of-memory evidence from the kernel log; private to this collection.

Sources, first that works: journalctl -k (when systemd runs the host), dmesg (ISO times,
plain when that flag is not known), the tail of /var/log/kern.log.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.fix502.gateway.plugins.module_utils._bounded import (
    c_locale_env,
    describe_failure,
    run_bounded,
)
from ansible_collections.fix502.gateway.plugins.module_utils._systemd import find_tool, systemd_running

OOM_RE = re.compile(r"out of memory|oom-kill|oom_reaper|invoked oom-killer|killed process", re.IGNORECASE)
MAX_OOM_LINES = 200
KERN_LOG = "/var/log/kern.log"
_BYTES_PER_LINE = 512


def oom_lines(lines):
    """The lines that tell of the OOM killer at work, at most the last MAX_OOM_LINES."""
    return [line for line in lines if OOM_RE.search(line)][-MAX_OOM_LINES:]


def _log_lines(text):
    """Lines of a log output, minus journalctl's "-- ... --" markers and blank lines."""
    return [line for line in text.splitlines() if line.strip() and not line.startswith("-- ")]


def _cap(max_lines):
    return max(max_lines * _BYTES_PER_LINE, 1 << 20)


def _from_command(name, argv, max_lines, timeout, problems):
    try:
        run = run_bounded(argv, timeout, _cap(max_lines), keep_tail=True, env=c_locale_env())
    except OSError as exc:
        problems.append({"source": name, "message": "cannot run: %s" % (exc.strerror or exc)})
        return None
    failure = describe_failure(run, timeout)
    if failure:
        problems.append({"source": name, "message": failure})
        return None
    lines = _log_lines(run.stdout)[-max_lines:]
    if not lines and run.stderr.strip():
        # e.g. journalctl as a user outside the systemd-journal group: exit 0, no entries, a hint.
        problems.append({"source": name, "message": run.stderr.strip().splitlines()[0][:300]})
        return None
    return lines


def _tail_file(path, max_lines, max_bytes):
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        start = max(size - max_bytes, 0)
        handle.seek(start)
        data = handle.read(max_bytes)
    if start > 0:
        nl = data.find(b"\n")
        data = data[nl + 1 :] if nl != -1 else b""
    return _log_lines(data.decode("utf-8", "replace"))[-max_lines:]


def kernel_log(max_lines, timeout):
    """{"source", "lines_scanned", "oom_lines"} from the first kernel log source that works, and problems."""
    problems = []
    result = {"source": None, "lines_scanned": 0, "oom_lines": []}
    lines = None
    if systemd_running():
        journalctl = find_tool("journalctl", ("/usr/bin/journalctl", "/bin/journalctl"))
        if journalctl is None:
            problems.append({"source": "journalctl -k", "message": "journalctl not found"})
        else:
            argv = [journalctl, "-k", "-o", "short-iso", "--no-pager", "-n", str(max_lines)]
            lines = _from_command("journalctl -k", argv, max_lines, timeout, problems)
            if lines is not None:
                result["source"] = "journalctl -k"
    if lines is None:
        dmesg = find_tool("dmesg", ("/usr/bin/dmesg", "/bin/dmesg"))
        if dmesg is None:
            problems.append({"source": "dmesg", "message": "dmesg not found"})
        else:
            scratch = []
            lines = _from_command("dmesg", [dmesg, "--time-format", "iso"], max_lines, timeout, scratch)
            if lines is not None:
                result["source"] = "dmesg --time-format iso"
            else:
                lines = _from_command("dmesg", [dmesg], max_lines, timeout, problems)
                if lines is not None:
                    result["source"] = "dmesg"
    if lines is None:
        try:
            lines = _tail_file(KERN_LOG, max_lines, _cap(max_lines))
            result["source"] = KERN_LOG
        except OSError as exc:
            if os.path.exists(KERN_LOG):
                problems.append({"source": KERN_LOG, "message": "cannot read: %s" % exc.strerror})
            else:
                problems.append({"source": KERN_LOG, "message": "does not exist"})
            lines = None
    if lines is not None:
        result["lines_scanned"] = len(lines)
        result["oom_lines"] = oom_lines(lines)
    else:
        problems.append(
            {
                "source": "kernel log",
                "message": "no kernel log source could be read; OOM kills cannot be seen",
            }
        )
    return result, problems
