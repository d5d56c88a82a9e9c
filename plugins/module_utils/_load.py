# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load average, CPU count and pressure stall information; private to this collection.

/proc/loadavg gives the 1, 5 and 15 minute load averages and the runnable and total scheduling
entities; the CPU count is os.cpu_count() (the load average is counted over the whole host, so
is the count). /proc/pressure/{cpu,memory,io} (PSI, Linux 4.20 and later when enabled) give the
share of time some (or all) tasks were stalled waiting for that resource, over 10, 60 and 300
seconds, and the total stall time in microseconds.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

LOADAVG = "/proc/loadavg"
PRESSURE = "/proc/pressure"
RESOURCES = ("cpu", "memory", "io")


def _read(path):
    with open(path, "rb") as handle:
        return handle.read(65536).decode("ascii", "replace")


def parse_loadavg(text):
    """{load1, load5, load15, runnable, entities} of /proc/loadavg text; ValueError when malformed."""
    words = text.split()
    runnable, _sep, total = words[3].partition("/")
    return {
        "load1": float(words[0]),
        "load5": float(words[1]),
        "load15": float(words[2]),
        "runnable": int(runnable),
        "entities": int(total),
    }


def parse_pressure(text):
    """{some: {avg10, avg60, avg300, total}, full: ... or None} of a /proc/pressure file's text."""
    found = {"some": None, "full": None}
    for line in text.splitlines():
        words = line.split()
        if not words or words[0] not in found:
            continue
        values = {}
        for word in words[1:]:
            key, _sep, raw = word.partition("=")
            try:
                values[key] = int(raw) if key == "total" else float(raw)
            except ValueError:
                continue
        found[words[0]] = values
    return found


def load():
    """The collector's "load" and "pressure" keys and a list of problems."""
    problems = []
    result = {"load1": None, "load5": None, "load15": None, "runnable": None, "entities": None}
    try:
        result.update(parse_loadavg(_read(LOADAVG)))
    except OSError as exc:
        problems.append({"source": LOADAVG, "message": "cannot read: %s" % exc.strerror})
    except (IndexError, ValueError):
        problems.append({"source": LOADAVG, "message": "not in the expected format"})
    result["cpus"] = os.cpu_count()
    pressure = {}
    for resource in RESOURCES:
        path = "%s/%s" % (PRESSURE, resource)
        try:
            pressure[resource] = parse_pressure(_read(path))
        except OSError as exc:
            pressure[resource] = None
            # Absent: a kernel without PSI, nothing to say. Present but unreadable (PSI disabled with
            # psi=0 reads as "Operation not supported"): said once, for the first file.
            if os.path.exists(path) and not any(p["source"].startswith(PRESSURE) for p in problems):
                problems.append({"source": path, "message": "cannot read: %s" % exc.strerror})
    return result, pressure, problems
