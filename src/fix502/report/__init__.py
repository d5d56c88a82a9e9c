"""Output formats: every one renders the same Report (fix502.model) to text.

``render(report, fmt)`` is the one entry point; each format lives in its own module.
"""

from __future__ import annotations

from collections.abc import Callable

from fix502.model import Report
from fix502.report import json_format, junit, markdown, sarif, table

FORMATS: tuple[str, ...] = ("table", "json", "sarif", "junit", "markdown")

_RENDERERS: dict[str, Callable[[Report, bool], str]] = {
    "table": lambda report, color: table.render(report, color=color),
    "json": lambda report, color: json_format.render(report),
    "sarif": lambda report, color: sarif.render(report),
    "junit": lambda report, color: junit.render(report),
    "markdown": lambda report, color: markdown.render(report),
}


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    """The report as text in format ``fmt`` (one of FORMATS). ``color`` (ANSI) applies to table only.

    Raises ValueError naming ``fmt`` and the known formats when ``fmt`` is not one of them.
    """
    renderer = _RENDERERS.get(fmt)
    if renderer is None:
        raise ValueError(f"unknown report format {fmt!r} (known: {', '.join(FORMATS)})")
    return renderer(report, color)


__all__ = ["FORMATS", "render"]
