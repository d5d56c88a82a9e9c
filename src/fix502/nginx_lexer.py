"""A fast tokenizer for plain nginx configuration text, giving exactly crossplane's tokens.

crossplane's lexer reads one character at a time in Python, and is most of the cost of parsing a
large configuration. Text without the rare constructs that need its special handling (a
backslash, ``${...}``, Lua blocks, an unterminated quote) is split here with one regular
expression into the same (token, line, quoted) tuples, which crossplane's own parser then turns
into its usual payload. Anything else is left to crossplane entirely (``None``), so errors and
edge cases read exactly as crossplane reports them.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator
from typing import Any

import crossplane
import crossplane.parser
from crossplane.lexer import EXTERNAL_LEXERS, _balance_braces, _lex_file_object

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


_PARSE_LOCK = threading.Lock()
_OPTIONS: dict[str, Any] = {"single": True, "comments": False, "check_ctx": False, "check_args": False}


def parse_text(text: str, filename: str) -> dict[str, Any]:
    """crossplane's payload for ``text`` as the file ``filename``, with no file read or written.

    crossplane 0.5 parses only files, reading them through ``crossplane.parser.lex``; for the
    length of one call that name is bound to the tokens of ``text``: the fast split above where
    it applies, else crossplane's own lexer over the text. Its parser, brace check and error
    messages are crossplane's.
    """
    found = tokens(text)
    stream: Iterator[tuple[str, int, bool]] = (
        _balance_braces(iter(found), filename)
        if found is not None
        else _balance_braces(_lex_file_object(io.StringIO(text)), filename)
    )

    def lex(name: str) -> Iterator[tuple[str, int, bool]]:
        if name != filename:
            raise RuntimeError(f"crossplane asked for {name} while parsing {filename}")
        return stream

    with _PARSE_LOCK:
        original = crossplane.parser.lex
        crossplane.parser.lex = lex
        try:
            return dict(crossplane.parse(filename, **_OPTIONS))
        finally:
            crossplane.parser.lex = original
