"""Limits the checks judge against; every one can be changed per host or on the command line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class Thresholds:
    disk_used_percent_high: float = 90.0
    disk_used_percent_critical: float = 98.0
    inodes_used_percent_high: float = 90.0
    inodes_used_percent_critical: float = 98.0
    memory_available_percent_medium: float = 10.0
    memory_available_percent_high: float = 5.0

    def updated(self, values: Mapping[str, Any], source: str) -> Thresholds:
        """A copy with ``values`` applied; ValueError names ``source`` and the bad key or value."""
        known = {f.name for f in fields(self)}
        changes: dict[str, float] = {}
        for key, raw in values.items():
            if key not in known:
                raise ValueError(f"{source}: unknown threshold {key!r} (known: {', '.join(sorted(known))})")
            try:
                value = float(raw)
            except (TypeError, ValueError):
                raise ValueError(f"{source}: threshold {key} must be a number, not {raw!r}") from None
            if not 0 <= value <= 100:
                raise ValueError(f"{source}: threshold {key} must be a percentage from 0 to 100, not {raw!r}")
            changes[key] = value
        return replace(self, **changes)

    def as_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
