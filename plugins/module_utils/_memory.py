# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Memory and swap totals from /proc/meminfo; private to this collection."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

MEMINFO = "/proc/meminfo"
FIELDS = (
    ("MemTotal", "total_kb"),
    ("MemAvailable", "available_kb"),
    ("SwapTotal", "swap_total_kb"),
    ("SwapFree", "swap_free_kb"),
)


def parse_meminfo(text):
    """{total_kb, available_kb, swap_total_kb, swap_free_kb} from /proc/meminfo text.

    A field missing from the text is missing from the result.
    """
    wanted = dict(FIELDS)
    result = {}
    for line in text.splitlines():
        name, sep, rest = line.partition(":")
        if not sep or name not in wanted:
            continue
        words = rest.split()
        if not words:
            continue
        try:
            result[wanted[name]] = int(words[0])
        except ValueError:
            continue
    return result


def memory():
    """The collector's "memory" key (0 for what cannot be read) and a list of problems."""
    problems = []
    parsed = {}
    try:
        with open(MEMINFO) as handle:
            parsed = parse_meminfo(handle.read(1 << 20))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(
            {"source": MEMINFO, "message": "cannot read: %s" % (getattr(exc, "strerror", None) or exc)}
        )
    missing = [name for name, key in FIELDS if key not in parsed]
    if missing and not problems:
        problems.append({"source": MEMINFO, "message": "no %s line; reported as 0" % ", ".join(missing)})
    result = {}
    for _name, key in FIELDS:
        result[key] = parsed.get(key, 0)
    return result, problems
