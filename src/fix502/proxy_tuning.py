"""What the role fix502.gateway.nginx_proxy changes, planned from ``nginx -T`` and the audit's findings.

The plan is the least that really takes effect:

- one managed snippet included at http level holds the settings nothing at http level sets
  already (HTTP/1.1 to backends, the Connection header cleared, header buffers, bounded
  retries). Its content depends only on the role's variables and on the user's http level, so
  a second run plans the same snippet and changes nothing. When no ``include`` of the http
  block loads it yet, one ``include`` line is put first inside the http block;
- a value that is too low where a server or location sets it (NGX007, NGX008) is raised in
  place: only the arguments of that one statement change;
- a location or server with ``proxy_set_header`` lines of its own inherits none from http, so
  for an NGX001 finding the block that holds them gets one ``include`` of a small location
  snippet that clears the Connection header; a ``proxy_http_version`` or ``Connection close``
  set in the way is changed in place.

The role's files (the snippets) are never planned as edits. Nothing is planned for findings the
role does not own or that are not auto-fixable.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

import crossplane

from fix502.nginx_config import Directive, parse_dump, split_dump
from fix502.nginx_scope import Pass, ProxyModel

FIXED_BY = "fix502.gateway.nginx_proxy"
HEADER = "# Managed by fix502.gateway.nginx_proxy: change the role's variables, not this file.\n"
LOCATION_SNIPPET = 'proxy_set_header Connection "";\n'

# (directive in the http-level snippet, key of the role's settings)
SNIPPET_SETTINGS = (
    ("proxy_http_version", "http_version"),
    ("proxy_buffer_size", "buffer_size"),
    ("proxy_buffers", "buffers"),
    ("fastcgi_buffer_size", "fastcgi_buffer_size"),
    ("fastcgi_buffers", "fastcgi_buffers"),
    ("proxy_next_upstream", "next_upstream"),
    ("proxy_next_upstream_tries", "next_upstream_tries"),
)
TIMEOUT_SETTINGS = {
    "connect": "connect_timeout",
    "read": "read_timeout",
    "fastcgi_read": "fastcgi_read_timeout",
}
BUFFER_SETTINGS = {"proxy_buffer_size": "buffer_size", "fastcgi_buffer_size": "fastcgi_buffer_size"}


class _Plan:
    def __init__(self, dump: str, settings: Mapping[str, Any]) -> None:
        self.config = parse_dump(dump)
        if not self.config.main_file or not self.config.directives:
            problems = "; ".join(p.message for p in self.config.problems) or "nothing parsed"
            raise ValueError(f"cannot read the nginx configuration: {problems}")
        self.sources = split_dump(dump)
        self.settings = settings
        conf_dir = posixpath.dirname(self.config.main_file)
        self.snippet = str(settings.get("snippet_path") or f"{conf_dir}/conf.d/fix502-proxy-tuning.conf")
        self.location_snippet = str(
            settings.get("location_snippet_path") or f"{conf_dir}/snippets/fix502-proxy-location.conf"
        )
        self.ours = {self.snippet, self.location_snippet}
        self.model = ProxyModel.build(self.config)
        self.http = self.model.http_blocks[0] if self.model.http_blocks else None
        self.edits: dict[str, dict[tuple[int, str, str], dict[str, Any]]] = {}
        self.notes: list[str] = []
        self.index: dict[tuple[str, int], list[Directive]] = {}

    def value(self, key: str) -> str:
        raw = self.settings.get(key)
        return "" if raw is None else str(raw).strip()

    def clears_connection(self) -> bool:
        raw = self.settings.get("clear_connection_header", True)
        return str(raw).strip().lower() not in ("false", "no", "off", "0", "")

    def user_http(self) -> list[Directive]:
        if self.http is None:
            return []
        return [d for d in self.http.block or () if d.file not in self.ours]

    def snippet_lines(self) -> list[str]:
        if self.http is None:
            return []
        user = self.user_http()
        names = {d.name for d in user}
        lines = []
        for directive, key in SNIPPET_SETTINGS:
            value = self.value(key)
            if value and directive not in names:
                lines.append(f"{directive} {value};\n")
        user_connection = any(
            d.name == "proxy_set_header" and d.first_arg().lower() == "connection" for d in user
        )
        if self.clears_connection() and not user_connection:
            lines.insert(1 if lines and lines[0].startswith("proxy_http_version") else 0, LOCATION_SNIPPET)
        return lines

    def edit(self, directive: Directive, action: str, value: str) -> None:
        if directive.file in self.ours:
            return
        key = (directive.line, directive.name, action)
        self.edits.setdefault(directive.file, {})[key] = {
            "line": directive.line,
            "directive": directive.name,
            "action": action,
            "value": value,
        }

    def find(self, file: str, line: int, names: Sequence[str]) -> Directive | None:
        if not self.index:
            for directive in self.config.walk():
                self.index.setdefault((directive.file, directive.line), []).append(directive)
        return next((d for d in self.index.get((file, line), []) if d.name in names), None)

    def finding(self, finding: Mapping[str, Any]) -> None:
        evidence = finding.get("evidence") or {}
        values = evidence.get("values") or {}
        file, line = evidence.get("file"), evidence.get("line")
        if not file or not line or file in self.ours:
            return
        check = finding.get("id")
        if check == "NGX007":
            value = self.value(TIMEOUT_SETTINGS.get(str(values.get("kind")), ""))
            self.set_value(file, int(line), str(values.get("setting", "")), value)
        elif check == "NGX008" and values.get("state") == "small":
            setting = str(values.get("setting", ""))
            self.set_value(file, int(line), setting, self.value(BUFFER_SETTINGS.get(setting, "")))
        elif check == "NGX001":
            directive = self.find(file, int(line), ["proxy_pass"])
            item = next((p for p in self.model.passes if p.directive is directive), None)
            if item is not None:
                self.keepalive(item)

    def set_value(self, file: str, line: int, setting: str, value: str) -> None:
        directive = self.find(file, line, [setting])
        if directive is None or not value:
            self.notes.append(f"{file}:{line}: {setting} left as it is (no value to set, or not found)")
            return
        self.edit(directive, "set", value)

    def keepalive(self, item: Pass) -> None:
        version = item.scoped.nearest("proxy_http_version")
        wanted = self.value("http_version")
        if version is not None and version.first_arg() != "1.1" and wanted:
            self.edit(version, "set", wanted)
        if not self.clears_connection():
            return
        level, headers = item.scoped.nearest_list("proxy_set_header")
        connection = next((h for h in reversed(headers) if h.first_arg().lower() == "connection"), None)
        if connection is not None:
            if connection.args[1:] == ["close"]:
                self.edit(connection, "set", 'Connection ""')
        elif level is not None and level.name != "http":
            self.edit(level, "insert_in_block", f"include {self.location_snippet};")

    def http_includes_snippet(self) -> bool:
        """Whether the snippet is loaded already, or would be by an include glob of the http block."""
        if self.http is None:
            return False
        if self.snippet in self.config.files:
            return True
        text = self.sources.get(self.http.file)
        if text is None:
            return False
        conf_dir = posixpath.dirname(self.config.main_file)
        for pattern in _http_includes(text, self.http.line):
            full = (
                pattern if pattern.startswith("/") else posixpath.normpath(posixpath.join(conf_dir, pattern))
            )
            if _glob_match(full, self.snippet):
                return True
        return False

    def result(self, findings: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        for finding in findings:
            if finding.get("fixed_by") == FIXED_BY and finding.get("autofix"):
                self.finding(finding)
        lines = self.snippet_lines()
        files: list[dict[str, Any]] = []
        if self.http is not None and (lines or self.snippet in self.config.files):
            files.append({"path": self.snippet, "content": HEADER + "".join(lines)})
            if not self.http_includes_snippet():
                self.edit(self.http, "insert_in_block", f"include {self.snippet};")
        wants_location = any(
            e["value"] == f"include {self.location_snippet};"
            for file in self.edits.values()
            for e in file.values()
        )
        if wants_location or self.location_snippet in self.config.files:
            files.append({"path": self.location_snippet, "content": HEADER + LOCATION_SNIPPET})
        for path in sorted(self.edits):
            edits = sorted(self.edits[path].values(), key=lambda e: (e["line"], e["directive"], e["action"]))
            files.append({"path": path, "edits": edits})
        return {
            "main_file": self.config.main_file,
            "snippet_path": self.snippet,
            "location_snippet_path": self.location_snippet,
            "files": files,
            "notes": self.notes,
        }


def _glob_match(pattern: str, path: str) -> bool:
    pattern_parts, path_parts = pattern.split("/"), path.split("/")
    if len(pattern_parts) != len(path_parts):
        return False
    return all(fnmatch.fnmatchcase(p, q) for p, q in zip(path_parts, pattern_parts, strict=True))


def _http_includes(text: str, http_line: int) -> list[str]:
    """The arguments of the ``include`` lines directly inside the http block that starts on ``http_line``."""
    with tempfile.TemporaryDirectory(prefix="fix502-plan-") as tmp:
        local = os.path.join(tmp, "main.conf")
        with open(local, "w", encoding="utf-8") as handle:
            handle.write(text)
        parsed = crossplane.parse(local, single=True, comments=False, check_ctx=False, check_args=False)
    stack = list(parsed["config"][0]["parsed"])
    while stack:
        item = stack.pop()
        if item["directive"] == "http" and item["line"] == http_line:
            return [
                str(d["args"][0]) for d in item.get("block", []) if d["directive"] == "include" and d["args"]
            ]
        stack.extend(item.get("block", []))
    return []


def plan(dump: str, findings: Sequence[Mapping[str, Any]], settings: Mapping[str, Any]) -> dict[str, Any]:
    """The files the role writes (``content``) or edits (``edits``), and notes on what it left alone.

    ValueError when ``dump`` holds no configuration nginx could have loaded.
    """
    return _Plan(dump, settings).result(findings)
