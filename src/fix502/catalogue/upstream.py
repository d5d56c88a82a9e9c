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
    CheckDef(
        id="UPS002",
        severity=Severity.CRITICAL,
        category="upstream",
        title=Text(
            en="A backend's host name does not resolve on this host",
            zh="后端主机名在本机无法解析",
        ),
        cause=Text(
            en=(
                '{where} names the backend {name}, and on this host getaddrinfo answers "{error}" after {ms} ms '
                "(nameservers in /etc/resolv.conf: {nameservers}; {hosts}). {when}"
            ),
            zh=(
                '{where} 指定的后端是 {name}，而在本机 getaddrinfo 经过 {ms} 毫秒后返回 "{error}"'
                "（/etc/resolv.conf 中的域名服务器：{nameservers}；{hosts_zh}）。{when_zh}"
            ),
        ),
        fix=Text(
            en=(
                "Make {name} resolvable from this host: check its spelling at {where}, that its DNS record exists "
                "(`getent hosts {name}`, `dig {name}`) and that the nameservers answer from here, or write the "
                "backend's address instead of the name. {how}"
            ),
            zh=(
                "让本机能够解析 {name}：检查 {where} 中的拼写、DNS 记录是否存在（`getent hosts {name}`、`dig {name}`）"
                "以及域名服务器能否从本机访问，或直接写后端的地址而不是名称。{how_zh}"
            ),
        ),
        autofix=False,
    ),
    CheckDef(
        id="UPS003",
        severity=Severity.CRITICAL,
        category="upstream",
        title=Text(
            en="nginx's workers may not connect to a backend's unix socket",
            zh="nginx 的 worker 无权连接后端的 unix 套接字",
        ),
        cause=Text(
            en=(
                "{where} sends requests to unix:{socket}, but nginx's workers run as {user} (groups: {groups}; "
                "{source}) and {blocked}. Connecting to a unix socket needs write permission on the socket and "
                "search (x) permission on every directory above it, so each connection fails with "
                '"Permission denied" and nginx answers 502 Bad Gateway.'
            ),
            zh=(
                "{where} 把请求发往 unix:{socket}，但 nginx 的 worker 以 {user} 身份运行（所属组：{groups}；{source_zh}），"
                "而{blocked_zh}。连接 unix 套接字需要对套接字有写权限，并对其上每一级目录有搜索（x）权限，"
                '因此每次连接都以 "Permission denied" 失败，nginx 返回 502 Bad Gateway。'
            ),
        ),
        fix=Text(
            en="Let {user} connect to unix:{socket}. {how}", zh="让 {user} 能够连接 unix:{socket}。{how_zh}"
        ),
        autofix=False,
    ),
    CheckDef(
        id="UPS004",
        severity=Severity.CRITICAL,
        category="upstream",
        title=Text(
            en="SELinux keeps nginx from connecting to its backends",
            zh="SELinux 阻止 nginx 连接后端",
        ),
        cause=Text(
            en=(
                "SELinux is enforcing and {booleans}, while nginx connects over TCP to {targets} ({where}). "
                "The policy lets nginx (domain httpd_t) connect to {scope}: each such connection fails with "
                '"Permission denied" (13) and nginx answers 502 Bad Gateway.{denials}'
            ),
            zh=(
                "SELinux 处于 enforcing 模式，且{booleans_zh}，而 nginx 通过 TCP 连接 {targets}（{where}）。"
                '按照策略，nginx（httpd_t 域）{scope_zh}：这些连接都会以 "Permission denied"（13）失败，'
                "nginx 返回 502 Bad Gateway。{denials_zh}"
            ),
        ),
        fix=Text(
            en=(
                "Let nginx connect to its backends, for good (-P): `setsebool -P httpd_can_network_connect 1` "
                "(any port), or, for only the backends' ports, label them: `semanage port -a -t http_port_t "
                "-p tcp {port}`. Do not switch SELinux to permissive or off to fix this."
            ),
            zh=(
                "永久（-P）允许 nginx 连接后端：`setsebool -P httpd_can_network_connect 1`（任意端口），"
                "或者只为后端端口打上标签：`semanage port -a -t http_port_t -p tcp {port}`。"
                "不要为此把 SELinux 改为 permissive 或关闭。"
            ),
        ),
        autofix=False,
    ),
)
