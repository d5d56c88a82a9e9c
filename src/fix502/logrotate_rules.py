"""The rule files the role fix502.gateway.logrotate writes for the logs no rule rotates (finding LRT001).

One file per set of logs, ``<rule_dir>/fix502-<set>``: nginx's logs together (reopened with USR1 to the
master, as Debian's own rule does), and each backend's logs (copytruncate, since a backend holds its log
open and cannot be told to reopen it, unless the role is given a command that does). Paths are written
quoted and escaped, so logrotate reads each as that one file and never as a glob. Each rule has a time and
a size limit, keeps old logs compressed and never deletes one that is not rotated.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

FREQUENCIES = ("hourly", "daily", "weekly", "monthly", "yearly")
_SIZE = re.compile(r"[1-9][0-9]*[kKMG]?")
_NAME = re.compile(r"[A-Za-z0-9_-]+")
HEADER = (
    "# Written by fix502.gateway.logrotate (finding LRT001): these logs had no logrotate rule.\n"
    "# Check with: logrotate -d {path}\n"
)


def quote_path(path: str) -> str:
    """A path as one literal logrotate file name: double quotes, and \\ before \\ " * ? [ so that
    neither popt nor glob(3) reads anything into it."""
    return '"' + re.sub(r'([\\"*?\[])', r"\\\1", path) + '"'


def _settings(raw: Mapping[str, Any]) -> dict[str, Any]:
    frequency = str(raw.get("frequency", "daily"))
    if frequency not in FREQUENCIES:
        raise ValueError(f"logrotate_frequency must be one of {', '.join(FREQUENCIES)}, not {frequency!r}")
    maxsize = str(raw.get("maxsize", "100M") or "")
    if maxsize and not _SIZE.fullmatch(maxsize):
        raise ValueError(f"logrotate_maxsize must be a size such as 100M or 500k, not {maxsize!r}")
    try:
        rotate = int(raw.get("rotate", 14))
    except (TypeError, ValueError):
        raise ValueError(f"logrotate_rotate must be a whole number, not {raw.get('rotate')!r}") from None
    if rotate < 1:
        raise ValueError(
            f"logrotate_rotate must be at least 1 (old logs are kept, never deleted), not {rotate}"
        )
    rule_dir = str(raw.get("rule_dir", "/etc/logrotate.d"))
    if not rule_dir.startswith("/"):
        raise ValueError(f"logrotate_rule_dir must be an absolute path, not {rule_dir!r}")
    backend_postrotate = raw.get("backend_postrotate") or {}
    if not isinstance(backend_postrotate, Mapping):
        raise ValueError("logrotate_backend_postrotate must map backend names to commands")
    return {
        "frequency": frequency,
        "maxsize": maxsize,
        "rotate": rotate,
        "compress": bool(raw.get("compress", True)),
        "delaycompress": bool(raw.get("delaycompress", True)),
        "rule_dir": rule_dir.rstrip("/") or "/",
        "backend_postrotate": {str(k): str(v) for k, v in backend_postrotate.items()},
        "nginx_postrotate": str(raw.get("nginx_postrotate") or ""),
    }


def log_sets(
    findings: Sequence[Mapping[str, Any]], rule_dir: str = "/etc/logrotate.d"
) -> list[dict[str, Any]]:
    """The sets of logs to write rules for: the auto-fixable LRT001 findings, grouped by set."""
    sets: dict[str, dict[str, Any]] = {}
    for finding in findings:
        if finding.get("id") != "LRT001" or not finding.get("autofix"):
            continue
        evidence = finding.get("evidence") or {}
        values = evidence.get("values") or {}
        name = str(values.get("set") or "")
        if not _NAME.fullmatch(name):
            raise ValueError(f"finding LRT001 for {evidence.get('path')!r} names no valid set: {name!r}")
        entry = sets.setdefault(
            name,
            {
                "name": name,
                "dest": f"{rule_dir}/fix502-{name}",
                "paths": set(),
                "reopen": str(values.get("reopen") or "copytruncate"),
                "pid_file": str(values.get("pid_file") or ""),
            },
        )
        entry["paths"].add(str(evidence.get("path")))
        entry["paths"].update(str(p) for p in json.loads(str(values.get("rule_paths") or "[]")))
    result = []
    for name in sorted(sets):
        entry = sets[name]
        paths = sorted(entry["paths"])
        for path in paths:
            if not path.startswith("/") or any(ord(char) < 32 or ord(char) == 127 for char in path):
                raise ValueError(f"set {name}: {path!r} is not an absolute path logrotate can be given")
        entry["paths"] = paths
        result.append(entry)
    return result


def _stats(stats: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    found = {}
    for result in stats:
        info = result.get("stat") or {}
        if info.get("exists"):
            found[str(result.get("item"))] = info
    return found


def _needs_su(info: Mapping[str, Any]) -> bool:
    """logrotate (as root) skips a log in a directory writable by others, or by a group other than root."""
    mode = int(str(info.get("mode") or "0"), 8)
    return bool(mode & 0o002 or (mode & 0o020 and int(info.get("gid", 0)) != 0))


def render(
    entry: Mapping[str, Any], settings: Mapping[str, Any], stats: Mapping[str, Mapping[str, Any]]
) -> str:
    lines = [HEADER.format(path=entry["dest"]).rstrip("\n")]
    lines += [quote_path(path) for path in entry["paths"]]
    lines.append("{")
    body = [settings["frequency"]]
    if settings["maxsize"]:
        body.append(f"maxsize {settings['maxsize']}")
    body.append(f"rotate {settings['rotate']}")
    if settings["compress"]:
        body.append("compress")
        if settings["delaycompress"]:
            body.append("delaycompress")
    body += ["missingok", "notifempty"]
    for path in entry["paths"]:
        directory = stats.get(posixpath.dirname(path))
        if directory and _needs_su(directory):
            owner = directory.get("pw_name") or directory.get("uid")
            group = directory.get("gr_name") or directory.get("gid")
            body.append(f"su {owner} {group}")
            break
    script = ""
    if entry["reopen"] == "nginx":
        current = next((stats[p] for p in entry["paths"] if p in stats), None)
        if current is not None:
            owner = current.get("pw_name") or current.get("uid")
            group = current.get("gr_name") or current.get("gid")
            body.append(f"create {current.get('mode', '0640')} {owner} {group}")
        pid_file = shlex.quote(entry["pid_file"] or "/run/nginx.pid")
        script = settings["nginx_postrotate"] or f'[ ! -f {pid_file} ] || kill -USR1 "$(cat {pid_file})"'
    else:
        script = settings["backend_postrotate"].get(entry["name"], "")
        if not script:
            body.append("copytruncate")
    if script:
        body += ["sharedscripts", "postrotate"]
        body += [f"    {line}" for line in script.strip().splitlines()]
        body.append("endscript")
    lines += [f"    {line}" for line in body]
    lines.append("}")
    return "\n".join(lines) + "\n"


def plan(
    findings: Sequence[Mapping[str, Any]],
    stats: Sequence[Mapping[str, Any]] | None = None,
    settings: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The rule files to write: each ``{name, dest, paths, content}``.

    ``stats``: the results of ``ansible.builtin.stat`` on the logs and their directories (a loop's
    ``results``), for ``create`` (nginx's logs keep their mode and owner) and ``su`` (a directory logrotate
    would find insecure). Raises ValueError naming the bad setting or finding.
    """
    checked = _settings(settings or {})
    by_path = _stats(stats or [])
    entries = log_sets(findings, checked["rule_dir"])
    for entry in entries:
        entry["content"] = render(entry, checked, by_path)
    return entries


def paths_to_stat(findings: Sequence[Mapping[str, Any]]) -> list[str]:
    """The logs of the auto-fixable LRT001 findings and their directories, each once."""
    paths: list[str] = []
    for entry in log_sets(findings):
        for path in entry["paths"]:
            for candidate in (path, posixpath.dirname(path)):
                if candidate not in paths:
                    paths.append(candidate)
    return paths
