"""logrotate's configuration, parsed the way logrotate 3.21 parses it.

The parser follows logrotate's own reader (``config.c``) character by character, because its quirks decide
what really gets rotated: a keyword with a value takes the rest of its line (``rotate 4 }`` is a bad count,
not a count and a brace); flag keywords may share a line (``compress missingok``); an error inside a
``{ }`` block drops the whole block, and logrotate then skips everything up to the next ``}`` found at the
start of a line, which can swallow the blocks after it; an error at the top of a file (or a ``weekly``
with a bad day, or a missing ``{``) ends that file, undoes its global settings and drops the block being
read; a block left open at the end of its file is kept; an ``include`` reads a file, or the files of a
directory in byte order without the taboo ones; the global settings in effect when a block starts are
copied into it, so globals set later (or in a later included file) do not reach it.

Log paths are globs (fnmatch on each path component, a leading dot matched only by a dot, as glob(3)
does); they are expanded against the log files the collector found, and a log that an earlier block
already claimed is a ``duplicate log entry`` error, after which logrotate skips the rest of that pattern's
matches.

Every rule, setting and problem keeps its file and line. Nothing here raises on a bad configuration:
what logrotate would complain about becomes a :class:`Problem`.
"""

from __future__ import annotations

import bisect
import copy
import fnmatch
import functools
import os
import posixpath
import re
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

DEFAULT_TABOO_EXTENSIONS = (
    ",v",
    ".bak",
    ".cfsaved",
    ".disabled",
    ".dpkg-bak",
    ".dpkg-del",
    ".dpkg-dist",
    ".dpkg-new",
    ".dpkg-old",
    ".dpkg-tmp",
    ".rhn-cfg-tmp-*",
    ".rpmnew",
    ".rpmorig",
    ".rpmsave",
    ".swp",
    ".ucf-dist",
    ".ucf-new",
    ".ucf-old",
    "~",
)
MAX_NESTING = 16
MAX_CONFIG_BYTES = 0xFFFFFF
# logrotate's built-in default: rotate when the file is over 1 MB, keep no old log.
DEFAULT_THRESHOLD = 1024 * 1024
SCRIPTS = ("prerotate", "postrotate", "firstaction", "lastaction", "preremove")
TIME_CRITERIA = ("hourly", "daily", "weekly", "monthly", "yearly")

# Flag keywords: keyword -> (flag, on); copytruncate and renamecopy exclude each other.
_FLAGS: dict[str, tuple[str, bool]] = {}
for _name in (
    "compress",
    "delaycompress",
    "shred",
    "sharedscripts",
    "copytruncate",
    "renamecopy",
    "copy",
    "dateext",
    "missingok",
    "mailfirst",
    "allowhardlink",
):
    _FLAGS[_name] = (_name, True)
    _FLAGS["no" + _name] = (_name, False)
_FLAGS.update(
    {
        "ifempty": ("ifempty", True),
        "notifempty": ("ifempty", False),
        "maillast": ("mailfirst", False),
        "dateyesterday": ("dateyesterday", True),
        "datehourago": ("datehourago", True),
        "nocreate": ("create", False),
        "nocreateolddir": ("createolddir", False),
        "ignoreduplicates": ("ignoreduplicates", True),
    }
)
del _FLAGS["nomailfirst"]

# Problem effects: what logrotate ignores because of it.
LINE = "line"  # the line (or keyword) only
BLOCK = "block"  # the whole { } block
REST_OF_BLOCK = "rest-of-block"  # the rest of a block never closed, which is kept
FILE = "file"  # the rest of the file, its global settings undone, the block being read
IGNORED_FILE = "ignored-file"  # the whole file
WARNING = "warning"  # nothing: logrotate goes on as written
UNKNOWN = "unknown"  # not logrotate's: fix502 could not read the file (the collector's bounds)


@dataclass(frozen=True)
class Location:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Problem:
    location: Location
    message: str
    effect: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


@dataclass
class Script:
    text: str
    location: Location


@dataclass
class Settings:
    """A log configuration: logrotate's globals, or one block's (a copy of the globals, then changed)."""

    criterium: str = "size"
    threshold: int = DEFAULT_THRESHOLD
    minsize: int = 0
    maxsize: int = 0
    rotate: int = 0
    flags: set[str] = field(default_factory=lambda: {"ifempty"})
    values: dict[str, str] = field(default_factory=dict)
    scripts: dict[str, Script] = field(default_factory=dict)
    # Where each setting was last changed: criterium, threshold, minsize, maxsize, rotate, each flag and
    # value name. A setting without an origin is logrotate's built-in default.
    origins: dict[str, Location] = field(default_factory=dict)

    def copy(self) -> Settings:
        return copy.deepcopy(self)

    def restore(self, other: Settings) -> None:
        """Become ``other`` in place (logrotate puts its globals back this way after a bad file)."""
        self.__dict__.update(copy.deepcopy(other).__dict__)

    def has(self, flag: str) -> bool:
        return flag in self.flags

    def origin(self, name: str) -> Location | None:
        return self.origins.get(name)

    @property
    def time_based(self) -> bool:
        return self.criterium in TIME_CRITERIA


@dataclass
class Rule:
    """One ``paths { ... }`` block as logrotate keeps it."""

    location: Location
    patterns: tuple[str, ...]
    settings: Settings
    # The text before the { as written (logrotate -d prints it as the rule's "pattern").
    raw: str = ""
    files: list[str] = field(default_factory=list)
    closed: bool = False

    @property
    def file(self) -> str:
        return self.location.file

    def matches(self, path: str) -> bool:
        return any(glob_match(pattern, path) for pattern in self.patterns)


@dataclass(frozen=True)
class Entry:
    path: str
    kind: str
    text: str = ""
    entries: tuple[str, ...] = ()
    mode: int | None = None
    uid: int | None = None
    size: int | None = None
    truncated: bool = False
    error: str = ""


class Source(Protocol):
    def entry(self, path: str) -> Entry | None:
        """The path's entry, or None when it was never read."""


class CollectedSource:
    """The paths the collector read (``collected["logrotate"]["paths"]``)."""

    def __init__(self, paths: Iterable[Mapping[str, Any]]) -> None:
        self._entries: dict[str, Entry] = {}
        for item in paths:
            entry = Entry(
                path=str(item.get("path", "")),
                kind=str(item.get("kind", "missing")),
                text=str(item.get("text") or ""),
                entries=tuple(str(name) for name in item.get("entries") or ()),
                mode=item.get("mode"),
                uid=item.get("uid"),
                size=item.get("size"),
                truncated=bool(item.get("truncated")),
                error=str(item.get("error") or ""),
            )
            self._entries.setdefault(entry.path, entry)

    def entry(self, path: str) -> Entry | None:
        return self._entries.get(path)


class FilesystemSource:
    """Paths read from this machine's filesystem, or from a copy of a host's files under ``root``."""

    def __init__(self, root: str = "/") -> None:
        self.root = root

    def entry(self, path: str) -> Entry | None:
        real = os.path.join(self.root, path.lstrip("/"))
        try:
            info = os.stat(real)
        except FileNotFoundError:
            return Entry(path, "missing")
        except OSError as error:
            return Entry(path, "unreadable", error=error.strerror or str(error))
        mode, uid, size = stat.S_IMODE(info.st_mode), info.st_uid, info.st_size
        if stat.S_ISDIR(info.st_mode):
            try:
                names = tuple(sorted(os.listdir(real), key=lambda n: n.encode("utf-8", "surrogateescape")))
            except OSError as error:
                return Entry(path, "unreadable", error=error.strerror or str(error))
            return Entry(path, "directory", entries=names, mode=mode, uid=uid, size=size)
        if not stat.S_ISREG(info.st_mode):
            return Entry(path, "other", mode=mode, uid=uid, size=size)
        try:
            with open(real, "rb") as handle:
                data = handle.read(MAX_CONFIG_BYTES + 1)
        except OSError as error:
            return Entry(path, "unreadable", error=error.strerror or str(error))
        return Entry(path, "file", text=data.decode("utf-8", "replace"), mode=mode, uid=uid, size=size)


@dataclass
class LogrotateConfig:
    main: str
    rules: list[Rule]
    problems: list[Problem]
    files_read: list[str]
    directories: list[str]
    globals: Settings
    known_files: frozenset[str] = frozenset()
    _claims: dict[str, Rule] | None = field(default=None, repr=False, compare=False)

    def _claimed(self) -> dict[str, Rule]:
        if self._claims is None:
            self._claims = {}
            for rule in self.rules:
                for path in rule.files:
                    self._claims.setdefault(path, rule)
        return self._claims

    def rule_for(self, path: str) -> Rule | None:
        """The rule that rotates ``path``: for a known file, the one whose globs claimed it when logrotate
        read it (a duplicate is claimed by none but the first); for another path, the first that matches."""
        claimed = self._claimed()
        if path in claimed:
            return claimed[path]
        if path in self.known_files:
            return None
        for rule in self.rules:
            if rule.matches(path):
                return rule
        return None


def _is_blank(char: str) -> bool:
    return char in " \t"


def _is_space(char: str) -> bool:
    return char in " \t\n\r\v\f"


def _is_alpha(char: str) -> bool:
    return ("a" <= char <= "z") or ("A" <= char <= "Z")


def strtol(text: str) -> int | None:
    """C's strtol(text, &end, 0) when it reads the whole text, else None (hex, octal and sign allowed)."""
    match = re.fullmatch(r"\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)", text)
    if match is None:
        return None
    digits = match.group(2)
    if digits[:2].lower() == "0x":
        value = int(digits[2:], 16)
    elif digits.startswith("0"):
        value = int(digits, 8)
    else:
        value = int(digits)
    return -value if match.group(1) == "-" else value


def parse_size(text: str) -> int | None:
    """Bytes of a logrotate size (``100``, ``100k``, ``100M``, ``1G``); None when logrotate refuses it."""
    if not text:
        return None
    factor = {"k": 1024, "K": 1024, "M": 1024**2, "G": 1024**3}.get(text[-1], 1)
    number = text[:-1] if factor != 1 else text
    if factor == 1 and not text[-1].isdigit():
        return None
    value = strtol(number)
    if value is None or value < 0:
        return None
    return value * factor


def popt_split(text: str) -> list[str] | None:
    """Split like popt's poptParseArgvString: quotes and backslashes; None on a dangling backslash."""
    args: list[str] = []
    current: list[str] = []
    quote = ""
    index = 0
    while index < len(text):
        char = text[index]
        if quote and char == quote:
            quote = ""
        elif quote:
            if char == "\\":
                index += 1
                if index >= len(text):
                    return None
                if text[index] != quote:
                    current.append("\\")
                char = text[index]
            current.append(char)
        elif _is_space(char):
            if current:
                args.append("".join(current))
                current = []
        elif char in "\"'":
            quote = char
        elif char == "\\":
            index += 1
            if index >= len(text):
                return None
            current.append(text[index])
        else:
            current.append(char)
        index += 1
    if current:
        args.append("".join(current))
    return args


_MAGIC = re.compile(r"(?<!\\)[*?[]")


def has_magic(pattern: str) -> bool:
    return bool(_MAGIC.search(pattern))


def _component_regex(component: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(component):
        char = component[index]
        if char == "\\" and index + 1 < len(component):
            out.append(re.escape(component[index + 1]))
            index += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = index + 1
            if end < len(component) and component[end] in "!^":
                end += 1
            if end < len(component) and component[end] == "]":
                end += 1
            end = component.find("]", end)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = component[index + 1 : end]
                negate = body[:1] in ("!", "^")
                if negate:
                    body = body[1:]
                body = body.replace("\\", "\\\\")
                out.append(f"[^/{body}]" if negate else f"[{body}]")
                index = end + 1
                continue
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


@functools.lru_cache(maxsize=4096)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """One regex for a whole glob: per component, ``*`` and ``?`` never cross a ``/`` and never match a
    leading dot, which only a dot matches."""
    parts = [part for part in pattern.split("/") if part]
    out = []
    for part in parts:
        if not has_magic(part):
            out.append(re.escape(_unescape(part)))
        elif part.startswith(".") or part.startswith("\\."):
            out.append(_component_regex(part))
        else:
            out.append("(?!\\.)" + _component_regex(part))
    return re.compile(("/" if pattern.startswith("/") else "") + "/+".join(out) + "/*", re.DOTALL)


def glob_match(pattern: str, path: str) -> bool:
    """Whether glob(3) would return ``path`` for ``pattern``: per component, a leading dot only by a dot."""
    return _glob_regex(pattern).fullmatch(re.sub("/+", "/", path)) is not None


def is_taboo(name: str, patterns: Iterable[str]) -> bool:
    """fnmatch(pattern, name, FNM_PERIOD) for any taboo pattern."""
    for pattern in patterns:
        if name.startswith(".") and not pattern.startswith("."):
            continue
        if fnmatch.fnmatchcase(name, pattern):
            return True
    return False


# Parser states, as in logrotate.
_DEFAULT = 2
_SKIP_LINE = 4
_DEFINITION_END = 8
_SKIP_CONFIG = 16
_LOAD_SCRIPT = 32
_ERROR = 64


class _Fatal(Exception):
    """logrotate's ``goto error``: the rest of the file is not read."""


class _Text:
    def __init__(self, text: str) -> None:
        if not text.endswith("\n"):
            text += "\n"
        self.buf = text
        self.size = len(text)
        self.newlines = [index for index, char in enumerate(text) if char == "\n"]

    def line(self, position: int) -> int:
        return bisect.bisect_left(self.newlines, position) + 1

    def char(self, position: int) -> str:
        return self.buf[position] if 0 <= position < self.size else "\0"

    def word(self, position: int) -> tuple[str, int]:
        """isolateWord: skip blanks, then the letters; returns (word, position after it)."""
        while position < self.size and _is_blank(self.buf[position]):
            position += 1
        end = position
        while end < self.size and _is_alpha(self.buf[end]):
            end += 1
        return self.buf[position:end], end

    def rest_of_line(self, position: int) -> tuple[str, int]:
        """isolateLine: up to the end of the line, trailing space dropped; the position is the line's last
        character (the parser's next step lands on the newline)."""
        end = self.buf.find("\n", position)
        if end == -1:
            end = self.size
        value = self.buf[position:end].rstrip(" \t\n\r\v\f")
        return value, end - 1

    def value(self, position: int) -> tuple[str | None, int]:
        """isolateValue: blanks, an optional ``=``, then the rest of the line; None when the line ends."""
        while position < self.size and _is_blank(self.buf[position]):
            position += 1
        if self.char(position) == "=":
            position += 1
            while position < self.size and _is_blank(self.buf[position]):
                position += 1
        if self.char(position) == "\n":
            return None, position
        return self.rest_of_line(position)


class _Parser:
    def __init__(self, source: Source, known_files: Iterable[str], home: str, as_root: bool) -> None:
        self.source = source
        self.known = sorted(set(known_files), key=lambda p: p.encode("utf-8", "surrogateescape"))
        self.known_keys = [path.encode("utf-8", "surrogateescape") for path in self.known]
        self.home = home
        self.as_root = as_root
        self.rules: list[Rule] = []
        # Which rules hold each expanded file, for logrotate's duplicate check.
        self.owners: dict[str, list[Rule]] = {}
        self.problems: list[Problem] = []
        self.files_read: list[str] = []
        self.directories: list[str] = []
        self.taboo = ["*" + ext for ext in DEFAULT_TABOO_EXTENSIONS]
        self.cwd = "/"
        self.depth = 0

    def problem(self, file: str, line: int, message: str, effect: str) -> Problem:
        found = Problem(Location(file, line), message, effect)
        self.problems.append(found)
        return found

    def drop(self, rule: Rule) -> None:
        """logrotate's freeTailLogs: the rule goes, and its files are free again."""
        if rule in self.rules:
            self.rules.remove(rule)
        for path in rule.files:
            holders = self.owners.get(path, [])
            if rule in holders:
                holders.remove(rule)

    def resolve(self, path: str) -> str:
        if not path.startswith("/"):
            path = posixpath.join(self.cwd, path)
        return posixpath.normpath(path)

    # readConfigPath
    def read_path(self, path: str, defaults: Settings, where: Location) -> bool:
        """Read a file or a directory's files into ``defaults`` and the rules; True when all went well."""
        path = self.resolve(path)
        entry = self._present_entry(path, where, "cannot stat")
        if entry is None:
            return False
        if entry.kind == "directory":
            self.directories.append(path)
            names = sorted(
                (
                    name
                    for name in entry.entries
                    if name not in (".", "..") and not is_taboo(name, self.taboo)
                ),
                key=lambda n: n.encode("utf-8", "surrogateescape"),
            )
            good = True
            saved_cwd, self.cwd = self.cwd, path
            try:
                for name in names:
                    if not self._read_file_keeping_defaults(posixpath.join(path, name), defaults, where):
                        good = False
            finally:
                self.cwd = saved_cwd
            return good
        return self._read_file_keeping_defaults(path, defaults, where)

    def _present_entry(self, path: str, where: Location, failure: str) -> Entry | None:
        """``path``'s entry when it was collected and exists; otherwise the problem is reported
        (``failure`` is logrotate's words for a file it cannot open) and None returned."""
        entry = self.source.entry(path)
        if entry is None:
            self.problem(where.file, where.line, f"{path} was not collected, its rules are unknown", UNKNOWN)
            return None
        if entry.kind in ("missing", "unreadable"):
            reason = entry.error or "No such file or directory"
            self.problem(where.file, where.line, f"{failure} {path}: {reason}", LINE)
            return None
        return entry

    def _read_file_keeping_defaults(self, path: str, defaults: Settings, where: Location) -> bool:
        backup = defaults.copy()
        if self.read_file(path, defaults, where):
            return True
        defaults.restore(backup)
        return False

    # readConfigFile
    def read_file(self, path: str, defaults: Settings, where: Location) -> bool:
        entry = self._present_entry(path, where, "failed to open config file")
        if entry is None:
            return False
        if entry.kind != "file":
            return True  # logrotate ignores what is not a regular file
        if self.as_root and entry.mode is not None and entry.mode & 0o022:
            self.problem(
                path, 0, f"logrotate ignores {path}: it is writable by group or others", IGNORED_FILE
            )
            return True
        if self.as_root and entry.uid is not None and entry.uid != 0:
            self.problem(
                path, 0, f"logrotate ignores {path}: its owner is not root (uid {entry.uid})", IGNORED_FILE
            )
            return True
        if entry.size is not None and entry.size > MAX_CONFIG_BYTES:
            self.problem(path, 0, f"file {path} too large, probably not a config file", LINE)
            return False
        if entry.truncated and not entry.text:
            self.problem(
                path, 0, f"{path} was not read (the collector's bounds), its rules are unknown", UNKNOWN
            )
            return True
        if entry.truncated:
            self.problem(
                path, 0, f"{path} was cut by the collector's bounds; only its start is judged", UNKNOWN
            )
        if not entry.text:
            return True
        self.files_read.append(path)
        return _FileParser(self, path, _Text(entry.text), defaults).run()

    def expand(self, pattern: str) -> list[str]:
        """glob(3) with GLOB_NOCHECK over the known log files: the matches, or the pattern itself."""
        if pattern.startswith("~/"):
            pattern = posixpath.join(self.home, pattern[2:])
        if not has_magic(pattern):
            return [_unescape(pattern)]
        regex = _glob_regex(pattern)
        # Only the known files under the pattern's literal directories can match.
        literal = []
        for part in [part for part in pattern.split("/") if part][:-1]:
            if has_magic(part):
                break
            literal.append(_unescape(part))
        prefix = ("/" if pattern.startswith("/") else "") + "/".join(literal)
        prefix = prefix.rstrip("/") + "/" if literal else prefix
        start = bisect.bisect_left(self.known_keys, prefix.encode("utf-8", "surrogateescape"))
        matches = []
        for path in self.known[start:]:
            if not path.startswith(prefix):
                break
            if regex.fullmatch(path):
                matches.append(path)
        return matches or [pattern]


class _FileParser:
    """One file, through logrotate's state machine."""

    def __init__(self, parser: _Parser, path: str, text: _Text, defaults: Settings) -> None:
        self.parser = parser
        self.path = path
        self.text = text
        self.defaults = defaults
        self.current: Settings = defaults
        self.rule: Rule | None = None
        self.failed = False
        self.criterium_set = False
        self.error_problem: Problem | None = None
        self.state = _DEFAULT
        self.pending_script = ""
        self.pending_script_line = 0

    def loc(self, position: int) -> Location:
        return Location(self.path, self.text.line(position))

    def problem(self, position: int, message: str, effect: str) -> Problem:
        return self.parser.problem(self.path, self.text.line(position), message, effect)

    def in_block(self) -> bool:
        return self.current is not self.defaults

    def run(self) -> bool:
        try:
            self._run()
        except _Fatal:
            if self.rule is not None:
                self.parser.drop(self.rule)
            return False
        return not self.failed

    def _set(self, name: str, position: int) -> None:
        self.current.origins[name] = self.loc(position)

    def _raise(self, position: int, message: str) -> int:
        """RAISE_ERROR: inside a block, drop the block; at the top of the file, stop reading it."""
        if self.in_block():
            self.error_problem = self.problem(position, message, BLOCK)
            self.state = _ERROR
            return position
        self.problem(position, message, FILE)
        raise _Fatal

    def _fatal(self, position: int, message: str) -> None:
        self.problem(position, message, FILE)
        raise _Fatal

    def _run(self) -> None:
        text = self.text
        buf = text.buf
        self.state = _DEFAULT
        script_start = -1
        script_name = ""
        script_line = 0
        position = 0
        while position < text.size:
            char = buf[position]
            state = self.state
            if state == _DEFAULT:
                position = self._default(position, char)
                if self.state == _LOAD_SCRIPT and script_start < 0:
                    script_start = position
                    script_name = self.pending_script
                    script_line = self.pending_script_line
            elif state in (_SKIP_LINE, _SKIP_LINE | _SKIP_CONFIG):
                if char == "\n":
                    self.state = _SKIP_CONFIG if state & _SKIP_CONFIG else _DEFAULT
            elif state in (_SKIP_LINE | _LOAD_SCRIPT, _SKIP_LINE | _LOAD_SCRIPT | _SKIP_CONFIG):
                if char == "\n":
                    self.state = state & ~_SKIP_LINE
            elif state in (_DEFINITION_END, _DEFINITION_END | _SKIP_CONFIG):
                if not _is_blank(char):
                    if char != "\n":
                        self.problem(position, "unexpected text after }", LINE)
                        self.state = _SKIP_LINE | (state & _SKIP_CONFIG)
                    else:
                        self.state = _SKIP_CONFIG if state & _SKIP_CONFIG else _DEFAULT
            elif state == _ERROR:
                self.failed = True
                self.state = _SKIP_CONFIG
            elif state in (_LOAD_SCRIPT, _LOAD_SCRIPT | _SKIP_CONFIG):
                word, position = text.word(position)
                if word == "endscript":
                    if not state & _SKIP_CONFIG:
                        line_start = buf.rfind("\n", 0, position - 9) + 1
                        self.current.scripts[script_name] = Script(
                            buf[script_start:line_start], Location(self.path, script_line)
                        )
                        self.current.origins[script_name] = Location(self.path, script_line)
                    script_start = -1
                    self.state = _SKIP_CONFIG if state & _SKIP_CONFIG else _DEFAULT
                else:
                    self.state = (0 if text.char(position) == "\n" else _SKIP_LINE) | state
            elif state == _SKIP_CONFIG:
                if char == "}":
                    self.state = _DEFAULT
                    if self.rule is not None:
                        self.parser.drop(self.rule)
                    self.rule = None
                    self.current = self.defaults
                else:
                    word, position = text.word(position)
                    if word in SCRIPTS:
                        self.state = _LOAD_SCRIPT | _SKIP_CONFIG
                        script_start = position
                        script_name = word
                    elif text.char(position) != "\n":
                        self.state = _SKIP_LINE | _SKIP_CONFIG
            position += 1
        if script_start >= 0:
            self._fatal(text.size - 1, "prerotate, postrotate or preremove without endscript")
        if self.rule is not None:
            self.problem(
                text.size - 1, "the block is not closed with }; logrotate keeps it as it is", WARNING
            )
            if self.state & _SKIP_CONFIG and self.error_problem is not None:
                # The block that had an error is kept after all, without what followed the error.
                index = self.parser.problems.index(self.error_problem)
                self.parser.problems[index] = Problem(
                    self.error_problem.location, self.error_problem.message, REST_OF_BLOCK
                )

    # STATE_DEFAULT
    def _default(self, position: int, char: str) -> int:
        if _is_blank(char):
            return position
        if char == "#":
            self.state = _SKIP_LINE
            return position
        if _is_alpha(char):
            start = position
            word, position = self.text.word(position)
            after = self.text.char(position)
            if not _is_space(after) and after != "=":
                return self._raise(start, f"keyword '{word}' not properly separated, found {ord(after):#x}")
            return self._keyword(word, start, position)
        if char in "/\"'~":
            return self._paths(position)
        if char == "}":
            if not self.in_block():
                self._fatal(position, "unexpected }")
            assert self.rule is not None
            self.rule.closed = True
            self.rule = None
            self.criterium_set = False
            self.current = self.defaults
            self.state = _DEFINITION_END
            return position
        if char != "\n":
            return self._raise(
                position, "lines must begin with a keyword or a filename (possibly in double quotes)"
            )
        return position

    def _paths(self, position: int) -> int:
        if self.in_block():
            self.error_problem = self.problem(position, "unexpected log filename", BLOCK)
            self.state = _ERROR
            return position
        start = position
        settings = self.defaults.copy()
        rule = Rule(self.loc(start), (), settings)
        self.parser.rules.append(rule)
        self.rule = rule
        self.current = settings
        glob_string, position = self._glob_string(position)
        patterns = popt_split(glob_string)
        if patterns is None:
            self._fatal(start, "error parsing filename")
        assert patterns is not None
        if not patterns:
            self._fatal(start, "{ expected after log file name(s)")
        rule.patterns = tuple(patterns)
        rule.raw = glob_string
        for pattern in patterns:
            for path in self.parser.expand(pattern):
                owners = self.parser.owners.get(path, [])
                loud = [r for r in owners if not r.settings.has("ignoreduplicates")]
                if loud:
                    self.problem(
                        start, f"duplicate log entry for {path} (already rotated by {loud[0].location})", LINE
                    )
                    self.failed = True
                    break
                if not owners:
                    rule.files.append(path)
                    self.parser.owners.setdefault(path, []).append(rule)
        return position

    def _glob_string(self, position: int) -> tuple[str, int]:
        """parseGlobString: everything up to the ``{``, lines starting with # left out."""
        buf = self.text.buf
        out: list[str] = []
        state = "init"
        start = position
        while position < self.text.size:
            char = buf[position]
            if state == "init":
                if char == "#":
                    state = "comment"
                elif not _is_space(char):
                    state = "data"
            elif char == "\n":
                state = "init"
            if state == "comment":
                position += 1
                continue
            if char == "}":
                self._fatal(position, "unexpected } (missing previous '{')")
            if char == "{":
                return "".join(out), position
            out.append(char)
            position += 1
        self._fatal(start, "missing '{' after log files definition")
        raise AssertionError("unreachable")

    def _keyword(self, word: str, start: int, position: int) -> int:
        text = self.text
        current = self.current
        value: str | None
        if word in _FLAGS:
            flag, on = _FLAGS[word]
            if on:
                current.flags.add(flag)
            else:
                current.flags.discard(flag)
            if word == "copytruncate":
                current.flags.discard("renamecopy")
            elif word == "renamecopy":
                current.flags.discard("copytruncate")
            self._set(flag, start)
            return position
        if word in ("hourly", "daily", "monthly", "yearly"):
            self._criterium(word, start)
            return position
        if word == "weekly":
            self._criterium(word, start)
            value, position = text.rest_of_line(position)
            day = re.fullmatch(r"\+?(\d+)", value.strip())
            if value.strip() and (day is None or int(day.group(1)) > 7):
                self._fatal(start, f"bad weekly directive '{value}'")
            return position
        if word in ("size", "minsize", "maxsize"):
            value, position = text.value(position)
            if value is None:
                self.problem(start, f"argument expected after {word}", LINE)
                return position
            if not value:
                return position
            if value[-1] not in "kKMG" and not value[-1].isdigit():
                return self._raise(start, f"unknown unit '{value[-1]}'")
            size = parse_size(value)
            if size is None:
                digits = value[:-1] if value[-1] in "kKMG" else value
                return self._raise(start, f"bad size '{digits}'")
            if word == "size":
                self._criterium("size", start)
                current.threshold = size
                self._set("threshold", start)
            else:
                setattr(current, word, size)
                self._set(word, start)
            return position
        if word in ("rotate", "start", "minage", "maxage", "shredcycles"):
            value, position = text.value(position)
            if value is None:
                return self._raise(start, f"argument expected after {word}")
            number = strtol(value)
            lowest = -1 if word == "rotate" else 0
            if number is None or number < lowest:
                label = {"rotate": "rotation count", "shredcycles": "shred cycles"}.get(word, word)
                return self._raise(start, f"bad {label} '{value}'")
            if word == "rotate":
                current.rotate = number
            else:
                current.values[word] = str(number)
            self._set(word, start)
            return position
        if word in SCRIPTS:
            current.scripts.pop(word, None)
            self.pending_script = word
            self.pending_script_line = text.line(start)
            self.state = _LOAD_SCRIPT
            return position
        if word in ("su", "create", "createolddir"):
            value, position = text.rest_of_line(position)
            return self._owner(word, value, start, position)
        if word in ("tabooext", "taboopat"):
            if self.in_block():
                self.error_problem = self.problem(
                    start, f"{word} may not appear inside of log file definition", BLOCK
                )
                self.state = _ERROR
                return position
            value, position = text.value(position)
            if value is None:
                self.problem(start, f"argument expected after {word}", LINE)
                return position
            self._taboo(word, value)
            return position
        if word == "include":
            value, position = text.value(position)
            if value is None:
                return self._raise(start, "argument expected after include")
            if value.startswith("~/"):
                value = posixpath.join(self.parser.home, value[2:])
            if self.parser.depth >= MAX_NESTING:
                self.problem(start, "include nesting too deep", LINE)
                self.failed = True
                return position
            self.parser.depth += 1
            try:
                if not self.parser.read_path(value, current, self.loc(start)):
                    self.failed = True
            finally:
                self.parser.depth -= 1
            return position
        if word in ("olddir", "compresscmd", "uncompresscmd", "compressext", "mail"):
            value, position = text.value(position)
            if value is None:
                return self._raise(start, f"argument expected after {word}")
            if any(_is_space(char) or not char.isprintable() for char in value):
                return self._raise(start, f"bad {word} path {value}")
            current.values[word] = value
            self._set(word, start)
            return position
        if word in ("dateformat", "extension", "addextension"):
            value, position = text.value(position)
            if value is None:
                if word == "dateformat":
                    self.problem(start, "argument expected after dateformat", LINE)
                    return position
                return self._raise(start, f"argument expected after {word}")
            current.values[word] = value
            self._set(word, start)
            return position
        if word == "compressoptions":
            value, position = text.rest_of_line(position)
            if popt_split(value) is None:
                return self._raise(start, "invalid compression options")
            current.values[word] = value
            self._set(word, start)
            return position
        if word in ("noolddir", "nomail"):
            current.values.pop(word[2:], None)
            self._set(word[2:], start)
            return position
        if word == "errors":
            self.problem(start, "the errors directive is deprecated and no longer used", WARNING)
            return position
        self.problem(start, f"unknown option '{word}' -- ignoring line", LINE)
        if text.char(position) != "\n":
            self.state = _SKIP_LINE
        return position

    def _criterium(self, name: str, position: int) -> None:
        self.current.criterium = name
        self.criterium_set = True
        self._set("criterium", position)

    def _owner(self, word: str, value: str, start: int, position: int) -> int:
        words = value.split()
        current = self.current
        mode = None
        if word != "su" and words and re.fullmatch(r"[0-7]+", words[0]):
            mode = words.pop(0)
        if len(words) > 2:
            return self._raise(start, f"extra arguments for {word}")
        prefix = {"su": "su", "create": "create", "createolddir": "olddir"}[word]
        if mode is not None:
            current.values[prefix + "_mode"] = mode
        if words:
            current.values[prefix + "_user"] = words[0]
        if len(words) > 1:
            current.values[prefix + "_group"] = words[1]
        if word == "su":
            if "su_user" not in current.values:
                return self._raise(start, "no user for su")
            if "su_group" not in current.values:
                return self._raise(start, "no group for su")
        current.flags.add(word)
        self._set(word, start)
        return position

    def _taboo(self, word: str, value: str) -> None:
        taboo = self.parser.taboo
        if value.startswith("+"):
            value = value[1:].lstrip()
        else:
            taboo.clear()
        for item in re.split(r"[\s,]+", value):
            if item:
                taboo.append("*" + item if word == "tabooext" else item)


def parse(
    source: Source,
    main: str = "/etc/logrotate.conf",
    *,
    known_files: Iterable[str] = (),
    home: str = "/root",
    as_root: bool = True,
) -> LogrotateConfig:
    """Parse ``main`` and what it includes from ``source``, expanding log globs over ``known_files``."""
    parser = _Parser(source, known_files, home, as_root)
    defaults = Settings()
    parser.read_path(main, defaults, Location(main, 0))
    return LogrotateConfig(
        main=posixpath.normpath(main),
        rules=parser.rules,
        problems=parser.problems,
        files_read=parser.files_read,
        directories=parser.directories,
        globals=defaults,
        known_files=frozenset(parser.known),
    )


def parse_collected(collected: Mapping[str, Any], known_files: Iterable[str] = ()) -> LogrotateConfig | None:
    """The configuration from a collector's ``logrotate`` structure; None when there is none."""
    if not collected or not collected.get("paths"):
        return None
    return parse(
        CollectedSource(collected["paths"]),
        str(collected.get("config") or "/etc/logrotate.conf"),
        known_files=known_files,
        home=str(collected.get("home") or "/root"),
    )


_REOPEN = re.compile(
    r"""
    \bnginx\b[^\n;|&]*\s-s\s*(reopen|reload)\b
    | (invoke-rc\.d\s+|service\s+|/etc/init\.d/)nginx\s+(rotate|reload|restart|force-reload)\b
    | \bsystemctl\b[^\n;|&]*\b(reload|restart|try-restart|reload-or-restart|try-reload-or-restart)\b
      [^\n;|&]*\bnginx\b
    | \bsystemctl\b[^\n;|&]*\bkill\b(?=[^\n;|&]*\bnginx)[^\n;|&]*\b(SIG)?USR1\b
    | \b(kill|pkill|killall)\b[^\n;|&]*\s(-s\s*|-|--signal[=\s]\s*)(SIG)?(USR1|HUP|10|1)\b
    | \bstart-stop-daemon\b[^\n;|&]*\s(-s|--signal)[=\s]\s*(SIG)?(USR1|HUP)\b
    """,
    re.VERBOSE,
)


def reopens_logs(script: str) -> bool:
    """Whether a script makes nginx reopen its logs: ``nginx -s reopen``, USR1 or HUP to a process,
    ``invoke-rc.d nginx rotate``, ``systemctl reload nginx`` and the like."""
    lines = [line.split("#", 1)[0] for line in script.splitlines()]
    return bool(_REOPEN.search("\n".join(lines)))
