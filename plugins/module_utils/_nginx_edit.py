# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One-statement edits of an nginx configuration file, addressed by line and directive name.

Used by the module fix502.gateway.nginx_edit on the managed host (standard library only,
Python 3.8+). An edit names the line a directive starts on and the directive, so it touches that
statement and nothing else in the file: the rest of the text, comments and layout included, is
kept byte for byte. Every edit is idempotent: applied to its own result it changes nothing.

Actions:
  set             replace the arguments of the directive with ``value``
  append_after    put the statement ``value`` right after the directive
  insert_in_block put the statement ``value`` first inside the block the directive opens
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

ACTIONS = ("set", "append_after", "insert_in_block")
MARK = "# fix502.gateway.nginx_proxy"
_BOUNDARY = " \t\r\n{};"


class EditError(Exception):
    """The file does not hold the directive where the edit says: it changed since it was read."""


def _line_start(text, line):
    """Offset of the first character of 1-based ``line``."""
    offset = 0
    for _skipped in range(line - 1):
        found = text.find("\n", offset)
        if found < 0:
            raise EditError("the file has fewer than %d lines" % line)
        offset = found + 1
    return offset


def _skip_quoted(text, start):
    """Offset just past the quoted string starting at ``start``."""
    quote = text[start]
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == quote:
            return index + 1
        index += 1
    raise EditError("unterminated quote")


def _statement_end(text, start, stops):
    """Offset of the first character of ``stops`` after ``start``, outside quotes and comments."""
    index = start
    while index < len(text):
        char = text[index]
        if char in "\"'":
            index = _skip_quoted(text, index)
            continue
        if char == "#":
            newline = text.find("\n", index)
            index = len(text) if newline < 0 else newline
            continue
        if char == "\\":
            index += 2
            continue
        if char in stops:
            return index
        index += 1
    raise EditError("no %r after the directive" % stops)


def locate(text, line, directive):
    """(start of the directive's name, offset of its terminating ``;`` or ``{``).

    The name must appear on ``line`` as a statement of its own: at the start of the line or
    after ``{``, ``}`` or ``;``, outside quotes and comments.
    """
    start = _line_start(text, line)
    end = text.find("\n", start)
    end = len(text) if end < 0 else end
    index = start
    expect_statement = True
    while index < end:
        char = text[index]
        if char in " \t\r":
            index += 1
            continue
        if char == "#":
            break
        if char in "\"'":
            index = _skip_quoted(text, index)
            expect_statement = False
            continue
        if char in "{};":
            expect_statement = True
            index += 1
            continue
        word_end = index
        while word_end < len(text) and text[word_end] not in _BOUNDARY:
            word_end += 1
        if expect_statement and text[index:word_end] == directive:
            return index, _statement_end(text, word_end, ";{")
        expect_statement = False
        index = word_end
    raise EditError("no %s directive starts on line %d" % (directive, line))


def _indent_of(text, offset):
    start = text.rfind("\n", 0, offset) + 1
    indent = start
    while indent < len(text) and text[indent] in " \t":
        indent += 1
    return text[start:indent]


def _rest_is_blank(text, offset):
    """Whether only blanks or a comment follow ``offset`` on its line."""
    rest = _line_rest(text, offset).strip()
    return not rest or rest.startswith("#")


def _line_rest(text, offset):
    end = text.find("\n", offset)
    return text[offset : len(text) if end < 0 else end]


def _after_blanks(text, offset):
    while offset < len(text) and text[offset] in " \t\r\n":
        offset += 1
    return offset


def _insert_statement(text, offset, statement, indent):
    """(offset, replaced length, new text) putting ``statement`` after ``offset``, once."""
    if text.startswith(statement, _after_blanks(text, offset)):
        return None
    if _rest_is_blank(text, offset):
        end = text.find("\n", offset)
        end = len(text) if end < 0 else end
        return end, 0, "\n" + indent + statement + "  " + MARK
    return offset, 0, " " + statement


def plan_one(text, edit):
    """(offset, length, replacement) for one edit, or None when the text already says it."""
    action = edit.get("action", "set")
    if action not in ACTIONS:
        raise EditError("unknown action %r" % action)
    directive = edit["directive"]
    value = edit["value"]
    start, stop = locate(text, int(edit["line"]), directive)
    if action == "set":
        if text[stop] != ";":
            raise EditError("%s on line %s is a block, not a value" % (directive, edit["line"]))
        args_start = start + len(directive)
        old = " ".join(text[args_start:stop].split())
        if old == " ".join(value.split()):
            return None
        note = (
            "  %s: was %s" % (MARK, old)
            if _rest_is_blank(text, stop + 1) and "#" not in _line_rest(text, stop + 1)
            else ""
        )
        return args_start, stop + 1 - args_start, " " + value + ";" + note
    if action == "append_after":
        return _insert_statement(text, stop + 1, value, _indent_of(text, start))
    if text[stop] != "{":
        raise EditError("%s on line %s does not open a block" % (directive, edit["line"]))
    return _insert_statement(text, stop + 1, value, _indent_of(text, start) + "    ")


def apply_edits(text, edits):
    """The text with every edit applied (each located in the original text), and how many changed it."""
    planned = []
    for edit in edits:
        try:
            change = plan_one(text, edit)
        except EditError as exc:
            raise EditError("line %s, %s: %s" % (edit.get("line"), edit.get("directive"), exc)) from None
        if change is not None:
            planned.append(change)
    planned.sort(key=lambda change: change[0], reverse=True)
    for offset, length, replacement in planned:
        text = text[:offset] + replacement + text[offset + length :]
    return text, len(planned)
