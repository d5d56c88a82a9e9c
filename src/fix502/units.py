"""Quantities written for people."""

from __future__ import annotations


def human_bytes(count: float) -> str:
    """1536 -> '1.5 KiB'; whole bytes below 1 KiB."""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def percent(value: float) -> str:
    """A percentage with at most one decimal: 97.0 -> '97', 97.25 -> '97.2'."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text
