"""Checks of the upstream category: the backends nginx proxies to."""

from __future__ import annotations

from fix502.catalogue.text import CheckDef, Text
from fix502.model import Severity

CATEGORY = ("upstream", Text(en="Upstreams: the backends nginx proxies to", zh="上游：nginx 代理到的后端"))

CHECKS: tuple[CheckDef, ...] = (
    CheckDef(
        id="UPS001",
        severity=Severity.CRITICAL,
        category="upstream",
        title=Text(
            en="nginx proxies to a backend that is not listening",
            zh="nginx 代理的后端没有在监听",
        ),
        cause=Text(
            en=(
                "nginx sends requests to {target} ({directive} at {where}), but nothing on this host is "
                "listening there{service}. {impact}"
            ),
            zh=(
                "nginx 把请求转发到 {target}（{where} 的 {directive}），但本机没有任何进程在那里监听{service_zh}。{impact_zh}"
            ),
        ),
        fix=Text(
            en=(
                "Start the backend that should listen on {target} and give it a restart policy so it comes "
                "back by itself. If it runs but listens elsewhere, make its address and nginx's "
                "{directive} agree."
            ),
            zh=(
                "启动应在 {target} 监听的后端服务，并为其设置重启策略以便自动恢复。"
                "如果服务在运行但监听在别的地址，请让它的地址与 nginx 的 {directive} 保持一致。"
            ),
        ),
        autofix=True,
        fixed_by="fix502.gateway.backend_recovery",
        autofix_when=Text(
            en="when the backend is declared in `fix502_backend_services` (systemd unit or start command)",
            zh="当后端已在 `fix502_backend_services` 中声明（systemd 单元或启动命令）时",
        ),
    ),
)
