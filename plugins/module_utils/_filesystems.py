# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mounted filesystems and their space and inode use; private to this collection.

Mounts come from /proc/self/mountinfo minus pseudo filesystems. Each statvfs() runs in a
daemon thread joined with a deadline, so a hung network mount costs the time limit and a
problem entry, never the whole module.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import threading
import time

PSEUDO_FSTYPES = frozenset(
    [
        "proc",
        "sysfs",
        "cgroup",
        "cgroup2",
        "devpts",
        "mqueue",
        "securityfs",
        "debugfs",
        "tracefs",
        "pstore",
        "bpf",
        "configfs",
        "fusectl",
        "hugetlbfs",
        "autofs",
        "binfmt_misc",
        "nsfs",
        "devtmpfs",
        "rpc_pipefs",
        "efivarfs",
        "ramfs",
        "selinuxfs",
    ]
)

_OCTAL = re.compile(r"\\([0-7]{3})")


def unescape(field):
    """Undo the kernel's octal escapes in mountinfo fields.

    The kernel writes \\040 for a space, \\011 for a tab, \\012 for a newline, \\134 for a backslash.
    """
    return _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), field)


def parse_mountinfo(text):
    """The real filesystems in /proc/self/mountinfo text: list of {mount, device, fstype}.

    Pseudo filesystems are left out (tmpfs and overlay are kept); when a mount point appears
    more than once the last mount wins, which is the one visible at that path.
    """
    by_mount = {}
    for line in text.splitlines():
        fields = line.split(" ")
        try:
            sep = fields.index("-", 6)
        except ValueError:
            continue
        if len(fields) < sep + 3:
            continue
        fstype = fields[sep + 1]
        base_type = fstype.split(".", 1)[0]  # "fuse.sshfs" is a real filesystem; plain "fusectl" is not
        if fstype in PSEUDO_FSTYPES or base_type in PSEUDO_FSTYPES:
            continue
        mount = unescape(fields[4])
        entry = {"mount": mount, "device": unescape(fields[sep + 2]), "fstype": fstype}
        by_mount.pop(mount, None)
        by_mount[mount] = entry
    return list(by_mount.values())


def usage_from_statvfs(st):
    """Sizes and percentages the way df(1) computes them, from an os.statvfs() result."""
    frsize = st.f_frsize or st.f_bsize
    size = st.f_blocks * frsize
    free = st.f_bfree * frsize
    avail = st.f_bavail * frsize
    used = size - free
    denominator = used + avail
    used_percent = round(used * 100.0 / denominator, 1) if denominator > 0 else 0.0
    inodes_used_percent = round((st.f_files - st.f_ffree) * 100.0 / st.f_files, 1) if st.f_files else None
    return {
        "size_bytes": int(size),
        "avail_bytes": int(avail),
        "used_percent": used_percent,
        "inodes_total": int(st.f_files),
        "inodes_free": int(st.f_ffree),
        "inodes_used_percent": inodes_used_percent,
    }


class _StatThread(threading.Thread):
    def __init__(self, path):
        threading.Thread.__init__(self, name="statvfs")
        self.daemon = True
        self.path = path
        self.result = None
        self.error = None

    def run(self):
        try:
            self.result = os.statvfs(self.path)
        except OSError as exc:
            self.error = exc


def filesystems(timeout, mountinfo_path="/proc/self/mountinfo"):
    """Every real mounted filesystem with its usage; statvfs calls share one deadline of timeout seconds.

    Returns (result, problems): result is a list in the shape of the collector's "filesystems"
    key; a mount whose statvfs fails or does not answer in time is left out and named in problems.
    """
    problems = []
    try:
        with open(mountinfo_path, "rb") as handle:
            text = handle.read(16 << 20).decode("utf-8", "replace")
    except OSError as exc:
        return [], [{"source": mountinfo_path, "message": "cannot read: %s" % exc.strerror}]
    mounts = parse_mountinfo(text)
    threads = []
    for entry in mounts:
        thread = _StatThread(entry["mount"])
        thread.start()
        threads.append((entry, thread))
    deadline = time.monotonic() + timeout
    result = []
    for entry, thread in threads:
        thread.join(max(deadline - time.monotonic(), 0))
        if thread.is_alive():
            problems.append(
                {
                    "source": "statvfs %s" % entry["mount"],
                    "message": "no answer after %s s (hung network filesystem?)" % timeout,
                }
            )
            continue
        if thread.error is not None:
            problems.append(
                {
                    "source": "statvfs %s" % entry["mount"],
                    "message": thread.error.strerror or str(thread.error),
                }
            )
            continue
        item = dict(entry)
        item.update(usage_from_statvfs(thread.result))
        result.append(item)
    return result, problems
