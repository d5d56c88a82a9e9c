"""nginx configuration as nginx itself sees it, parsed with crossplane.

Two sources: the output of ``nginx -T`` taken on a host (every file nginx loaded, each after a
``# configuration file PATH:`` line), or files on disk. Every file is parsed on its own with
crossplane, then ``include`` directives are expanded the way nginx does it (globs sorted,
relative paths resolved against the main file's directory), so each directive keeps the file
and line it really comes from.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from fix502.nginx_lexer import parse_text

_DUMP_HEADER = re.compile(r"^# configuration file (?P<path>.+):$")


@dataclass
class Directive:
    name: str
    args: list[str]
    file: str
    line: int
    context: tuple[str, ...]
    block: list[Directive] | None = None

    def children(self, name: str) -> list[Directive]:
        return [d for d in self.block or () if d.name == name]

    def first_arg(self) -> str:
        return self.args[0] if self.args else ""


@dataclass(frozen=True)
class ConfigProblem:
    file: str
    line: int | None
    message: str


@dataclass
class NginxConfig:
    main_file: str
    directives: list[Directive]
    files: list[str] = field(default_factory=list)
    problems: list[ConfigProblem] = field(default_factory=list)

    def walk(self) -> Iterator[Directive]:
        stack = list(reversed(self.directives))
        while stack:
            directive = stack.pop()
            yield directive
            if directive.block:
                stack.extend(reversed(directive.block))

    def find(self, *names: str) -> list[Directive]:
        wanted = set(names)
        return [d for d in self.walk() if d.name in wanted]

    def top(self, name: str) -> list[Directive]:
        return [d for d in self.directives if d.name == name]


def split_dump(dump: str) -> dict[str, str]:
    """Map each file in ``nginx -T`` output to its text (nginx appends one newline to each)."""
    files: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []
    for raw in dump.splitlines(keepends=True):
        match = _DUMP_HEADER.match(raw.rstrip("\n"))
        if match:
            if current is not None:
                files[current] = _strip_dump_newline("".join(lines))
            current = match.group("path")
            lines = []
        elif current is not None:
            lines.append(raw)
    if current is not None:
        files[current] = _strip_dump_newline("".join(lines))
    return files


def _strip_dump_newline(text: str) -> str:
    return text[:-1] if text.endswith("\n") else text


def parse_dump(dump: str) -> NginxConfig:
    """Parse ``nginx -T`` output; the first file in it is the main configuration file."""
    sources = split_dump(dump)
    if not sources:
        problem = ConfigProblem(file="nginx -T", line=None, message="no configuration file in the output")
        return NginxConfig(main_file="", directives=[], problems=[problem])
    return _parse(next(iter(sources)), _DumpSource(sources))


def parse_files(main_file: str) -> NginxConfig:
    """Parse a configuration from disk, following includes relative to the main file."""
    return _parse(os.path.abspath(main_file), _DiskSource())


class _DumpSource:
    """Files as ``nginx -T`` printed them: includes match only files nginx loaded."""

    def __init__(self, files: Mapping[str, str]) -> None:
        self.files = files

    def read(self, path: str) -> str | None:
        return self.files.get(path)

    def expand(self, pattern: str) -> list[str]:
        return sorted(p for p in self.files if _glob_match(pattern, p))


class _DiskSource:
    def read(self, path: str) -> str | None:
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                return handle.read()
        except OSError:
            return None

    def expand(self, pattern: str) -> list[str]:
        return sorted(p for p in glob.glob(pattern) if os.path.isfile(p))


def _is_glob(pattern: str) -> bool:
    return any(ch in pattern for ch in "*?[")


def _glob_match(pattern: str, path: str) -> bool:
    """Shell-glob match where wildcards never cross a '/', as glob(3) does."""
    pattern_parts = pattern.split("/")
    path_parts = path.split("/")
    if len(pattern_parts) != len(path_parts):
        return False
    return all(fnmatch.fnmatchcase(p, q) for p, q in zip(path_parts, pattern_parts, strict=True))


class _Builder:
    """Parses each file once with crossplane and expands includes in place, as nginx does."""

    def __init__(self, main_file: str, source: _DumpSource | _DiskSource) -> None:
        self.source = source
        self.conf_dir = posixpath.dirname(main_file)
        self.parsed: dict[str, list[dict[str, Any]]] = {}
        self.config = NginxConfig(main_file=main_file, directives=[])

    def load(self, path: str) -> list[dict[str, Any]] | None:
        if path in self.parsed:
            return self.parsed[path]
        text = self.source.read(path)
        if text is None:
            return None
        result = parse_text(text, path)
        entry = result["config"][0]
        for error in entry["errors"]:
            message = str(error["error"])
            self.config.problems.append(ConfigProblem(file=path, line=error.get("line"), message=message))
        self.parsed[path] = entry["parsed"]
        self.config.files.append(path)
        return self.parsed[path]

    def build(
        self, path: str, raw: list[dict[str, Any]], context: tuple[str, ...], chain: tuple[str, ...]
    ) -> list[Directive]:
        out: list[Directive] = []
        for item in raw:
            name = str(item["directive"])
            args = [str(a) for a in item.get("args", [])]
            line = int(item["line"])
            if name == "include" and args:
                out.extend(self.include(path, line, args[0], context, chain))
                continue
            directive = Directive(name=name, args=args, file=path, line=line, context=context)
            if "block" in item:
                directive.block = self.build(path, item["block"], (*context, name), chain)
            out.append(directive)
        return out

    def include(
        self, path: str, line: int, pattern: str, context: tuple[str, ...], chain: tuple[str, ...]
    ) -> list[Directive]:
        full = (
            pattern if pattern.startswith("/") else posixpath.normpath(posixpath.join(self.conf_dir, pattern))
        )
        targets = self.source.expand(full) if _is_glob(full) else [full]
        out: list[Directive] = []
        for target in targets:
            if target in chain:
                self.problem(path, line, f"include loop through {target}")
                continue
            raw = self.load(target)
            if raw is None:
                self.problem(path, line, f"included file {target} cannot be read")
                continue
            out.extend(self.build(target, raw, context, (*chain, target)))
        return out

    def problem(self, path: str, line: int | None, message: str) -> None:
        self.config.problems.append(ConfigProblem(file=path, line=line, message=message))


def _parse(main_file: str, source: _DumpSource | _DiskSource) -> NginxConfig:
    builder = _Builder(main_file, source)
    raw = builder.load(main_file)
    if raw is None:
        builder.problem(main_file, None, "cannot read the main configuration file")
    else:
        builder.config.directives = builder.build(main_file, raw, (), (main_file,))
    return builder.config
