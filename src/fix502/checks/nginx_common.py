"""What every nginx judge reports the same way: where a directive is, and its evidence."""

from __future__ import annotations

from fix502.model import Evidence
from fix502.nginx_config import Directive


def where(directive: Directive) -> str:
    return f"{directive.file}:{directive.line}"


def evidence(directive: Directive, *values: tuple[str, str]) -> Evidence:
    """The directive's (or block's) file and line, its name, and ``values`` as key-value pairs."""
    return Evidence(
        file=directive.file,
        line=directive.line,
        values=tuple(sorted((("directive", directive.name), *values))),
    )
