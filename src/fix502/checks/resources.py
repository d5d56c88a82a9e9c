"""Resources: full disks and inode tables where nginx writes, memory pressure, OOM kills."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fix502.checks import Hit, judges
from fix502.checks.context import HostContext
from fix502.model import Evidence, Severity
from fix502.units import human_bytes, percent

_HOLDS_ZH = {"logs": "日志", "web root": "网站根目录", "temp": "临时文件"}
_KILLED = re.compile(r"Killed process (?P<pid>\d+) \((?P<name>[^)]*)\)")


def _mounts_in_use(ctx: HostContext) -> dict[str, tuple[dict[str, Any], list[str]]]:
    """Each filesystem that holds a path nginx writes to, with what it holds there."""
    mounts: dict[str, tuple[dict[str, Any], list[str]]] = {}
    for path, kind in sorted(ctx.written_paths.items()):
        fs = ctx.mount_of(path)
        if fs is None:
            continue
        entry = mounts.setdefault(str(fs["mount"]), (fs, []))
        if kind not in entry[1]:
            entry[1].append(kind)
    return mounts


def _log_dirs_on(ctx: HostContext, mount: str) -> list[str]:
    """The directories on the filesystem mounted at ``mount`` that nginx or its backends log to."""
    return sorted(
        path
        for path, kind in ctx.written_paths.items()
        if kind == "logs" and (ctx.mount_of(path) or {}).get("mount") == mount
    )


def _holds(kinds: list[str]) -> dict[str, str]:
    return {"holds": ", ".join(kinds), "holds_zh": "、".join(_HOLDS_ZH[k] for k in kinds)}


def _level(used: float, high: float, critical: float) -> Severity | None:
    if used >= critical:
        return Severity.CRITICAL
    if used >= high:
        return Severity.HIGH
    return None


@judges("RES001")
def disk_space(ctx: HostContext) -> Iterator[Hit]:
    t = ctx.thresholds
    for mount, (fs, kinds) in _mounts_in_use(ctx).items():
        used = float(fs.get("used_percent", 0))
        severity = _level(used, t.disk_used_percent_high, t.disk_used_percent_critical)
        if severity is None:
            continue
        avail, size = int(fs["avail_bytes"]), int(fs["size_bytes"])
        values = [("avail_bytes", str(avail)), ("used_percent", percent(used))]
        log_dirs = _log_dirs_on(ctx, mount)
        if log_dirs:  # where the role disk_relief looks for logs to compress, ':'-separated
            values.append(("log_dirs", ":".join(log_dirs)))
        yield Hit(
            "RES001",
            {
                "mount": mount,
                "used_percent": percent(used),
                "avail": human_bytes(avail),
                "size": human_bytes(size),
            }
            | _holds(kinds),
            Evidence(path=mount, values=tuple(values)),
            severity=severity,
            # Compressing logs frees space; a filesystem full of other data needs a person.
            autofix="logs" in kinds,
        )


@judges("RES002")
def inodes(ctx: HostContext) -> Iterator[Hit]:
    t = ctx.thresholds
    for mount, (fs, kinds) in _mounts_in_use(ctx).items():
        if fs.get("inodes_used_percent") is None:
            continue
        used = float(fs["inodes_used_percent"])
        severity = _level(used, t.inodes_used_percent_high, t.inodes_used_percent_critical)
        if severity is None:
            continue
        total, free = int(fs["inodes_total"]), int(fs["inodes_free"])
        yield Hit(
            "RES002",
            {"mount": mount, "used_percent": percent(used), "free": str(free), "total": str(total)}
            | _holds(kinds),
            Evidence(path=mount, values=(("inodes_free", str(free)), ("inodes_used_percent", percent(used)))),
            severity=severity,
        )


@judges("RES003")
def memory_pressure(ctx: HostContext) -> Iterator[Hit]:
    memory = ctx.collected.get("memory") or {}
    total = int(memory.get("total_kb") or 0)
    if total <= 0:
        return
    available = int(memory.get("available_kb") or 0)
    share = available * 100.0 / total
    t = ctx.thresholds
    if share >= t.memory_available_percent_medium:
        return
    severity = Severity.HIGH if share < t.memory_available_percent_high else Severity.MEDIUM
    swap_total = int(memory.get("swap_total_kb") or 0)
    swap_free = int(memory.get("swap_free_kb") or 0)
    if swap_total:
        swap = f"swap: {human_bytes(swap_free * 1024)} of {human_bytes(swap_total * 1024)} free"
        swap_zh = f"swap 剩余 {human_bytes(swap_free * 1024)}（共 {human_bytes(swap_total * 1024)}）"
    else:
        swap, swap_zh = "and there is no swap", "且没有 swap"
    yield Hit(
        "RES003",
        {
            "available": human_bytes(available * 1024),
            "total": human_bytes(total * 1024),
            "available_percent": percent(share),
            "swap": swap,
            "swap_zh": swap_zh,
        },
        Evidence(path="/proc/meminfo", values=(("available_kb", str(available)), ("total_kb", str(total)))),
        severity=severity,
    )


@judges("RES004")
def oom_kills(ctx: HostContext) -> Iterator[Hit]:
    kernel_log = ctx.collected.get("kernel_log") or {}
    lines = [str(line) for line in kernel_log.get("oom_lines") or []]
    killed: dict[str, int] = {}
    for line in lines:
        match = _KILLED.search(line)
        if match:
            killed[match.group("name")] = killed.get(match.group("name"), 0) + 1
    if not killed:
        return
    processes = ", ".join(f"{name} ({count}x)" if count > 1 else name for name, count in killed.items())
    evidence_lines = tuple(line for line in lines if _KILLED.search(line))[-5:]
    yield Hit(
        "RES004",
        {"count": str(sum(killed.values())), "processes": processes},
        Evidence(path=str(kernel_log.get("source") or "kernel log"), log_lines=evidence_lines),
    )
