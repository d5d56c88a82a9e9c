# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host's own IP addresses and name; private to this collection.

IPv4 addresses are the "/32 host LOCAL" entries of /proc/net/fib_trie, IPv6 ones the lines
of /proc/net/if_inet6; together they tell whether an upstream address is this host.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import binascii
import os
import socket

FIB_TRIE = "/proc/net/fib_trie"
IF_INET6 = "/proc/net/if_inet6"


def parse_fib_trie(text):
    """The local IPv4 addresses in /proc/net/fib_trie text, in order of appearance, without repeats."""
    found = []
    last = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("|--") or stripped.startswith("+--"):
            last = stripped[3:].split()[0] if stripped.startswith("|--") else None
            continue
        if last and stripped.startswith("/32 host LOCAL") and last not in found:
            found.append(last)
    return found


def parse_if_inet6(text):
    """The IPv6 addresses in /proc/net/if_inet6 text (32 hex digits in network order), without repeats."""
    found = []
    for line in text.splitlines():
        words = line.split()
        if not words or len(words[0]) != 32:
            continue
        try:
            address = socket.inet_ntop(socket.AF_INET6, binascii.unhexlify(words[0]))
        except (ValueError, TypeError, binascii.Error):
            continue
        if address not in found:
            found.append(address)
    return found


def _read(path):
    with open(path) as handle:
        return handle.read(16 << 20)


def addresses():
    """(hostname, [address, ...], problems): IPv4 first, then IPv6."""
    problems = []
    found = []
    try:
        found.extend(parse_fib_trie(_read(FIB_TRIE)))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(
            {"source": FIB_TRIE, "message": "cannot read: %s" % (getattr(exc, "strerror", None) or exc)}
        )
    try:
        for address in parse_if_inet6(_read(IF_INET6)):
            if address not in found:
                found.append(address)
    except (OSError, UnicodeDecodeError) as exc:
        if os.path.exists(IF_INET6):
            problems.append(
                {"source": IF_INET6, "message": "cannot read: %s" % (getattr(exc, "strerror", None) or exc)}
            )
    try:
        hostname = socket.gethostname()
    except OSError:
        hostname = ""
    return hostname, found, problems
