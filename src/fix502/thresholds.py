"""Limits the checks judge against; every one can be changed per host or on the command line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from fix502.nginx_units import parse_size, parse_time


@dataclass(frozen=True)
class Thresholds:
    disk_used_percent_high: float = 90.0
    disk_used_percent_critical: float = 98.0
    inodes_used_percent_high: float = 90.0
    inodes_used_percent_critical: float = 98.0
    memory_available_percent_medium: float = 10.0
    memory_available_percent_high: float = 5.0
    # Load, memory stalls and open files (RES005-RES007): the 5-minute load average per CPU, the share
    # of the last minute tasks were stalled on memory (/proc/pressure/memory), descriptors per soft limit.
    load_per_cpu_medium: float = 1.5
    load_per_cpu_high: float = 3.0
    memory_pressure_some_percent_medium: float = 10.0
    memory_pressure_full_percent_high: float = 5.0
    fd_used_percent_high: float = 80.0
    fd_used_percent_critical: float = 95.0
    # nginx configuration (category nginx): times in seconds, sizes in bytes; nginx units accepted.
    proxy_connect_timeout_min_seconds: float = 1.0
    proxy_read_timeout_min_seconds: float = 10.0
    fastcgi_read_timeout_min_seconds: float = 30.0
    proxy_buffer_size_min_bytes: float = 8192.0
    upstream_small_group_servers: float = 3.0
    nofile_soft_limit: float = 1024.0
    # Log rotation (category rotation): a log file this big is reported (LRT006), rotated or not.
    log_file_size_high_bytes: float = 1024.0**3

    def updated(self, values: Mapping[str, Any], source: str) -> Thresholds:
        """A copy with ``values`` applied; ValueError names ``source`` and the bad key or value."""
        known = {f.name for f in fields(self)}
        changes: dict[str, float] = {}
        for key, raw in values.items():
            if key not in known:
                raise ValueError(f"{source}: unknown threshold {key!r} (known: {', '.join(sorted(known))})")
            changes[key] = _value(key, raw, source)
        return replace(self, **changes)

    def as_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _value(key: str, raw: Any, source: str) -> float:
    """One threshold's value: a percentage, a time (``30s``), a size (``8k``) or a count."""
    text = str(raw).strip()
    try:
        value: float | None = float(text)
    except ValueError:
        value = None
    if value is None and key.endswith("_seconds"):
        value = parse_time(text)
    elif value is None and key.endswith("_bytes"):
        size = parse_size(text)
        value = None if size is None else float(size)
    if value is None:
        kind = {"_seconds": "a time such as 30s", "_bytes": "a size such as 8k"}.get(
            key[key.rfind("_") :], "a number"
        )
        raise ValueError(f"{source}: threshold {key} must be {kind}, not {raw!r}")
    if "_percent" in key and not 0 <= value <= 100:
        raise ValueError(f"{source}: threshold {key} must be a percentage from 0 to 100, not {raw!r}")
    if value < 0:
        raise ValueError(f"{source}: threshold {key} must not be negative, not {raw!r}")
    return value
