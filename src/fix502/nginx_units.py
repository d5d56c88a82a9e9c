"""nginx's own units: times such as ``30s``, ``1m30s``, ``500ms`` and sizes such as ``4k``, ``1m``.

nginx reads a time as one or more number-unit pairs (``ms s m h d w M y``; a bare number is
seconds) and a size as a number with an optional ``k`` or ``m`` (``g`` too for offsets), either
case. Anything else nginx itself would refuse, and these helpers return None for it.
"""

from __future__ import annotations

import re

_TIME_UNITS = {
    "ms": 0.001,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "w": 7 * 86400.0,
    "M": 30 * 86400.0,
    "y": 365 * 86400.0,
}
_TIME_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|M|y)?")
_SIZE = re.compile(r"(\d+)([kKmMgG]?)")
_SIZE_FACTORS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def parse_time(text: str) -> float | None:
    """Seconds in an nginx time (``30s`` -> 30.0, ``1m30s`` -> 90.0, ``500ms`` -> 0.5, ``10`` -> 10.0)."""
    text = text.strip()
    if not text:
        return None
    total = 0.0
    position = 0
    while position < len(text):
        match = _TIME_PART.match(text, position)
        if match is None:
            return None
        total += int(match.group(1)) * _TIME_UNITS[match.group(2) or "s"]
        position = match.end()
        if match.group(2) is None and position < len(text):
            return None  # a bare number is only allowed alone or last
    return total


def parse_size(text: str) -> int | None:
    """Bytes in an nginx size (``4k`` -> 4096, ``1m`` -> 1048576, ``512`` -> 512)."""
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        return None
    return int(match.group(1)) * _SIZE_FACTORS[match.group(2).lower()]


def format_time(seconds: float) -> str:
    """An nginx time for people: 0.5 -> '500ms', 90 -> '90s', 120 -> '2m'."""
    if seconds < 1 and seconds != int(seconds):
        return f"{round(seconds * 1000)}ms"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)}m"
    return f"{seconds:g}s"


def format_size(count: float) -> str:
    """An nginx size for people: 4096 -> '4k', 1048576 -> '1m', 1000 -> '1000'."""
    value = int(count)
    for suffix, factor in (("m", 1024**2), ("k", 1024)):
        if value and value % factor == 0:
            return f"{value // factor}{suffix}"
    return str(value)
