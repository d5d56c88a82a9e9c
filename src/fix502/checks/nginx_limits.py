"""nginx settings judged against limits: backend timeouts, header buffers, open files per worker.

The limits are in fix502.thresholds.Thresholds; nginx's units (``30s``, ``8k``) are read with
fix502.nginx_units.
"""

from __future__ import annotations

from collections.abc import Iterator

from fix502.checks import Hit, judges
from fix502.checks.context import HostContext
from fix502.checks.nginx_common import evidence, where
from fix502.model import Evidence, Severity
from fix502.nginx_config import Directive
from fix502.nginx_units import format_size, format_time, parse_size, parse_time

CONNECT_TIMEOUTS = (
    "proxy_connect_timeout",
    "fastcgi_connect_timeout",
    "uwsgi_connect_timeout",
    "scgi_connect_timeout",
    "grpc_connect_timeout",
)
READ_TIMEOUTS = ("proxy_read_timeout", "uwsgi_read_timeout", "scgi_read_timeout", "grpc_read_timeout")
FASTCGI_READ_TIMEOUTS = ("fastcgi_read_timeout",)

# The header buffer each *_pass reads a response's headers into.
BUFFER_OF_PASS = {
    "proxy_pass": "proxy_buffer_size",
    "fastcgi_pass": "fastcgi_buffer_size",
    "uwsgi_pass": "uwsgi_buffer_size",
    "scgi_pass": "scgi_buffer_size",
    "grpc_pass": "grpc_buffer_size",
}
# What the role fix502.gateway.nginx_proxy sets; the others are left to a person.
ROLE_BUFFERS = ("proxy_buffer_size", "fastcgi_buffer_size")
# nginx's default for every *_buffer_size is one memory page: 4k on x86-64 and most arm64 systems.
DEFAULT_BUFFER = 4096
SUGGESTED_BUFFER = 16384
DEFAULT_WORKER_CONNECTIONS = 512


def _timeout_minimum(ctx: HostContext, name: str) -> tuple[float, str]:
    t = ctx.thresholds
    if name in CONNECT_TIMEOUTS:
        return t.proxy_connect_timeout_min_seconds, "connect"
    if name in FASTCGI_READ_TIMEOUTS:
        return t.fastcgi_read_timeout_min_seconds, "fastcgi_read"
    return t.proxy_read_timeout_min_seconds, "read"


@judges("NGX007")
def timeouts_too_low(ctx: HostContext) -> Iterator[Hit]:
    model = ctx.proxy_model
    if model is None:
        return
    for directive in model.find(*CONNECT_TIMEOUTS, *READ_TIMEOUTS, *FASTCGI_READ_TIMEOUTS):
        seconds = parse_time(directive.first_arg())
        minimum, kind = _timeout_minimum(ctx, directive.name)
        if seconds is None or seconds >= minimum:
            continue
        yield Hit(
            "NGX007",
            {
                "directive": directive.name,
                "value": directive.first_arg(),
                "where": where(directive),
                "minimum": format_time(minimum),
            },
            evidence(
                directive,
                ("setting", directive.name),
                ("kind", kind),
                ("value", directive.first_arg()),
                ("minimum", format_time(minimum)),
            ),
        )


def _buffer_values(
    directive: str, minimum: int, state: str, state_zh: str, at: str, at_zh: str
) -> dict[str, str]:
    return {
        "directive": directive,
        "state": state,
        "state_zh": state_zh,
        "where": at,
        "where_zh": at_zh,
        "minimum": format_size(minimum),
        "suggested": format_size(max(SUGGESTED_BUFFER, minimum)),
    }


@judges("NGX008")
def header_buffer_too_small(ctx: HostContext) -> Iterator[Hit]:
    model = ctx.proxy_model
    if model is None:
        return
    minimum = int(ctx.thresholds.proxy_buffer_size_min_bytes)
    for directive in model.find(*BUFFER_OF_PASS.values()):
        size = parse_size(directive.first_arg())
        if size is None or size >= minimum:
            continue
        yield Hit(
            "NGX008",
            _buffer_values(
                directive.name,
                minimum,
                f"is {directive.first_arg()}",
                f"为 {directive.first_arg()}",
                where(directive),
                where(directive),
            ),
            evidence(
                directive, ("setting", directive.name), ("state", "small"), ("value", directive.first_arg())
            ),
            autofix=directive.name in ROLE_BUFFERS,
        )
    if minimum <= DEFAULT_BUFFER:
        return
    unset: dict[tuple[int, str], tuple[Directive, list[Directive]]] = {}
    for item in model.passes:
        setting = BUFFER_OF_PASS.get(item.directive.name)
        if setting is None or item.scoped.nearest(setting) is not None:
            continue
        top = item.scoped.chain[0]
        unset.setdefault((id(top), setting), (top, []))[1].append(item.directive)
    for (_, setting), (top, passes) in unset.items():
        first = passes[0]
        state = (
            f"is not set for {len(passes)} {first.name} location(s) (the first at {where(first)}), "
            "so nginx uses one memory page, 4k on most systems"
        )
        state_zh = f"没有为 {len(passes)} 个使用 {first.name} 的 location 设置（第一个位于 {where(first)}），nginx 使用一个内存页，在多数系统上为 4k"
        yield Hit(
            "NGX008",
            _buffer_values(
                setting,
                minimum,
                state,
                state_zh,
                f"{top.name} block at {where(top)}",
                f"{where(top)} 的 {top.name} 块",
            ),
            evidence(top, ("setting", setting), ("state", "unset"), ("locations", str(len(passes)))),
            severity=Severity.LOW,
            autofix=setting in ROLE_BUFFERS,
        )


@judges("NGX009")
def open_files_per_worker(ctx: HostContext) -> Iterator[Hit]:
    config = ctx.nginx
    if config is None:
        return
    events = config.top("events")
    wc_directives = [d for e in events for d in e.children("worker_connections")]
    wc_directive = wc_directives[-1] if wc_directives else None
    connections = DEFAULT_WORKER_CONNECTIONS
    if wc_directive is not None:
        if not wc_directive.first_arg().isdigit():
            return
        connections = int(wc_directive.first_arg())
    processes_directive = next(reversed(config.top("worker_processes")), None)
    processes = processes_directive.first_arg() if processes_directive else "1"
    total = str(connections * int(processes)) if processes.isdigit() else f"{connections} per CPU core"
    rlimit = next(reversed(config.top("worker_rlimit_nofile")), None)
    suggested = str(2 * connections)
    values = {
        "connections": str(connections),
        "processes": processes,
        "total": total,
        "wc_where": where(wc_directive) if wc_directive else "nginx's default",
        "suggested": suggested,
    }
    workers = [
        p
        for p in ctx.collected.get("processes") or []
        if p.get("role") == "nginx-worker" and isinstance(p.get("nofile_soft"), int)
    ]
    if workers and not processes.isdigit():
        values["processes"] = f"{len(workers)} ({processes})"
        values["total"] = str(connections * len(workers))
    if rlimit is not None and not rlimit.first_arg().isdigit():
        return
    if rlimit is not None and int(rlimit.first_arg()) < connections:
        limit = rlimit.first_arg()
        yield Hit(
            "NGX009",
            values
            | {
                "limit_state": f"worker_rlimit_nofile at {where(rlimit)} lets each open only {limit} files",
                "limit_state_zh": f"{where(rlimit)} 的 worker_rlimit_nofile 只允许每个 worker 打开 {limit} 个文件",
            },
            evidence(rlimit, ("worker_connections", str(connections)), ("worker_rlimit_nofile", limit)),
        )
        return
    if workers:
        # The running workers' own limit (/proc/PID/limits) says more than any assumption.
        worker = min(workers, key=lambda p: int(p["nofile_soft"]))
        real = int(worker["nofile_soft"])
        if real >= connections:
            return
        stale = stale_zh = ""
        if rlimit is not None:
            stale = (
                f", although worker_rlimit_nofile at {where(rlimit)} asks for {rlimit.first_arg()}: nginx was not "
                "reloaded since, or could not raise the limit (a master not started as root stays under its hard limit)"
            )
            stale_zh = (
                f"，尽管 {where(rlimit)} 的 worker_rlimit_nofile 要求 {rlimit.first_arg()}：此后 nginx 没有重载，"
                "或无法提高该限制（不是以 root 启动的 master 不能超过其硬限制）"
            )
        at = wc_directive or rlimit
        values_real = (
            ("worker_connections", str(connections)),
            ("worker_nofile_soft", str(real)),
            ("worker_pid", str(worker["pid"])),
        )
        yield Hit(
            "NGX009",
            values
            | {
                "limit_state": (
                    f"the running workers may open only {real} files each (Max open files in "
                    f"/proc/{worker['pid']}/limits){stale}"
                ),
                "limit_state_zh": (
                    f"正在运行的 worker 每个只能打开 {real} 个文件（/proc/{worker['pid']}/limits 中的 Max open files）{stale_zh}"
                ),
            },
            evidence(at, *values_real)
            if at is not None
            else Evidence(path=f"/proc/{worker['pid']}/limits", values=values_real),
        )
        return
    if rlimit is not None:
        return
    soft = int(ctx.thresholds.nofile_soft_limit)
    if wc_directive is None or connections <= soft:
        return
    yield Hit(
        "NGX009",
        values
        | {
            "limit_state": (
                "nothing sets worker_rlimit_nofile, so each worker keeps the open-file limit it is started "
                f"with, {soft} for a service unless its unit raises it (nginx then logs "
                '"worker_connections exceed open file resource limit")'
            ),
            "limit_state_zh": (
                f"没有设置 worker_rlimit_nofile，每个 worker 沿用启动时的打开文件数限制，服务默认为 {soft}，除非其单元调高了它"
                '（此时 nginx 会记录 "worker_connections exceed open file resource limit"）'
            ),
        },
        evidence(wc_directive, ("worker_connections", str(connections)), ("assumed_limit", str(soft))),
        severity=Severity.MEDIUM,
    )
