"""Log rotation: which logs logrotate really rotates, how, and how much room the journal may take.

The rules come from the collector's raw logrotate files, parsed as logrotate reads them
(fix502.logrotate); the logs are the collector's ``log_files``: nginx's, the backends', and every
``*.log`` under the log directories.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fix502 import journald as journald_settings
from fix502.checks import Hit, judges
from fix502.checks.context import HostContext
from fix502.logrotate import (
    BLOCK,
    FILE,
    IGNORED_FILE,
    LINE,
    REST_OF_BLOCK,
    UNKNOWN,
    WARNING,
    LogrotateConfig,
    Rule,
    reopens_logs,
)
from fix502.model import Evidence, Severity
from fix502.units import human_bytes, percent

# Where the role fix502.gateway.logrotate writes its rules; a host whose logrotate does not read this
# directory gets no automatic fix.
RULE_DIR = "/etc/logrotate.d"
RULE_PREFIX = "fix502-"
JOURNAL_DEFAULT_CAP = 4 * 1024**3
_SAFE_PATH = re.compile(r"/[^\x00-\x1f\x7f]*")
# A rule in /etc would outlive logs kept on these (emptied at boot): no automatic fix for them.
_VOLATILE = ("/tmp/", "/var/tmp/", "/dev/shm/", "/run/")
_MAX_LOGS_NAMED = 5

_EFFECTS = {
    LINE: (
        "logrotate ignores that line (or that log) and reads the rest.",
        "logrotate 忽略这一行（或这个日志），继续读取其余部分。",
    ),
    BLOCK: (
        "logrotate drops the whole block, so the logs it names are not rotated by it, and skips "
        "everything up to the next } at the start of a line, which may be another block's.",
        "logrotate 丢弃整个块，其中的日志不会按它轮转；"
        "并跳过直到下一个位于行首的 } 之前的所有内容，可能包括其他块。",
    ),
    REST_OF_BLOCK: (
        "logrotate ignores the rest of the block; as the block is never closed, it keeps what came before.",
        "logrotate 忽略该块其余部分；由于该块没有闭合，错误之前的设置仍然保留。",
    ),
    FILE: (
        "logrotate reads no further in this file: its later blocks are not rotated, its global settings are "
        "undone and the block being read is dropped.",
        "logrotate 不再读取这个文件的后续内容：之后的块不会轮转，"
        "该文件的全局设置被撤销，正在读取的块被丢弃。",
    ),
    IGNORED_FILE: (
        "logrotate ignores the whole file: none of its rules applies.",
        "logrotate 忽略整个文件：其中的规则都不生效。",
    ),
    WARNING: (
        "logrotate goes on, but this is probably not what was meant.",
        "logrotate 会继续运行，但这很可能不是本来的意图。",
    ),
}
_SEVERITY = {
    BLOCK: Severity.MEDIUM,
    FILE: Severity.MEDIUM,
    IGNORED_FILE: Severity.MEDIUM,
    LINE: Severity.LOW,
    REST_OF_BLOCK: Severity.LOW,
    WARNING: Severity.INFO,
}


@dataclass(frozen=True)
class Log:
    path: str
    size: int
    writer: str | None
    backend: str | None
    directive: str | None

    @property
    def set_name(self) -> str:
        """The name of the rule the role writes for this log's writer."""
        raw = "nginx" if self.writer == "nginx" else str(self.backend or "logs")
        return re.sub(r"[^A-Za-z0-9_-]+", "-", raw).strip("-") or "logs"


def collected_logs(ctx: HostContext) -> list[Log]:
    logs = []
    for entry in ctx.collected.get("log_files") or []:
        logs.append(
            Log(
                path=str(entry.get("path")),
                size=int(entry.get("size") or 0),
                writer=entry.get("writer"),
                backend=entry.get("backend"),
                directive=entry.get("directive"),
            )
        )
    return logs


def _named(paths: list[str]) -> str:
    shown = ", ".join(paths[:_MAX_LOGS_NAMED])
    if len(paths) > _MAX_LOGS_NAMED:
        shown += f" (+{len(paths) - _MAX_LOGS_NAMED})"
    return shown


def _mount(ctx: HostContext, path: str) -> dict[str, Any]:
    return ctx.mount_of(path) or {}


def _rules_with_logs(ctx: HostContext, config: LogrotateConfig) -> list[tuple[Rule, list[Log]]]:
    """The rules that rotate at least one collected log, each with those logs, in reading order."""
    by_rule: dict[int, list[Log]] = {}
    for log in collected_logs(ctx):
        rule = config.rule_for(log.path)
        if rule is not None:
            by_rule.setdefault(id(rule), []).append(log)
    return [(rule, by_rule[id(rule)]) for rule in config.rules if id(rule) in by_rule]


def _rule_evidence(rule: Rule, logs: list[Log], *values: tuple[str, str]) -> Evidence:
    return Evidence(
        file=rule.file,
        line=rule.location.line,
        path=logs[0].path if logs else None,
        values=(("logs", " ".join(log.path for log in logs)), *values),
    )


def nginx_pid_file(ctx: HostContext) -> str:
    """nginx's pid file: the pid directive, else the compiled --pid-path, else logs/nginx.pid."""
    facts = ctx.nginx_facts
    prefix = str(facts.get("prefix") or "/usr/share/nginx/")
    value = ""
    if ctx.nginx is not None:
        directives = ctx.nginx.top("pid")
        if directives:
            value = directives[-1].first_arg()
    if not value:
        for token in str(facts.get("configure_arguments") or "").split():
            if token.startswith("--pid-path="):
                value = token.split("=", 1)[1]
    if not value:
        value = "logs/nginx.pid"
    return posixpath.normpath(value if value.startswith("/") else posixpath.join(prefix, value))


def _writer(log: Log) -> tuple[str, str]:
    if log.writer == "nginx":
        return f"nginx ({log.directive})", f" nginx（{log.directive}）"
    return f"backend {log.backend}", f"后端 {log.backend} "


@judges("LRT001")
def uncovered_logs(ctx: HostContext) -> Iterator[Hit]:
    if ctx.collected.get("logrotate") is None:
        return
    config = ctx.logrotate
    main = str((ctx.collected.get("logrotate") or {}).get("config") or "/etc/logrotate.conf")
    missing = config is None or not config.files_read
    uncovered = [
        log
        for log in collected_logs(ctx)
        if log.writer in ("nginx", "backend") and (config is None or config.rule_for(log.path) is None)
    ]
    sets: dict[str, list[str]] = {}
    for log in uncovered:
        sets.setdefault(log.set_name, []).append(log.path)
    if config is not None:
        # Logs the role's own rule for a set already rotates stay in it when the role writes it again.
        for rule in config.rules:
            name = posixpath.basename(rule.file)
            if posixpath.dirname(rule.file) == RULE_DIR and name.startswith(RULE_PREFIX):
                set_name = name[len(RULE_PREFIX) :]
                if set_name in sets:
                    # Only the logs that still exist: a rule must not keep the paths of logs long gone.
                    known = config.known_files
                    sets[set_name].extend(p for p in rule.files if p in known and p not in sets[set_name])
    fixable = config is not None and RULE_DIR in config.directories
    pid_file = nginx_pid_file(ctx)
    for log in uncovered:
        writer, writer_zh = _writer(log)
        rule_file = f"{RULE_DIR}/{RULE_PREFIX}{log.set_name}"
        if log.writer == "nginx":
            reopen = f"a postrotate that sends USR1 to nginx's master (pid file {pid_file})"
            reopen_zh = f"向 nginx 主进程发送 USR1 的 postrotate（pid 文件 {pid_file}）"
            method = "nginx"
        else:
            reopen = "copytruncate, as the backend keeps its log open"
            reopen_zh = "copytruncate（后端一直打开着它的日志）"
            method = "copytruncate"
        yield Hit(
            "LRT001",
            {
                "path": log.path,
                "size": human_bytes(log.size),
                "writer": writer,
                "writer_zh": writer_zh,
                "config": f"{main} (missing: is logrotate installed?)" if missing else main,
                "mount": str(_mount(ctx, log.path).get("mount") or "its filesystem"),
                "rule_file": rule_file,
                "reopen": reopen,
                "reopen_zh": reopen_zh,
            },
            Evidence(
                path=log.path,
                values=(
                    ("size_bytes", str(log.size)),
                    ("writer", log.writer or ""),
                    ("set", log.set_name),
                    ("rule_file", rule_file),
                    ("rule_paths", json.dumps(sorted(sets[log.set_name]))),
                    ("reopen", method),
                    ("pid_file", pid_file),
                ),
            ),
            autofix=fixable and bool(_SAFE_PATH.fullmatch(log.path)) and not log.path.startswith(_VOLATILE),
        )


@judges("LRT002")
def no_limit(ctx: HostContext) -> Iterator[Hit]:
    config = ctx.logrotate
    if config is None:
        return
    for rule, logs in _rules_with_logs(ctx, config):
        if rule.settings.origin("criterium") is None:
            yield Hit(
                "LRT002",
                {"rule": str(rule.location), "logs": _named([log.path for log in logs]), "file": rule.file},
                _rule_evidence(rule, logs, ("criterium", "logrotate's default: size 1M")),
            )


@judges("LRT003")
def no_old_logs(ctx: HostContext) -> Iterator[Hit]:
    config = ctx.logrotate
    if config is None:
        return
    for rule, logs in _rules_with_logs(ctx, config):
        if rule.settings.rotate != 0:
            continue
        origin = rule.settings.origin("rotate")
        yield Hit(
            "LRT003",
            {
                "rule": str(rule.location),
                "logs": _named([log.path for log in logs]),
                "file": rule.file,
                "rotate_where": f"set at {origin}" if origin else "no rotate anywhere: logrotate's default",
                "rotate_where_zh": f"设置于 {origin}"
                if origin
                else "任何地方都没有设置 rotate：logrotate 的默认值",
            },
            _rule_evidence(rule, logs, ("rotate", "0"), ("rotate_set_at", str(origin or ""))),
        )


@judges("LRT004")
def not_compressed(ctx: HostContext) -> Iterator[Hit]:
    config = ctx.logrotate
    if config is None:
        return
    for rule, logs in _rules_with_logs(ctx, config):
        settings = rule.settings
        if settings.rotate == 0 or settings.has("compress"):
            continue
        origin = settings.origin("compress")
        kept = "all" if settings.rotate < 0 else str(settings.rotate)
        yield Hit(
            "LRT004",
            {
                "rule": str(rule.location),
                "logs": _named([log.path for log in logs]),
                "file": rule.file,
                "rotate": kept,
                "compress_where": f"nocompress at {origin}" if origin else "compress is set nowhere",
                "compress_where_zh": f"{origin} 处为 nocompress" if origin else "任何地方都没有设置 compress",
            },
            _rule_evidence(rule, logs, ("rotate", kept), ("compress", "no")),
        )


@judges("LRT005")
def nginx_not_reopened(ctx: HostContext) -> Iterator[Hit]:
    config = ctx.logrotate
    if config is None:
        return
    pid_file = nginx_pid_file(ctx)
    for rule, logs in _rules_with_logs(ctx, config):
        nginx_logs = [log for log in logs if log.writer == "nginx"]
        settings = rule.settings
        if not nginx_logs or settings.has("copytruncate"):
            continue
        scripts = [
            settings.scripts[name].text for name in ("postrotate", "lastaction") if name in settings.scripts
        ]
        if any(reopens_logs(script) for script in scripts):
            continue
        yield Hit(
            "LRT005",
            {
                "rule": str(rule.location),
                "logs": _named([log.path for log in nginx_logs]),
                "file": rule.file,
                "pid_file": shlex.quote(pid_file),
            },
            _rule_evidence(
                rule, nginx_logs, ("postrotate", "yes" if scripts else "no"), ("pid_file", pid_file)
            ),
        )


def _criterion(rule: Rule) -> str:
    settings = rule.settings
    text = f"size {human_bytes(settings.threshold)}" if settings.criterium == "size" else settings.criterium
    if settings.maxsize:
        text += f", maxsize {human_bytes(settings.maxsize)}"
    return text


@judges("LRT006")
def large_logs(ctx: HostContext) -> Iterator[Hit]:
    limit = ctx.thresholds.log_file_size_high_bytes
    config = ctx.logrotate
    main = config.main if config is not None else "/etc/logrotate.conf"
    for log in collected_logs(ctx):
        if log.size < limit:
            continue
        rule = config.rule_for(log.path) if config is not None else None
        fs = _mount(ctx, log.path)
        if rule is None:
            detail = "no logrotate rule rotates it, so it only grows."
            detail_zh = "没有任何 logrotate 规则轮转它，它只会一直增长。"
            action = "Add a logrotate rule for it with a `maxsize`, then run logrotate on it once with `-f`."
            action_zh = "为它添加带 `maxsize` 的 logrotate 规则，然后用 `-f` 对它运行一次 logrotate。"
        else:
            detail = (
                f"its rule at {rule.location} ({_criterion(rule)}) has not kept it smaller; logrotate may "
                "not run often enough (daily, from logrotate.timer or cron) or the rule's limit is too loose."
            )
            detail_zh = (
                f"{rule.location} 处的规则（{_criterion(rule)}）没能让它保持较小；"
                "可能 logrotate 运行得不够频繁（由 logrotate.timer 或 cron 每天运行一次），"
                "或规则的限制太宽松。"
            )
            action = (
                f"Give its rule at {rule.location} a `maxsize` (such as 100M) and run logrotate more often "
                f"(hourly); `logrotate -v {main}` rotates what is due now."
            )
            action_zh = (
                f"给 {rule.location} 处的规则加上 `maxsize`（例如 100M），"
                "并更频繁地运行 logrotate（每小时）；"
                f"`logrotate -v {main}` 会立即轮转已到期的日志。"
            )
        yield Hit(
            "LRT006",
            {
                "path": log.path,
                "size": human_bytes(log.size),
                "threshold": human_bytes(limit),
                "mount": str(fs.get("mount") or "its filesystem"),
                "used_percent": percent(float(fs.get("used_percent") or 0)),
                "detail": detail,
                "detail_zh": detail_zh,
                "action": action,
                "action_zh": action_zh,
            },
            Evidence(
                path=log.path,
                file=rule.file if rule else None,
                line=rule.location.line if rule else None,
                values=(("size_bytes", str(log.size)), ("rule", str(rule.location) if rule else "")),
            ),
        )


@judges("LRT007")
def journal_unbounded(ctx: HostContext) -> Iterator[Hit]:
    settings = journald_settings.from_collected(ctx.collected.get("journald") or {})
    systemd = bool((ctx.collected.get("systemd") or {}).get("running"))
    if settings is None or not (systemd or settings.usage_bytes):
        return  # no journald runs here
    if settings.storage == "none":
        return
    persistent = settings.persistent
    key = "SystemMaxUse" if persistent else "RuntimeMaxUse"
    if settings.get(key) is not None:
        return
    journal_dir = journald_settings.PERSISTENT_DIR if persistent else journald_settings.VOLATILE_DIR
    fs = _mount(ctx, journal_dir)
    size = int(fs.get("size_bytes") or 0)
    cap = human_bytes(min(size // 10, JOURNAL_DEFAULT_CAP)) if size else "10% of it, at most 4 GiB"
    yield Hit(
        "LRT007",
        {
            "key": key,
            "files": ", ".join(settings.files) or "journald's configuration (no file)",
            "usage": human_bytes(settings.usage_bytes),
            "journal_dir": journal_dir,
            "cap": cap,
            "mount": str(fs.get("mount") or "its filesystem"),
        },
        Evidence(
            file=settings.files[0] if settings.files else None,
            path=journal_dir,
            values=(("disk_usage_bytes", str(settings.usage_bytes)), ("storage", settings.storage)),
        ),
    )


@judges("LRT008")
def config_errors(ctx: HostContext) -> Iterator[Hit]:
    config = ctx.logrotate
    if config is None:
        return
    for problem in config.problems:
        if problem.effect == UNKNOWN:
            continue
        effect, effect_zh = _EFFECTS[problem.effect]
        location = problem.location
        yield Hit(
            "LRT008",
            {
                "where": str(location) if location.line else location.file,
                "message": problem.message,
                "effect": effect,
                "effect_zh": effect_zh,
                "config": config.main,
            },
            Evidence(file=location.file, line=location.line or None, values=(("effect", problem.effect),)),
            severity=_SEVERITY[problem.effect],
        )
