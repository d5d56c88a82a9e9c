"""Checks of the service category: the backends' systemd units and how they come back."""

from __future__ import annotations

from fix502.catalogue.text import CheckDef, Text
from fix502.model import Severity

CATEGORY = ("service", Text(en="Services: the backends' systemd units", zh="服务：后端的 systemd 单元"))

CHECKS: tuple[CheckDef, ...] = (
    CheckDef(
        id="SVC001",
        severity=Severity.MEDIUM,
        category="service",
        title=Text(
            en="A backend's systemd unit has no restart policy",
            zh="后端的 systemd 单元没有重启策略",
        ),
        cause=Text(
            en=(
                "{unit} (backend {name}) has Restart={restart}: when its process crashes or is killed, systemd "
                "leaves it down, and nginx answers 502 until someone starts it by hand."
            ),
            zh=(
                "{unit}（后端 {name}）的 Restart={restart}：进程崩溃或被杀后 systemd 不会把它拉起来，"
                "在有人手动启动之前 nginx 一直返回 502。"
            ),
        ),
        fix=Text(
            en=(
                "Add a drop-in with `Restart=on-failure` and `RestartSec=2` (and a start limit so a crash loop "
                "stops): `systemctl edit {unit}`, then `systemctl daemon-reload`."
            ),
            zh=(
                "添加包含 `Restart=on-failure` 和 `RestartSec=2`（以及防止无限崩溃重启的启动次数限制）的 drop-in："
                "`systemctl edit {unit}`，然后 `systemctl daemon-reload`。"
            ),
        ),
        autofix=True,
        fixed_by="fix502.gateway.restart_policy",
    ),
    CheckDef(
        id="SVC002",
        severity=Severity.MEDIUM,
        category="service",
        title=Text(
            en="A backend's systemd unit does not start at boot", zh="后端的 systemd 单元不会开机启动"
        ),
        cause=Text(
            en=(
                "{unit} (backend {name}) is {state} at boot: after a reboot nginx comes up alone and answers 502 "
                "until the backend is started by hand."
            ),
            zh="{unit}（后端 {name}）开机启动状态为 {state}：重启后只有 nginx 起来，在手动启动后端之前一直返回 502。",
        ),
        fix=Text(en="Enable it: `systemctl enable {unit}`.", zh="设为开机启动：`systemctl enable {unit}`。"),
        autofix=True,
        fixed_by="fix502.gateway.restart_policy",
    ),
    CheckDef(
        id="SVC003",
        severity=Severity.HIGH,
        category="service",
        title=Text(en="A backend keeps crashing", zh="后端反复崩溃"),
        cause=Text(
            en=(
                "{unit} (backend {name}) has been restarted {restarts} time(s) and is now {state}: it crashes "
                "soon after it starts, so nginx finds it down most of the time and answers 502."
            ),
            zh=(
                "{unit}（后端 {name}）已被重启 {restarts} 次，当前状态为 {state}：它启动后很快崩溃，"
                "nginx 大部分时间连不上它，返回 502。"
            ),
        ),
        fix=Text(
            en=(
                "Read why it exits: `journalctl -u {unit} -n 100`. Usual causes are a bad configuration, a "
                "missing dependency (database, cache, file) or the port already taken. Restarting it again will "
                "not help until that is fixed."
            ),
            zh=(
                "查看退出原因：`journalctl -u {unit} -n 100`。常见原因是配置错误、依赖（数据库、缓存、文件）缺失"
                "或端口被占用。问题解决之前再次重启也无济于事。"
            ),
        ),
        autofix=False,
    ),
    CheckDef(
        id="SVC004",
        severity=Severity.HIGH,
        category="service",
        title=Text(en="A backend was killed for using too much memory", zh="后端因内存占用过多被杀"),
        cause=Text(
            en=(
                "{unit} (backend {name}) last ended with result {result}: the kernel or its own memory limit "
                "killed it, and nginx answered 502 while it was gone."
            ),
            zh="{unit}（后端 {name}）最近一次结束的结果为 {result}：被内核或其内存上限杀掉，期间 nginx 返回 502。",
        ),
        fix=Text(
            en=(
                "Keep it from outgrowing its memory: fewer workers or threads, a memory limit that fits "
                "(`MemoryMax=` in a drop-in), or more memory; and give it a restart policy so it comes back."
            ),
            zh="防止其内存超限：减少工作进程或线程，设置合适的内存上限（drop-in 中的 `MemoryMax=`），或增加内存；并设置重启策略以便自动恢复。",
        ),
        autofix=False,
    ),
)
