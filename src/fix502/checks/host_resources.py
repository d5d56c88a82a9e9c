"""Resources beyond disk: the load average against the CPUs, tasks stalled on memory, and processes of
nginx and its backends close to their open-file limit.

The figures are the collector's: ``load`` (/proc/loadavg and the CPU count), ``pressure``
(/proc/pressure), ``memory`` (/proc/meminfo) and ``processes`` (/proc/PID/fd and /proc/PID/limits).
The limits are in fix502.thresholds.Thresholds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fix502.checks import Hit, judges
from fix502.checks.context import HostContext
from fix502.model import Evidence, Severity
from fix502.units import human_bytes, percent


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@judges("RES005")
def load_above_cpus(ctx: HostContext) -> Iterator[Hit]:
    load = ctx.collected.get("load") or {}
    load5, cpus = _number(load.get("load5")), _number(load.get("cpus"))
    if load5 is None or not cpus:
        return
    per_cpu = load5 / cpus
    t = ctx.thresholds
    if per_cpu < t.load_per_cpu_medium:
        return
    severity = Severity.HIGH if per_cpu >= t.load_per_cpu_high else Severity.MEDIUM
    cpu = ((ctx.collected.get("pressure") or {}).get("cpu") or {}).get("some") or {}
    stalled = _number(cpu.get("avg60"))
    pressure = pressure_zh = ""
    if stalled is not None:
        pressure = f" Over the last minute some tasks waited for a CPU {percent(stalled)}% of the time."
        pressure_zh = f"最近一分钟内，有 {percent(stalled)}% 的时间部分任务在等待 CPU。"
    yield Hit(
        "RES005",
        {
            "load1": f"{_number(load.get('load1')) or 0:.2f}",
            "load5": f"{load5:.2f}",
            "load15": f"{_number(load.get('load15')) or 0:.2f}",
            "cpus": str(int(cpus)),
            "per_cpu": f"{per_cpu:.2f}",
            "runnable": str(load.get("runnable") if load.get("runnable") is not None else "?"),
            "cpu_pressure": pressure,
            "cpu_pressure_zh": pressure_zh,
        },
        Evidence(
            path="/proc/loadavg",
            values=(
                ("cpus", str(int(cpus))),
                ("load1", str(load.get("load1"))),
                ("load15", str(load.get("load15"))),
                ("load5", str(load.get("load5"))),
                ("per_cpu", f"{per_cpu:.2f}"),
            ),
        ),
        severity=severity,
    )


@judges("RES006")
def memory_stalls(ctx: HostContext) -> Iterator[Hit]:
    memory_pressure = (ctx.collected.get("pressure") or {}).get("memory") or {}
    some = _number((memory_pressure.get("some") or {}).get("avg60"))
    full = _number((memory_pressure.get("full") or {}).get("avg60")) or 0.0
    t = ctx.thresholds
    if some is None or (
        some < t.memory_pressure_some_percent_medium and full < t.memory_pressure_full_percent_high
    ):
        return
    memory = ctx.collected.get("memory") or {}
    total = int(memory.get("total_kb") or 0)
    available = int(memory.get("available_kb") or 0)
    swap_total = int(memory.get("swap_total_kb") or 0)
    swap_free = int(memory.get("swap_free_kb") or 0)
    if swap_total:
        swap = f"swap: {human_bytes(swap_free * 1024)} of {human_bytes(swap_total * 1024)} free"
        swap_zh = f"swap 剩余 {human_bytes(swap_free * 1024)}（共 {human_bytes(swap_total * 1024)}）"
        no_swap = no_swap_zh = ""
    else:
        swap, swap_zh = "no swap", "没有 swap"
        no_swap = ", and with no swap it can only drop cached files, the code of running programs included"
        no_swap_zh = "，而没有 swap 时它只能丢弃文件缓存，包括正在运行的程序的代码"
    high = full >= t.memory_pressure_full_percent_high or not swap_total
    yield Hit(
        "RES006",
        {
            "some": percent(some),
            "full": percent(full),
            "available": human_bytes(available * 1024),
            "total": human_bytes(total * 1024),
            "swap": swap,
            "swap_zh": swap_zh,
            "no_swap": no_swap,
            "no_swap_zh": no_swap_zh,
        },
        Evidence(
            path="/proc/pressure/memory",
            values=(
                ("available_kb", str(available)),
                ("full_avg60", percent(full)),
                ("some_avg60", percent(some)),
                ("swap_total_kb", str(swap_total)),
            ),
        ),
        severity=Severity.HIGH if high else Severity.MEDIUM,
    )


_ROLES = {
    "nginx-master": ("nginx's master", "nginx 的 master 进程"),
    "nginx-worker": ("an nginx worker", "nginx 的 worker 进程"),
    "nginx-helper": ("an nginx cache process", "nginx 的缓存管理进程"),
}
_IMPACT_NGINX = (
    "nginx stops accepting clients and cannot open connections to its backends, which ends in 502 and "
    "dropped connections.",
    "nginx 无法接受新的客户端连接，也无法连接后端，结果是 502 和连接被丢弃。",
)
_IMPACT_BACKEND = (
    "the backend cannot accept nginx's connections, so nginx answers 502, or cannot open the files and "
    "connections it needs.",
    "后端无法接受 nginx 的连接（nginx 返回 502），或无法打开它需要的文件和连接。",
)


def _usage(process: dict[str, Any]) -> float | None:
    count, soft = process.get("fd_count"), process.get("nofile_soft")
    if not isinstance(count, int) or not isinstance(soft, int) or soft <= 0:
        return None
    return count * 100.0 / soft


def _raise_how(process: dict[str, Any]) -> tuple[str, str]:
    unit = process.get("unit")
    nginx = str(process.get("role", "")).startswith("nginx")
    if unit and str(unit).endswith(".service"):
        text = f"`systemctl edit {unit}`, set `LimitNOFILE=65536` under [Service] and restart it."
        text_zh = f"`systemctl edit {unit}`，在 [Service] 下设置 `LimitNOFILE=65536`，然后重启它。"
    else:
        text = "in what starts it (`ulimit -n` in its start script, or its supervisor's setting)."
        text_zh = "在启动它的地方调整（启动脚本中的 `ulimit -n`，或其进程管理器的设置）。"
    if nginx:
        text += " For nginx's workers, `worker_rlimit_nofile` in the main context sets it on the next reload."
        text_zh += "对 nginx 的 worker，可在主配置上下文中设置 `worker_rlimit_nofile`，下次重载后生效。"
    return text, text_zh


@judges("RES007")
def open_files_near_limit(ctx: HostContext) -> Iterator[Hit]:
    t = ctx.thresholds
    groups: dict[tuple[str, str, str], list[tuple[float, dict[str, Any]]]] = {}
    for process in ctx.collected.get("processes") or []:
        used = _usage(process)
        if used is None or used < t.fd_used_percent_high:
            continue
        role = "nginx" if str(process.get("role", "")).startswith("nginx") else "backend"
        key = (role, str(process.get("name")), str(process.get("unit")))
        groups.setdefault(key, []).append((used, process))
    for (role, _name, _unit), members in sorted(groups.items()):
        members.sort(key=lambda item: -item[0])
        used, process = members[0]
        if process.get("role") in _ROLES:
            role_text, role_zh = _ROLES[str(process["role"])]
        else:
            serves = ", ".join(process.get("serves") or []) or "nginx's targets"
            role_text, role_zh = f"a backend serving {serves}", f"为 {serves} 服务的后端"
        unit = process.get("unit")
        impact, impact_zh = _IMPACT_NGINX if role == "nginx" else _IMPACT_BACKEND
        others = others_zh = ""
        if len(members) > 1:
            others = (
                f"; {len(members) - 1} more such process(es) are above {percent(t.fd_used_percent_high)}% too"
            )
            others_zh = f"；另有 {len(members) - 1} 个同类进程也超过了 {percent(t.fd_used_percent_high)}%"
        raise_how, raise_how_zh = _raise_how(process)
        yield Hit(
            "RES007",
            {
                "process": str(process.get("name") or "?"),
                "pid": str(process["pid"]),
                "role": role_text,
                "role_zh": role_zh,
                "unit": f", {unit}" if unit else "",
                "unit_zh": f"，{unit}" if unit else "",
                "count": str(process["fd_count"]),
                "limit": str(process["nofile_soft"]),
                "used_percent": percent(used),
                "others": others,
                "others_zh": others_zh,
                "impact": impact,
                "impact_zh": impact_zh,
                "raise_how": raise_how,
                "raise_how_zh": raise_how_zh,
            },
            Evidence(
                path=f"/proc/{process['pid']}/fd",
                unit=str(unit) if unit else None,
                values=(
                    ("fd_count", str(process["fd_count"])),
                    ("nofile_hard", str(process.get("nofile_hard"))),
                    ("nofile_soft", str(process["nofile_soft"])),
                    ("pid", str(process["pid"])),
                    ("used_percent", percent(used)),
                ),
            ),
            severity=Severity.CRITICAL if used >= t.fd_used_percent_critical else Severity.HIGH,
        )
