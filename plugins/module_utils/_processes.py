# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The processes nginx relies on, with their credentials, open files and open-file limits; private to
this collection.

Which processes: the running nginx master and its children (workers, cache manager and loader),
and the backends: the processes that own a listening socket on a port or path the hint list of
the dump names (see _targets.py) or a declared backend service listens on, with their direct
children (php-fpm's pool workers, gunicorn's workers). For each: effective user and groups
(``/proc/PID/status``), the soft and hard ``Max open files`` (``/proc/PID/limits``) and how many
descriptors it holds (the entries of ``/proc/PID/fd``). At most MAX_NGINX and MAX_BACKEND processes,
all within one deadline.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import os
import pwd
import re
import time

from ansible_collections.fix502.gateway.plugins.module_utils._sockets import (
    parent_pid,
    process_name,
    process_unit,
)

MAX_NGINX = 256
MAX_BACKEND = 64
_SPACES = re.compile(r"\s{2,}")


def _read(path, limit=65536):
    with open(path, "rb") as handle:
        return handle.read(limit).decode("utf-8", "replace")


def parse_limits(text):
    """(soft, hard) of the "Max open files" line of /proc/PID/limits text; None for unlimited or absent."""
    for line in text.splitlines():
        if not line.startswith("Max open files"):
            continue
        fields = _SPACES.split(line.strip())
        values = []
        for field in fields[1:3]:
            values.append(int(field) if field.isdigit() else None)
        while len(values) < 2:
            values.append(None)
        return values[0], values[1]
    return None, None


def parse_status(text):
    """{uid, gid, groups} (effective ids) of /proc/PID/status text; None for what is missing."""
    found = {"uid": None, "gid": None, "groups": []}
    for line in text.splitlines():
        name, _sep, rest = line.partition(":")
        words = rest.split()
        try:
            if name == "Uid" and len(words) > 1:
                found["uid"] = int(words[1])
            elif name == "Gid" and len(words) > 1:
                found["gid"] = int(words[1])
            elif name == "Groups":
                found["groups"] = sorted(set(int(w) for w in words))
        except ValueError:
            continue
    return found


def _title(pid):
    try:
        raw = _read("/proc/%d/cmdline" % pid, 4096)
    except OSError:
        return ""
    return " ".join(part for part in raw.split("\0") if part)


def _count_fds(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


def _user_name(uid):
    if uid is None:
        return None
    try:
        return pwd.getpwuid(uid)[0]
    except KeyError:
        return None


def describe(pid, role, serves=None):
    """One process entry, or None when it is gone."""
    try:
        status = parse_status(_read("/proc/%d/status" % pid))
    except OSError:
        return None
    soft = hard = None
    with contextlib.suppress(OSError):
        soft, hard = parse_limits(_read("/proc/%d/limits" % pid))
    return {
        "pid": pid,
        "ppid": parent_pid(pid),
        "role": role,
        "name": process_name(pid),
        "unit": process_unit(pid),
        "user": _user_name(status["uid"]),
        "uid": status["uid"],
        "gid": status["gid"],
        "groups": status["groups"],
        "fd_count": _count_fds(pid),
        "nofile_soft": soft,
        "nofile_hard": hard,
        "serves": list(serves or []),
    }


def _children(deadline):
    """{ppid: [pid, ...]} of every process, and whether the table is complete."""
    table = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return table, False
    for name in sorted((n for n in names if n.isdigit()), key=int):
        if time.monotonic() > deadline:
            return table, False
        ppid = parent_pid(int(name))
        if ppid is not None:
            table.setdefault(ppid, []).append(int(name))
    return table, True


def _listen_key(listen):
    """("tcp", port) or ("unix", path) of a backend service's listen value, or None."""
    listen = (listen or "").strip()
    if listen.startswith("unix:"):
        return ("unix", listen[len("unix:") :])
    port = listen.rsplit(":", 1)[-1]
    return ("tcp", int(port)) if port.isdigit() else None


def _address(item):
    host = item["address"]
    return "[%s]:%d" % (host, item["port"]) if ":" in host else "%s:%d" % (host, item["port"])


def processes(master_pid, listeners, ports, sockets, backend_listens, deadline):
    """The collector's "processes" key and a list of problems.

    ``listeners`` is the collector's "listeners" key; ``ports`` and ``sockets`` the hinted targets;
    ``backend_listens`` the declared backend services' listen values.
    """
    problems = []
    wanted = set(("tcp", port) for port in ports) | set(("unix", path) for path in sockets)
    for listen in backend_listens:
        key = _listen_key(listen)
        if key is not None:
            wanted.add(key)
    children, complete = _children(deadline)
    if not complete:
        problems.append(
            {"source": "/proc/*/stat", "message": "gave up reading the process table at the time limit"}
        )
    result = []
    nginx_pids = set()
    if master_pid:
        entry = describe(master_pid, "nginx-master")
        if entry is not None:
            result.append(entry)
            nginx_pids.add(master_pid)
        for pid in sorted(children.get(master_pid, []))[:MAX_NGINX]:
            title = _title(pid)
            role = "nginx-worker" if title.startswith("nginx: worker process") else "nginx-helper"
            entry = describe(pid, role)
            if entry is not None:
                result.append(entry)
                nginx_pids.add(pid)
    owners = {}
    for item in listeners.get("tcp") or []:
        if ("tcp", item["port"]) in wanted and item.get("pid") and item["pid"] not in nginx_pids:
            owners.setdefault(item["pid"], []).append(_address(item))
    for item in listeners.get("unix") or []:
        if ("unix", item["path"]) in wanted and item.get("pid") and item["pid"] not in nginx_pids:
            owners.setdefault(item["pid"], []).append("unix:" + item["path"])
    backends = []
    for pid in sorted(owners):
        backends.append((pid, owners[pid]))
        for child in sorted(children.get(pid, [])):
            backends.append((child, owners[pid]))
    if len(backends) > MAX_BACKEND:
        problems.append(
            {
                "source": "/proc",
                "message": "%d backend processes; the first %d are looked at" % (len(backends), MAX_BACKEND),
            }
        )
    seen = set()
    for pid, serves in backends[:MAX_BACKEND]:
        if pid in seen or pid in nginx_pids:
            continue
        seen.add(pid)
        if time.monotonic() > deadline:
            problems.append(
                {"source": "/proc", "message": "gave up describing backend processes at the time limit"}
            )
            break
        entry = describe(pid, "backend", sorted(set(serves)))
        if entry is not None:
            result.append(entry)
    return result, problems
