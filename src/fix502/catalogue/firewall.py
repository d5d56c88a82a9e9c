"""Checks of the firewall category: the host firewall stops connections nginx serves or makes."""

from __future__ import annotations

from fix502.catalogue.text import CheckDef, Text
from fix502.model import Severity

CATEGORY = (
    "firewall",
    Text(en="Firewall: the host's own packet filter", zh="防火墙：主机自身的包过滤规则"),
)

CHECKS: tuple[CheckDef, ...] = (
    CheckDef(
        id="FWL001",
        severity=Severity.HIGH,
        category="firewall",
        title=Text(
            en="The host firewall closes a port nginx serves to every client",
            zh="主机防火墙对所有客户端关闭了 nginx 提供服务的端口",
        ),
        cause=Text(
            en=(
                "nginx listens on port {port} ({listen}), but the host firewall {verb} every connection to it "
                "from outside over IPv{family}; the rule that decides is {rule}. Clients get {symptom} instead of "
                "the site{other}."
            ),
            zh=(
                "nginx 在端口 {port} 上监听（{listen_zh}），但主机防火墙{verb_zh}所有来自外部的 IPv{family} 连接；"
                "起决定作用的规则是 {rule}。客户端{symptom_zh}，无法访问站点{other_zh}。"
            ),
        ),
        fix=Text(
            en="Open port {port} to clients {how}",
            zh="向客户端开放端口 {port}{how_zh}",
        ),
        autofix=True,
        fixed_by="fix502.gateway.firewall",
    ),
    CheckDef(
        id="FWL002",
        severity=Severity.CRITICAL,
        category="firewall",
        title=Text(
            en="The host firewall blocks nginx from its backend",
            zh="主机防火墙阻断了 nginx 到后端的连接",
        ),
        cause=Text(
            en=(
                "nginx proxies to {backend} ({directive} in {where}), on this host, but the firewall {verb} "
                "nginx's connections to port {port} from {source} on {interface}; the rule that decides is {rule}. "
                "{effect}"
            ),
            zh=(
                "nginx 代理到本机的 {backend}（{where} 中的 {directive}），但防火墙{verb_zh} nginx 从 {source} "
                "经 {interface} 到端口 {port} 的连接；起决定作用的规则是 {rule}。{effect_zh}"
            ),
        ),
        fix=Text(
            en="Let only the proxy reach port {port} {how} The port stays closed to everyone else.",
            zh="只允许代理访问端口 {port}{how_zh}该端口对其他来源仍保持关闭。",
        ),
        autofix=True,
        fixed_by="fix502.gateway.firewall",
    ),
    CheckDef(
        id="FWL003",
        severity=Severity.INFO,
        category="firewall",
        title=Text(
            en="fix502 cannot tell whether the firewall lets a connection nginx needs through",
            zh="无法判断防火墙是否放行 nginx 所需的连接",
        ),
        cause=Text(
            en="{what}: {rule} decides, and fix502 cannot tell how ({reason}).",
            zh="{what_zh}：由 {rule} 决定，但无法判断其结果（{reason}）。",
        ),
        fix=Text(
            en=(
                "Read that rule, or try a real connection: {probe}. fix502 does not guess, so it changes nothing "
                "here."
            ),
            zh="请人工检查该规则，或实际测试一次连接：{probe_zh}。fix502 不做猜测，因此不会自动修改。",
        ),
        autofix=False,
    ),
)
