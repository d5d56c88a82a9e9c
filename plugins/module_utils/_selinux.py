# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SELinux as the kernel reports it, and nginx's denials in the audit log; private to this collection.

selinuxfs (mounted at /sys/fs/selinux when SELinux is enabled) has ``enforce`` ("1" enforcing,
"0" permissive) and one file per boolean under ``booleans/``, holding the current and the pending
value ("1 1", "0 0"). Only the booleans that let the web server (nginx runs as httpd_t) connect out
are read: httpd_can_network_connect (any port), httpd_can_network_relay (the web, cache and proxy
ports) and httpd_graceful_shutdown (the web ports, http_port_t); one the policy lacks is null.
When SELinux is enabled, the tail of /var/log/audit/audit.log (at most AUDIT_TAIL_BYTES)
is searched for AVC denials of nginx (``comm="nginx"`` or the httpd_t domain); the last
MAX_DENIALS lines are kept.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os

BOOLEANS = ("httpd_can_network_connect", "httpd_can_network_relay", "httpd_graceful_shutdown")
AUDIT_LOG = "var/log/audit/audit.log"
SELINUXFS = "sys/fs/selinux"
AUDIT_TAIL_BYTES = 1 << 20
MAX_DENIALS = 50


def _read(path, limit=4096):
    with open(path, "rb") as handle:
        return handle.read(limit).decode("utf-8", "replace")


def parse_boolean(text):
    """True/False from a selinuxfs boolean file ("1 1", "0 0": current, then pending); None if unreadable."""
    words = text.split()
    if not words or words[0] not in ("0", "1"):
        return None
    return words[0] == "1"


def nginx_denials(text):
    """The AVC denial lines of audit log text that concern nginx."""
    found = []
    for line in text.splitlines():
        if "avc:" not in line or "denied" not in line:
            continue
        if 'comm="nginx"' in line or ":httpd_t:" in line:
            found.append(line.strip())
    return found[-MAX_DENIALS:]


def _tail(path, limit):
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        start = max(size - limit, 0)
        handle.seek(start)
        data = handle.read(limit)
    if start:
        data = data[data.find(b"\n") + 1 :]
    return data.decode("utf-8", "replace")


def selinux(root="/"):
    """The collector's "selinux" key and a list of problems; ``root`` is "/" on a host."""
    problems = []
    base = os.path.join(root, SELINUXFS)
    audit_path = os.path.join(root, AUDIT_LOG)
    result = {
        "enabled": False,
        "enforcing": None,
        "booleans": dict((name, None) for name in BOOLEANS),
        "audit_log": {"path": "/" + AUDIT_LOG, "read": False, "denials": []},
    }
    enforce = os.path.join(base, "enforce")
    if not os.path.exists(enforce):
        return result, problems
    result["enabled"] = True
    try:
        result["enforcing"] = _read(enforce).strip() == "1"
    except OSError as exc:
        problems.append({"source": "/" + SELINUXFS + "/enforce", "message": "cannot read: %s" % exc.strerror})
    for name in BOOLEANS:
        try:
            result["booleans"][name] = parse_boolean(_read(os.path.join(base, "booleans", name)))
        except OSError as exc:
            if exc.errno != errno.ENOENT:  # a policy without this boolean is no problem
                problems.append(
                    {
                        "source": "/%s/booleans/%s" % (SELINUXFS, name),
                        "message": "cannot read: %s" % exc.strerror,
                    }
                )
    try:
        result["audit_log"]["denials"] = nginx_denials(_tail(audit_path, AUDIT_TAIL_BYTES))
        result["audit_log"]["read"] = True
    except OSError as exc:
        if os.path.exists(audit_path):
            problems.append({"source": "/" + AUDIT_LOG, "message": "cannot read: %s" % exc.strerror})
    return result, problems
