# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Listening TCP and unix sockets and who owns them, read from /proc; private to this collection.

TCP listeners come from /proc/net/tcp and /proc/net/tcp6 (state 0A), unix listeners from
/proc/net/unix (flag __SO_ACCEPTCON). A socket's owner is found by reading every
/proc/PID/fd/* link and matching "socket:[INODE]"; the process name comes from
/proc/PID/comm and the systemd unit from /proc/PID/cgroup.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import socket
import struct
import time

TCP_LISTEN = "0A"
SO_ACCEPTCON = 0x00010000
UNIT_SUFFIXES = (".service", ".scope", ".socket")


def decode_address(hex_addr):
    """Decode a /proc/net/tcp{,6} address: 8 or 32 hex digits, each 32-bit word little-endian."""
    if len(hex_addr) == 8:
        return socket.inet_ntop(socket.AF_INET, struct.pack("<I", int(hex_addr, 16)))
    if len(hex_addr) == 32:
        packed = b"".join(struct.pack("<I", int(hex_addr[i : i + 8], 16)) for i in range(0, 32, 8))
        return socket.inet_ntop(socket.AF_INET6, packed)
    raise ValueError("not a /proc/net address: %r" % hex_addr)


def parse_proc_net_tcp(text, family):
    """The listening sockets of one /proc/net/tcp{,6} text: list of (address, port, family, inode)."""
    found = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10 or fields[3] != TCP_LISTEN:
            continue
        addr_hex, _sep, port_hex = fields[1].partition(":")
        try:
            address = decode_address(addr_hex)
            port = int(port_hex, 16)
            inode = int(fields[9])
        except ValueError:
            continue
        found.append((address, port, family, inode))
    return found


def parse_proc_net_unix(text):
    """The listening unix sockets with a name in /proc/net/unix text: list of (path, inode).

    Abstract sockets keep their leading "@".
    """
    found = []
    for line in text.splitlines()[1:]:
        fields = line.split(None, 7)
        if len(fields) < 8:
            continue  # no path: an unnamed socket
        try:
            flags = int(fields[3], 16)
            inode = int(fields[6])
        except ValueError:
            continue
        if not flags & SO_ACCEPTCON:
            continue
        found.append((fields[7], inode))
    return found


def _read_text(path, limit=1 << 20):
    with open(path, "rb") as handle:
        return handle.read(limit).decode("utf-8", "replace")


def _pids():
    try:
        names = os.listdir("/proc")
    except OSError:
        return []
    return sorted(int(name) for name in names if name.isdigit())


def socket_owners(inodes, deadline=None):
    """Map each wanted socket inode to the pids that hold it open.

    Returns (owners, denied, complete): owners is {inode: [pid, ...]}, denied the number of
    processes whose fd directory could not be read (not root), complete false when the
    deadline (a time.monotonic() value) passed before every process was looked at.
    """
    wanted = set(inodes)
    owners = {}
    denied = 0
    if not wanted:
        return owners, denied, True
    for pid in _pids():
        if deadline is not None and time.monotonic() > deadline:
            return owners, denied, False
        fd_dir = "/proc/%d/fd" % pid
        try:
            fds = os.listdir(fd_dir)
        except PermissionError:
            denied += 1
            continue
        except OSError:
            continue  # gone, or a kernel thread
        blocked = False
        for fd in fds:
            try:
                target = os.readlink(fd_dir + "/" + fd)
            except PermissionError:
                blocked = True
                continue
            except OSError:
                continue  # closed meanwhile
            if not target.startswith("socket:["):
                continue
            try:
                inode = int(target[8:-1])
            except ValueError:
                continue
            if inode in wanted:
                holders = owners.setdefault(inode, [])
                if pid not in holders:
                    holders.append(pid)
        if blocked:
            denied += 1
    return owners, denied, True


def process_name(pid):
    try:
        return _read_text("/proc/%d/comm" % pid, 4096).strip() or None
    except (OSError, ValueError):
        return None


def parent_pid(pid):
    try:
        stat = _read_text("/proc/%d/stat" % pid, 4096)
    except OSError:
        return None
    # "PID (comm) STATE PPID ...": comm may hold spaces and parentheses, so split after the last ")".
    rest = stat[stat.rfind(")") + 2 :].split()
    try:
        return int(rest[1])
    except (IndexError, ValueError):
        return None


def unit_from_cgroup_text(text):
    """The systemd unit in /proc/PID/cgroup text: the last path component ending in .service/.scope/.socket.

    The unified ("0::") line or the "name=systemd" line is preferred; any other line is a fallback.
    """
    preferred = []
    others = []
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if (parts[0] == "0" and parts[1] == "") or parts[1] == "name=systemd":
            preferred.append(parts[2])
        else:
            others.append(parts[2])
    for path in preferred + others:
        for component in reversed(path.strip().split("/")):
            if component.endswith(UNIT_SUFFIXES):
                return component
    return None


def process_unit(pid):
    try:
        return unit_from_cgroup_text(_read_text("/proc/%d/cgroup" % pid, 65536))
    except OSError:
        return None


def pick_owner(pids):
    """Of several processes sharing one socket, the topmost one (e.g. nginx's master, not a worker)."""
    if not pids:
        return None
    holders = set(pids)
    top = [pid for pid in pids if parent_pid(pid) not in holders]
    return min(top or pids)


def _describe(pid, cache):
    if pid is None:
        return None, None
    if pid not in cache:
        cache[pid] = (process_name(pid), process_unit(pid))
    return cache[pid]


def _keep_one(entries, index, key, entry):
    """Add entry once per key; a later one replaces it only when it names an owner the first lacks."""
    if key in index:
        if entries[index[key]]["pid"] is None and entry["pid"] is not None:
            entries[index[key]] = entry
        return
    index[key] = len(entries)
    entries.append(entry)


def listeners(deadline=None):
    """All listening TCP (v4 and v6) and unix sockets, with owner when it can be found.

    Returns (result, problems): result is {"tcp": [...], "unix": [...]} in the shape of the
    collector's "listeners" key; problems is a list of {source, message}.
    """
    problems = []
    tcp = []
    for path, family in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 6)):
        try:
            tcp.extend(parse_proc_net_tcp(_read_text(path, 64 << 20), family))
        except OSError as exc:
            if family == 6 and not os.path.exists(path):
                continue  # IPv6 disabled
            problems.append({"source": path, "message": "cannot read: %s" % exc.strerror})
    unix = []
    try:
        unix = parse_proc_net_unix(_read_text("/proc/net/unix", 64 << 20))
    except OSError as exc:
        problems.append({"source": "/proc/net/unix", "message": "cannot read: %s" % exc.strerror})

    inodes = [item[3] for item in tcp] + [item[1] for item in unix]
    owners, denied, complete = socket_owners([i for i in inodes if i], deadline)
    if denied:
        hint = " (not root?)" if os.geteuid() != 0 else ""
        problems.append(
            {
                "source": "/proc/*/fd",
                "message": "cannot read the open files of %d process(es)%s: "
                "their sockets are listed without an owner" % (denied, hint),
            }
        )
    if not complete:
        problems.append(
            {
                "source": "/proc/*/fd",
                "message": "gave up matching sockets to processes at the time limit: some owners are missing",
            }
        )

    cache = {}
    tcp_out = []
    index = {}
    for address, port, family, inode in tcp:
        pid = pick_owner(owners.get(inode, []))
        name, unit = _describe(pid, cache)
        entry = {
            "address": address,
            "port": port,
            "family": family,
            "pid": pid,
            "process": name,
            "unit": unit,
        }
        # SO_REUSEPORT: one socket per worker; one entry per address.
        _keep_one(tcp_out, index, (family, address, port), entry)
    tcp_out.sort(key=lambda e: (e["port"], e["family"], e["address"]))

    unix_out = []
    seen = {}
    for path, inode in unix:
        pid = pick_owner(owners.get(inode, []))
        name, unit = _describe(pid, cache)
        _keep_one(unix_out, seen, path, {"path": path, "pid": pid, "process": name, "unit": unit})
    unix_out.sort(key=lambda e: e["path"])
    return {"tcp": tcp_out, "unix": unix_out}, problems
