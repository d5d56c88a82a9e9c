# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where nginx connects to, seen from the host; private to this collection.

The collector cannot parse nginx's configuration (the controller does, with every directive's
file and line). What it needs to know here is only which names to resolve and which socket
paths to look at, so it makes a HINT LIST with a light scan of the ``nginx -T`` dump:

- the first argument of every ``proxy_pass``, ``fastcgi_pass``, ``uwsgi_pass``, ``scgi_pass``,
  ``grpc_pass``, ``memcached_pass`` and ``server`` line (``server {`` opens a block and has no
  such argument): a host name (with its port, or the scheme's), an address or ``unix:/path``;
- the names of ``upstream`` blocks, so that ``proxy_pass http://backend`` is not resolved;
- the value of ``set $var VALUE`` when it looks like a backend (a scheme, a port or a dotted
  name), for a ``*_pass`` with variables;
- ``user NAME [GROUP]``, the account nginx's workers run as;
- the names of nginx -T's own ``host not found in upstream "NAME"`` messages (then there is no
  dump at all: nginx refuses the configuration).

The scan may find more than nginx uses (a commented-out block's twin, a ``server`` of a mail
block); the controller matches what it parsed against what was gathered and ignores the rest.
For each hint: the name resolved with getaddrinfo (addresses or the error, and the time it
took; all names at once in daemon threads that share one deadline), each socket path's owner,
group, mode and POSIX ACL with every directory above it, the accounts nginx may run as from the user
database (``/etc/passwd``, ``/etc/group`` through NSS), the nameservers of
``/etc/resolv.conf`` and the ``/etc/hosts`` lines naming a hinted name.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import os
import pwd
import re
import socket
import stat
import struct
import threading
import time

MAX_NAMES = 64
MAX_SOCKETS = 64
MAX_PORTS = 128
MAX_USERS = 16
MAX_HOSTS_BYTES = 1 << 20
DEFAULT_ACCOUNTS = ("www-data", "nginx", "nobody")
DEFAULT_GROUPS = ("nogroup",)
SCHEME_PORTS = (
    ("http://", 80),
    ("https://", 443),
    ("grpc://", 80),
    ("grpcs://", 443),
    ("uwsgi://", None),
    ("suwsgi://", None),
)
_WORD = r"(?:\"[^\"]*\"|'[^']*'|[^\s;{}\"']+)"
_EDGE = r"(?:^|(?<=[\s;{}]))"
_TARGET_RE = re.compile(
    _EDGE
    + r"(proxy_pass|fastcgi_pass|uwsgi_pass|scgi_pass|grpc_pass|memcached_pass|server)\s+("
    + _WORD
    + r")"
)
_UPSTREAM_RE = re.compile(_EDGE + r"upstream\s+(" + _WORD + r")\s*\{")
_SET_RE = re.compile(_EDGE + r"set\s+\$\w+\s+(" + _WORD + r")\s*;")
_USER_RE = re.compile(_EDGE + r"user\s+(" + _WORD + r")(?:\s+(" + _WORD + r"))?\s*;")
_COMMENT_RE = re.compile(r"(^|[\s;{}])#[^\n]*", re.MULTILINE)
_NOT_FOUND_RE = re.compile(r'host not found in upstream "([^"]+)"')
_DOTTED = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_-]*)(\.[A-Za-z0-9_-]+)+\.?$")
_EAI_NAMES = dict((getattr(socket, n), n) for n in dir(socket) if n.startswith("EAI_"))


def _unquote(word):
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "\"'":
        return word[1:-1]
    return word


def is_ip(text):
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, text.split("%", 1)[0])
            return True
        except (OSError, ValueError):
            continue
    return False


def parse_target(value, default_port):
    """("socket", path) or ("tcp", host, port) for a *_pass/server argument; None for variables and others.

    ``port`` is None when neither the value nor its scheme gives one.
    """
    value = _unquote(value)
    if "$" in value:
        return None
    for scheme, port in SCHEME_PORTS:
        if value.startswith(scheme):
            value = value[len(scheme) :]
            default_port = port
            break
    if value.startswith("unix:"):
        path = value[len("unix:") :].split(":", 1)[0]
        return ("socket", path) if path.startswith("/") else None
    authority = value.split("/", 1)[0]
    if not authority:
        return None
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            return None
        host, rest = authority[1:end], authority[end + 1 :]
        port = int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else default_port
        return ("tcp", host, port)
    if authority.count(":") == 1:
        host, _sep, tail = authority.partition(":")
        if not tail.isdigit() or not host:
            return None
        return ("tcp", host, int(tail))
    if ":" in authority:
        return None
    return ("tcp", authority, default_port)


def scan_dump(dump, test_messages=()):
    """The hint list of an nginx -T dump: {names, sockets, ports, users, groups, dropped}.

    ``dropped`` counts hints left out past the caps (MAX_NAMES, MAX_SOCKETS, MAX_PORTS).
    """
    text = _COMMENT_RE.sub(r"\1", dump or "")
    upstreams = set(_unquote(m.group(1)) for m in _UPSTREAM_RE.finditer(text))
    names, sockets, ports, users, groups = [], [], [], [], []
    dropped = [0]

    def add(items, value, cap):
        if value in items:
            return
        if len(items) >= cap:
            dropped[0] += 1
            return
        items.append(value)

    def note(target):
        if target is None:
            return
        if target[0] == "socket":
            add(sockets, target[1], MAX_SOCKETS)
            return
        _kind, host, port = target
        if port is None or host in upstreams:
            return  # an upstream block's name, or nothing nginx could connect to
        if not is_ip(host):
            add(names, host.rstrip(".").lower(), MAX_NAMES)
        add(ports, port, MAX_PORTS)

    for match in _TARGET_RE.finditer(text):
        word, value = match.group(1), match.group(2)
        note(parse_target(value, 80 if word == "server" else None))
    for match in _SET_RE.finditer(text):
        # A value that names a backend: a scheme, an explicit port or a dotted name.
        value = _unquote(match.group(1))
        target = parse_target(value, 80)
        if target is None or target[0] == "socket":
            note(target)
            continue
        has_scheme = any(value.startswith(scheme) for scheme, _port in SCHEME_PORTS)
        has_port = ":" in value.split("/", 1)[0]
        if has_scheme or has_port or (_DOTTED.match(target[1]) and re.search("[A-Za-z]", target[1])):
            note(target)
    for match in _USER_RE.finditer(text):
        add(users, _unquote(match.group(1)), MAX_USERS)
        if match.group(2):
            add(groups, _unquote(match.group(2)), MAX_USERS)
    for line in test_messages or ():
        for match in _NOT_FOUND_RE.finditer(line):
            target = parse_target(match.group(1), 80)
            if target is not None and target[0] == "tcp" and not is_ip(target[1]):
                add(names, target[1].rstrip(".").lower(), MAX_NAMES)
    return {
        "names": names,
        "sockets": sockets,
        "ports": sorted(ports),
        "users": users,
        "groups": groups,
        "dropped": dropped[0],
    }


class _ResolveThread(threading.Thread):
    def __init__(self, name):
        threading.Thread.__init__(self, name="getaddrinfo")
        self.daemon = True
        self.host = name
        self.addresses = []
        self.error = None
        self.error_code = None
        self.ms = None

    def run(self):
        started = time.monotonic()
        try:
            for info in socket.getaddrinfo(self.host, None, 0, socket.SOCK_STREAM):
                address = info[4][0]
                if address not in self.addresses:
                    self.addresses.append(address)
        except socket.gaierror as exc:
            self.error = exc.strerror or str(exc)
            self.error_code = _EAI_NAMES.get(exc.errno)
        except (OSError, UnicodeError, ValueError) as exc:
            self.error = getattr(exc, "strerror", None) or str(exc)
        self.ms = int((time.monotonic() - started) * 1000)


def resolve(names, timeout):
    """Each name resolved with getaddrinfo, all at once; they share a deadline of ``timeout`` seconds.

    Returns a list of {name, addresses, error, error_code, ms, timed_out}.
    """
    threads = []
    for name in names:
        thread = _ResolveThread(name)
        thread.start()
        threads.append(thread)
    deadline = time.monotonic() + timeout
    result = []
    for thread in threads:
        thread.join(max(deadline - time.monotonic(), 0))
        if thread.is_alive():
            result.append(
                {
                    "name": thread.host,
                    "addresses": [],
                    "error": "no answer within %s s" % timeout,
                    "error_code": None,
                    "ms": int(timeout * 1000),
                    "timed_out": True,
                }
            )
            continue
        result.append(
            {
                "name": thread.host,
                "addresses": thread.addresses,
                "error": thread.error,
                "error_code": thread.error_code,
                "ms": thread.ms,
                "timed_out": False,
            }
        )
    return result


def parse_resolv_conf(text):
    """{nameservers, search, options} of resolv.conf text; the last search/domain line wins, as in glibc."""
    found = {"nameservers": [], "search": [], "options": []}
    for line in text.splitlines():
        words = line.split()
        if not words or words[0].startswith(("#", ";")):
            continue
        if words[0] == "nameserver" and len(words) > 1:
            found["nameservers"].append(words[1])
        elif words[0] in ("search", "domain"):
            found["search"] = words[1:]
        elif words[0] == "options":
            found["options"].extend(words[1:])
    return found


def parse_hosts(text, wanted):
    """(entries naming one of ``wanted`` as {address, names, line}, number of entries) of /etc/hosts text."""
    wanted = set(name.lower() for name in wanted)
    entries = []
    count = 0
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split("#", 1)[0].split()
        if len(words) < 2:
            continue
        count += 1
        names = [w.lower().rstrip(".") for w in words[1:]]
        if wanted.intersection(names):
            entries.append({"address": words[0], "names": words[1:], "line": number})
    return entries, count


def _read(path, limit):
    with open(path, "rb") as handle:
        return handle.read(limit).decode("utf-8", "replace")


def _name_of(getter, number):
    try:
        return getter(number)[0]
    except (KeyError, OverflowError):
        return None


# The POSIX access ACL as the kernel keeps it (linux/posix_acl_xattr.h): a version, then entries of
# (tag, permission bits rwx, id), little-endian.
ACL_XATTR = "system.posix_acl_access"
_ACL_VERSION = 2
_ACL_TAGS = {0x01: "user_obj", 0x02: "user", 0x04: "group_obj", 0x08: "group", 0x10: "mask", 0x20: "other"}


def posix_acl(path):
    """The entries of the POSIX access ACL of path as [{tag, id, name, perm}] (``id`` and ``name``
    for the named ``user`` and ``group`` entries only; ``perm``: 4 read, 2 write, 1 execute), or
    None when it has none: then its mode says it all."""
    getxattr = getattr(os, "getxattr", None)
    if getxattr is None:
        return None
    try:
        raw = getxattr(path, ACL_XATTR)
    except OSError:  # no ACL (ENODATA), or a filesystem without them
        return None
    if len(raw) < 4 or (len(raw) - 4) % 8 or struct.unpack_from("<I", raw)[0] != _ACL_VERSION:
        return None
    entries = []
    for at in range(4, len(raw), 8):
        tag, perm, number = struct.unpack_from("<HHI", raw, at)
        entry = {"tag": _ACL_TAGS.get(tag, "unknown"), "perm": perm & 7}
        if tag == 0x02:
            entry.update({"id": number, "name": _name_of(pwd.getpwuid, number)})
        elif tag == 0x08:
            entry.update({"id": number, "name": _name_of(grp.getgrgid, number)})
        entries.append(entry)
    return entries


def stat_entry(path):
    """{path, type, mode ("0660"), uid, gid, owner, group, acl, error} of a path, following symlinks."""
    entry = {
        "path": path,
        "type": None,
        "mode": None,
        "uid": None,
        "gid": None,
        "owner": None,
        "group": None,
        "acl": None,
        "error": None,
    }
    try:
        st = os.stat(path)
    except OSError as exc:
        entry["error"] = exc.strerror or str(exc)
        return entry
    if stat.S_ISSOCK(st.st_mode):
        kind = "socket"
    elif stat.S_ISDIR(st.st_mode):
        kind = "directory"
    elif stat.S_ISREG(st.st_mode):
        kind = "file"
    else:
        kind = "other"
    entry.update(
        {
            "type": kind,
            "mode": "%04o" % stat.S_IMODE(st.st_mode),
            "uid": st.st_uid,
            "gid": st.st_gid,
            "owner": _name_of(pwd.getpwuid, st.st_uid),
            "group": _name_of(grp.getgrgid, st.st_gid),
            "acl": posix_acl(path),
        }
    )
    return entry


def socket_paths(paths):
    """Each socket path with every directory from / down to the one holding it."""
    result = []
    for path in paths:
        path = os.path.normpath(path)
        entry = stat_entry(path)
        parents = []
        parent = os.path.dirname(path)
        chain = []
        while True:
            chain.append(parent)
            if parent in ("/", ""):
                break
            parent = os.path.dirname(parent)
        for directory in reversed(chain):
            parents.append(stat_entry(directory or "/"))
        entry["parents"] = parents
        result.append(entry)
    return result


def accounts(user_names, group_names):
    """The accounts nginx's workers may run as: {users: [...], groups: [...]}.

    A user is {name, exists, uid, gid, groups (every group id, as initgroups gives them), group_names};
    a group {name, exists, gid}.
    """
    users = []
    for name in user_names:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            users.append(
                {"name": name, "exists": False, "uid": None, "gid": None, "groups": [], "group_names": []}
            )
            continue
        try:
            ids = sorted(set(os.getgrouplist(name, entry.pw_gid)))
        except OSError:
            ids = [entry.pw_gid]
        users.append(
            {
                "name": name,
                "exists": True,
                "uid": entry.pw_uid,
                "gid": entry.pw_gid,
                "groups": ids,
                "group_names": [_name_of(grp.getgrgid, i) or str(i) for i in ids],
            }
        )
    groups = []
    for name in group_names:
        try:
            groups.append({"name": name, "exists": True, "gid": grp.getgrnam(name).gr_gid})
        except KeyError:
            groups.append({"name": name, "exists": False, "gid": None})
    return {"users": users, "groups": groups}


def _unique(items):
    seen = []
    for item in items:
        if item and item not in seen:
            seen.append(item)
    return seen


def targets(
    dump,
    test_messages,
    configure_user=None,
    configure_group=None,
    timeout=10,
    resolv_conf="/etc/resolv.conf",
    hosts_file="/etc/hosts",
):
    """The collector's "targets" key and a list of problems."""
    problems = []
    hints = scan_dump(dump, test_messages)
    if hints["dropped"]:
        problems.append(
            {
                "source": "nginx -T",
                "message": "more targets than the collector looks at (%d names, %d sockets, %d ports): "
                "%d left out" % (MAX_NAMES, MAX_SOCKETS, MAX_PORTS, hints["dropped"]),
            }
        )
    resolver = {"path": resolv_conf, "nameservers": [], "search": [], "options": [], "error": None}
    try:
        resolver.update(parse_resolv_conf(_read(resolv_conf, 1 << 16)))
    except OSError as exc:
        resolver["error"] = exc.strerror or str(exc)
    hosts = {"path": hosts_file, "entries": [], "count": 0, "error": None}
    try:
        hosts["entries"], hosts["count"] = parse_hosts(_read(hosts_file, MAX_HOSTS_BYTES), hints["names"])
    except OSError as exc:
        hosts["error"] = exc.strerror or str(exc)
    user_names = _unique(hints["users"] + [configure_user] + list(DEFAULT_ACCOUNTS))[:MAX_USERS]
    group_names = _unique(hints["groups"] + [configure_group] + user_names + list(DEFAULT_GROUPS))
    return (
        {
            "hints": {
                "names": hints["names"],
                "sockets": hints["sockets"],
                "ports": hints["ports"],
                "users": hints["users"],
                "groups": hints["groups"],
            },
            "resolution": resolve(hints["names"], timeout),
            "resolv_conf": resolver,
            "hosts_file": hosts,
            "sockets": socket_paths(hints["sockets"]),
            "accounts": accounts(user_names, group_names[: 2 * MAX_USERS]),
        },
        problems,
    )
