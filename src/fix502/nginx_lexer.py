"""A fast tokenizer for plain nginx configuration text, giving exactly crossplane's tokens.

crossplane's lexer reads one character at a time in Python, and is most of the cost of parsing a
large configuration. Text without the rare constructs that need its special handling (a
backslash, ``${...}``, Lua blocks, an unterminated quote) is split here with one regular
expression into the same (token, line, quoted) tuples, which crossplane's own parser then turns
into its usual payload. Anything else is left to crossplane entirely (``None``), so errors and
edge cases read exactly as crossplane reports them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import crossplane

try:  # private in crossplane 0.5 (pinned below 0.6): without them, crossplane does all the work
    from crossplane.lexer import EXTERNAL_LEXERS, _balance_braces
    from crossplane.parser import _parse_with_initial_tokens
except ImportError:  # pragma: no cover - another crossplane
    _parse_with_initial_tokens = None

_TOKEN = re.compile(
    r"""(?P<space>\s+)
      |(?P<comment>\#[^\n]*)
      |(?P<special>[{};])
      |"(?P<double>[^"]*)"
      |'(?P<single>[^']*)'
      |(?P<word>[^\s{};"'\#][^\s{};]*)""",
    re.VERBOSE,
)
_SPECIAL = ("\\", "${", "_by_lua_block")


def tokens(text: str) -> list[tuple[str, int, bool]] | None:
    """crossplane's tokens of ``text``, or None when crossplane's own lexer must read it."""
    if any(mark in text for mark in _SPECIAL) or any(name in text for name in EXTERNAL_LEXERS):
        return None
    out: list[tuple[str, int, bool]] = []
    line = 1
    position = 0
    end = len(text)
    match = _TOKEN.match
    while position < end:
        found = match(text, position)
        if found is None:
            return None  # an unterminated quote: crossplane names it
        kind = found.lastgroup
        value = found.group(kind or 0)
        if kind == "space":
            line += value.count("\n")
        elif kind == "word" or kind == "special":
            out.append((value, line, False))
        elif kind == "double" or kind == "single":
            out.append((value, line, True))
            line += value.count("\n")
        position = found.end()
    return out


def parse_text(text: str, filename: str) -> dict[str, Any]:
    """``crossplane.parse_string(text, filename, single=True)`` without crossplane's lexer when possible."""
    options: dict[str, Any] = {"single": True, "comments": False, "check_ctx": False, "check_args": False}
    found = tokens(text) if _parse_with_initial_tokens is not None else None
    if found is None:
        return dict(crossplane.parse_string(text, filename=filename, **options))
    stream: Iterator[tuple[str, int, bool]] = _balance_braces(iter(found), filename)
    return dict(_parse_with_initial_tokens(stream, filename, "", **options))
