"""Checks of the errorlog category: root causes of 502 and 504 named by nginx's (and php-fpm's) error log.

Each check is one root cause; src/fix502/errorlog/causes.py says which log lines belong to it.
Every text may use {count}, {first}, {last} (the times of the first and last line), {upstream}
(the upstreams the lines name, with counts) and {file} (the log of the first example line).
"""

from __future__ import annotations

from fix502.catalogue.text import CheckDef, Text
from fix502.model import Severity

CATEGORY = (
    "errorlog",
    Text(
        en="Error log: what nginx said when it answered 502 or 504",
        zh="错误日志：nginx 返回 502 或 504 时记录的原因",
    ),
)

_SEEN = "{file} logs {count} time(s), from {first} to {last},"
_SEEN_ZH = "{file} 在 {first} 至 {last} 之间记录了 {count} 次"


def _check(
    check_id: str, severity: Severity, title: tuple[str, str], cause: tuple[str, str], fix: tuple[str, str]
) -> CheckDef:
    return CheckDef(
        id=check_id,
        severity=severity,
        category="errorlog",
        title=Text(en=title[0], zh=title[1]),
        cause=Text(en=cause[0], zh=cause[1]),
        fix=Text(en=fix[0], zh=fix[1]),
        autofix=False,
    )


CHECKS: tuple[CheckDef, ...] = (
    _check(
        "LOG001",
        Severity.CRITICAL,
        ("A backend refuses nginx's connections", "后端拒绝了 nginx 的连接"),
        (
            f"{_SEEN} that connecting to {{upstream}} was refused (111: Connection refused): nothing "
            "listened there, because the backend was down, restarting, or listening on another address. "
            "Each of those requests got 502 Bad Gateway.",
            f"{_SEEN_ZH}连接 {{upstream_zh}} 被拒绝（111: Connection refused）：那里没有进程在监听，"
            "后端已停止、正在重启或监听在别的地址。这些请求都得到了 502 Bad Gateway。",
        ),
        (
            "Start the backend that should listen on {upstream} and give it a restart policy; if it runs, "
            "make its listen address and nginx's proxy_pass (fastcgi_pass) agree. `ss -ltnp` shows what "
            "listens where.",
            "启动应在 {upstream_zh} 监听的后端并为其设置重启策略；如果它在运行，请让它的监听地址与 nginx 的 "
            "proxy_pass（fastcgi_pass）一致。`ss -ltnp` 可查看各端口由谁监听。",
        ),
    ),
    _check(
        "LOG002",
        Severity.CRITICAL,
        ("nginx proxies to a unix socket that does not exist", "nginx 代理到的 unix 套接字不存在"),
        (
            f"{_SEEN} that the socket {{upstream}} did not exist (2: No such file or directory): the "
            "backend (often php-fpm) was stopped, or creates its socket under another path. Each of those "
            "requests got 502 Bad Gateway.",
            f"{_SEEN_ZH}套接字 {{upstream_zh}} 不存在（2: No such file or directory）：后端（通常是 "
            "php-fpm）已停止，或者把套接字建在了别的路径。这些请求都得到了 502 Bad Gateway。",
        ),
        (
            "Start the backend and compare the socket path it creates (php-fpm: `listen =` in the pool "
            "file) with nginx's fastcgi_pass or proxy_pass. A service with systemd's PrivateTmp cannot share "
            "a socket under /tmp: put it under /run.",
            "启动后端，并核对它创建的套接字路径（php-fpm：池配置中的 `listen =`）与 nginx 的 fastcgi_pass "
            "或 proxy_pass 是否一致。启用了 systemd PrivateTmp 的服务无法共享 /tmp 下的套接字：请改放到 /run。",
        ),
    ),
    _check(
        "LOG003",
        Severity.CRITICAL,
        ("nginx is not allowed to connect to a backend", "nginx 无权连接后端"),
        (
            f"{_SEEN} that connecting to {{upstream}} was denied (13: Permission denied). For a unix socket, "
            "nginx's worker user may not write to the socket or enter a directory above it; for TCP, "
            "SELinux keeps nginx from making network connections. Each of those requests got 502 Bad "
            "Gateway.",
            f"{_SEEN_ZH}连接 {{upstream_zh}} 被拒绝（13: Permission denied）。对 unix 套接字而言，nginx 的 "
            "worker 用户无权写入该套接字或进入其上级目录；对 TCP 而言，是 SELinux 禁止 nginx 发起网络连接。"
            "这些请求都得到了 502 Bad Gateway。",
        ),
        (
            "For a socket, let nginx's user in: php-fpm `listen.owner` and `listen.group` set to that user "
            "(or `listen.mode = 0660` with a group both share), and search permission on every directory "
            "above it. With SELinux: `setsebool -P httpd_can_network_connect 1`; `ausearch -m avc -ts "
            "recent` shows the denials.",
            "对套接字：让 nginx 的用户可以访问，把 php-fpm 的 `listen.owner` 和 `listen.group` 设为该用户"
            "（或使用共同的组并设置 `listen.mode = 0660`），并确保上级各目录都有执行（进入）权限。"
            "启用 SELinux 时：`setsebool -P httpd_can_network_connect 1`；`ausearch -m avc -ts recent` "
            "可查看被拒绝的记录。",
        ),
    ),
    _check(
        "LOG004",
        Severity.HIGH,
        ("A backend's unix socket has no room for more connections", "后端 unix 套接字的连接队列已满"),
        (
            f"{_SEEN} that connecting to {{upstream}} failed with (11: Resource temporarily unavailable): "
            "the socket's listen queue was full because every backend worker was busy (for php-fpm, all "
            "pm.max_children children). Each of those requests got 502 Bad Gateway.",
            f"{_SEEN_ZH}连接 {{upstream_zh}} 失败（11: Resource temporarily unavailable）：所有后端工作"
            "进程都在忙（php-fpm 即 pm.max_children 个子进程全部占用），套接字的监听队列已满。"
            "这些请求都得到了 502 Bad Gateway。",
        ),
        (
            "Give the backend more workers or make its requests faster (php-fpm: raise pm.max_children if "
            "memory allows, read the slow log), and lengthen the queue: php-fpm `listen.backlog` and the "
            "kernel's `net.core.somaxconn`.",
            "增加后端工作进程或加快请求处理（php-fpm：内存允许时调大 pm.max_children，并查看慢日志），"
            "同时加长队列：php-fpm 的 `listen.backlog` 与内核参数 `net.core.somaxconn`。",
        ),
    ),
    _check(
        "LOG005",
        Severity.CRITICAL,
        ("A backend's host or network cannot be reached", "无法到达后端主机或网络"),
        (
            f"{_SEEN} that {{upstream}} could not be reached (113: No route to host, or 101: Network is "
            "unreachable): the backend host is down, or routing or a firewall stands in the way. Each of "
            "those requests got 502 Bad Gateway.",
            f"{_SEEN_ZH}无法到达 {{upstream_zh}}（113: No route to host 或 101: Network is unreachable）："
            "后端主机已宕机，或路由、防火墙阻断了连接。这些请求都得到了 502 Bad Gateway。",
        ),
        (
            "Check that the host is up and reachable from this server (`ip route get ADDRESS`, "
            "`nc -vz HOST PORT`) and the firewalls on both sides; take servers that are gone out of the "
            "upstream.",
            "确认该主机在线且本机可以到达（`ip route get 地址`、`nc -vz 主机 端口`），检查两端的防火墙；"
            "把已下线的服务器从 upstream 中移除。",
        ),
    ),
    _check(
        "LOG006",
        Severity.HIGH,
        ("nginx runs out of local ports towards a backend", "nginx 连接后端时本地端口耗尽"),
        (
            f"{_SEEN} that connecting to {{upstream}} failed with (99: Cannot assign requested address): "
            "the ephemeral ports towards that address were exhausted, each one in use or in TIME_WAIT "
            "(60 s after its connection closed). This is usually because upstream keepalive is not in "
            "effect: no `keepalive` in the upstream block, or proxying without `proxy_http_version 1.1` "
            "and a cleared Connection header, so nginx opens and closes a connection for every request. "
            "Each of those requests got 502 Bad Gateway.",
            f"{_SEEN_ZH}连接 {{upstream_zh}} 失败（99: Cannot assign requested address）：通往该地址的"
            "临时端口已耗尽，每个端口都在使用中或处于 TIME_WAIT（连接关闭后保持 60 秒）。通常是因为上游 "
            "keepalive 没有生效：upstream 块中没有 `keepalive`，或代理时没有使用 `proxy_http_version 1.1` "
            "并清空 Connection 头，于是 nginx 为每个请求新建并关闭一个连接。这些请求都得到了 502 Bad Gateway。",
        ),
        (
            "Reuse connections: `keepalive 32;` in the upstream block, with `proxy_http_version 1.1;` and "
            '`proxy_set_header Connection "";` where it is used (NGX001 names each location that does not, '
            "and fix502.gateway.nginx_proxy sets them). Widen `net.ipv4.ip_local_port_range` if it is "
            "still not enough.",
            "复用连接：在 upstream 块中加 `keepalive 32;`，并在使用它的地方设置 `proxy_http_version 1.1;` 与 "
            '`proxy_set_header Connection "";`（NGX001 会指出每个没有这样设置的 location，'
            "fix502.gateway.nginx_proxy 会自动设置）。仍然不够时再扩大 `net.ipv4.ip_local_port_range`。",
        ),
    ),
    _check(
        "LOG007",
        Severity.HIGH,
        ("nginx times out connecting to a backend (504)", "nginx 连接后端超时（504）"),
        (
            f"{_SEEN} that connecting to {{upstream}} (or the TLS handshake with it) did not finish in time "
            "(upstream timed out ... while connecting to upstream): the host does not answer (down, or a "
            "firewall drops the packets) or the backend's accept queue is full. Clients got 504 Gateway "
            "Timeout.",
            f"{_SEEN_ZH}连接 {{upstream_zh}}（或与其 TLS 握手）未能按时完成（upstream timed out ... while "
            "connecting to upstream）：主机没有响应（宕机或被防火墙丢包），或后端的接受队列已满。"
            "客户端得到了 504 Gateway Timeout。",
        ),
        (
            "Check that {upstream} answers from this host (`nc -vz HOST PORT`), that no firewall drops the "
            "packets, and that the backend accepts connections fast enough (listen backlog, worker count). "
            "Keep proxy_connect_timeout short, a few seconds.",
            "检查本机能否连通 {upstream_zh}（`nc -vz 主机 端口`），确认没有防火墙丢包，且后端接受连接足够快"
            "（监听队列、工作进程数）。proxy_connect_timeout 应保持较短，几秒即可。",
        ),
    ),
    _check(
        "LOG008",
        Severity.HIGH,
        ("A backend answers too slowly (504)", "后端响应太慢（504）"),
        (
            f"{_SEEN} that {{upstream}} sent no response within nginx's read timeout (upstream timed out "
            "(110: Connection timed out) while reading response header from upstream). Clients got 504 "
            "Gateway Timeout.",
            f"{_SEEN_ZH} {{upstream_zh}} 未在 nginx 的读取超时内返回响应（upstream timed out (110: "
            "Connection timed out) while reading response header from upstream）。客户端得到了 504 "
            "Gateway Timeout。",
        ),
        (
            "Find why the backend is slow for these requests (its own log, slow query log, php-fpm slowlog) "
            "and fix it, or move long work to a background job. Raise proxy_read_timeout "
            "(fastcgi_read_timeout) only for the locations that need it.",
            "找出后端处理这些请求慢的原因（后端日志、慢查询日志、php-fpm 慢日志）并解决，或把耗时任务改为后台"
            "执行。只为确实需要的 location 调大 proxy_read_timeout（fastcgi_read_timeout）。",
        ),
    ),
    _check(
        "LOG009",
        Severity.HIGH,
        ("A backend closes the connection before it answers", "后端在响应前关闭了连接"),
        (
            f"{_SEEN} that {{upstream}} closed the connection before its response was complete (upstream "
            "prematurely closed connection): its worker crashed or was killed (OOM killer, max_requests "
            "recycling, a timeout of its own), or it closed a kept-alive connection that nginx reused. "
            "Requests cut before the response header got 502 Bad Gateway.",
            f"{_SEEN_ZH} {{upstream_zh}} 在响应完成前关闭了连接（upstream prematurely closed connection）："
            "其工作进程崩溃或被杀（OOM、max_requests 回收、自身的超时），或关闭了 nginx 复用的长连接。"
            "在响应头之前被中断的请求得到了 502 Bad Gateway。",
        ),
        (
            "Read the backend's log around {last} for crashes, kills and its own timeouts (gunicorn "
            "`--timeout`, PHP `max_execution_time`, php-fpm `request_terminate_timeout`), check the kernel "
            "log for OOM kills, and make the backend's keepalive timeout longer than nginx's.",
            "查看后端在 {last} 前后的日志，寻找崩溃、被杀和其自身的超时（gunicorn `--timeout`、PHP "
            "`max_execution_time`、php-fpm `request_terminate_timeout`），检查内核日志中的 OOM 记录，"
            "并让后端的 keepalive 超时长于 nginx 的。",
        ),
    ),
    _check(
        "LOG010",
        Severity.HIGH,
        ("A backend resets the connection", "后端重置了连接"),
        (
            f"{_SEEN} that {{upstream}} reset the connection (104: Connection reset by peer, or 32: Broken "
            "pipe): the backend process died or dropped the connection, often under overload or while "
            "restarting. Each of those requests got 502 Bad Gateway.",
            f"{_SEEN_ZH} {{upstream_zh}} 重置了连接（104: Connection reset by peer 或 32: Broken pipe）："
            "后端进程退出或丢弃了连接，常见于过载或重启期间。这些请求都得到了 502 Bad Gateway。",
        ),
        (
            "Read the backend's log around {last}: restarts, crashes, a full accept queue, a proxy or load "
            "balancer in between with a shorter idle timeout. Restart it gracefully (reload, not kill) and "
            "keep its idle timeout above nginx's keepalive_timeout to the upstream.",
            "查看后端在 {last} 前后的日志：重启、崩溃、接受队列已满、中间代理或负载均衡的空闲超时更短。"
            "平滑重启后端（reload 而不是 kill），并让它的空闲超时长于 nginx 到上游的 keepalive_timeout。",
        ),
    ),
    _check(
        "LOG011",
        Severity.HIGH,
        ("A backend's response header is larger than nginx's buffer", "后端响应头超过 nginx 的缓冲区"),
        (
            f"{_SEEN} that the response header from {{upstream}} did not fit in nginx's buffer (upstream "
            "sent too big header), typically because of large cookies or many Set-Cookie headers. Each of "
            "those requests got 502 Bad Gateway.",
            f"{_SEEN_ZH}来自 {{upstream_zh}} 的响应头超出了 nginx 的缓冲区（upstream sent too big header），"
            "通常是 Cookie 过大或 Set-Cookie 头太多。这些请求都得到了 502 Bad Gateway。",
        ),
        (
            "Raise the buffer where that backend is used: `proxy_buffer_size 16k; proxy_buffers 8 16k;` "
            "(fastcgi_buffer_size and fastcgi_buffers for PHP), or make the backend send smaller headers.",
            "在使用该后端的位置调大缓冲区：`proxy_buffer_size 16k; proxy_buffers 8 16k;`（PHP 对应 "
            "fastcgi_buffer_size 与 fastcgi_buffers），或让后端发送更小的响应头。",
        ),
    ),
    _check(
        "LOG012",
        Severity.HIGH,
        ("A backend sends responses nginx cannot parse", "后端返回了 nginx 无法解析的响应"),
        (
            f"{_SEEN} that {{upstream}} sent a response that is not valid (upstream sent invalid header, "
            "invalid status, or no valid HTTP/1.0 header): the backend speaks another protocol on that port "
            "(TLS, FastCGI, gRPC, not HTTP at all) or sends broken headers. Clients got 502 Bad Gateway or "
            "a broken response.",
            f"{_SEEN_ZH} {{upstream_zh}} 返回了无效的响应（upstream sent invalid header、invalid status 或 "
            "no valid HTTP/1.0 header）：后端在该端口上使用的是别的协议（TLS、FastCGI、gRPC 或根本不是 "
            "HTTP），或发送了损坏的响应头。客户端得到了 502 Bad Gateway 或损坏的响应。",
        ),
        (
            "Make nginx speak the backend's protocol: proxy_pass http:// or https://, fastcgi_pass for "
            "php-fpm, grpc_pass for gRPC; then fix the header or status line the backend sends (see the "
            "example lines).",
            "让 nginx 使用后端的协议：proxy_pass 的 http:// 或 https://，php-fpm 用 fastcgi_pass，gRPC 用 "
            "grpc_pass；再修正后端发送的响应头或状态行（见示例日志行）。",
        ),
    ),
    _check(
        "LOG013",
        Severity.CRITICAL,
        ("Every server of an upstream group is marked failed", "upstream 组中的所有服务器都被标记为失败"),
        (
            f"{_SEEN} that upstream {{upstream}} had no server left to try (no live upstreams): all of its "
            "servers were `down` or had failed max_fails times within fail_timeout. Each of those requests "
            "got 502 Bad Gateway at once, without reaching a backend.",
            f"{_SEEN_ZH} upstream {{upstream_zh}} 已没有可用的服务器（no live upstreams）：其所有服务器"
            "都被标记为 `down`，或在 fail_timeout 内失败了 max_fails 次。这些请求没有到达任何后端，"
            "直接得到了 502 Bad Gateway。",
        ),
        (
            "Fix the failures that took the servers out (the other error log findings name them), and check "
            "the servers' `down`, `max_fails` and `fail_timeout` in upstream {upstream}; a `backup` server "
            "gives a fallback.",
            "先解决导致服务器被摘除的故障（其他错误日志结论会指出），再检查 upstream {upstream_zh} 中各服务器"
            "的 `down`、`max_fails` 与 `fail_timeout`；配置一个 `backup` 服务器可作为兜底。",
        ),
    ),
    _check(
        "LOG014",
        Severity.CRITICAL,
        ("nginx cannot resolve a backend's name", "nginx 无法解析后端的域名"),
        (
            f"{_SEEN} that it could not resolve {{upstream}} (could not be resolved, no resolver defined, "
            "or host not found in upstream): the name does not exist, the DNS server of the `resolver` "
            "directive does not answer, or a proxy_pass with variables has no `resolver`. Each of those "
            "requests got 502 Bad Gateway.",
            f"{_SEEN_ZH}无法解析 {{upstream_zh}}（could not be resolved、no resolver defined 或 host not "
            "found in upstream）：该域名不存在，`resolver` 指令指定的 DNS 服务器没有响应，或带变量的 "
            "proxy_pass 没有配置 `resolver`。这些请求都得到了 502 Bad Gateway。",
        ),
        (
            "Check the name (`getent hosts NAME`, `dig @RESOLVER NAME`), point `resolver` at a DNS server "
            "that answers from this host, with a `resolver_timeout` of a few seconds; a proxy_pass with "
            "variables needs a `resolver`.",
            "检查域名（`getent hosts 域名`、`dig @DNS服务器 域名`），让 `resolver` 指向本机可访问且会应答的 "
            "DNS 服务器，`resolver_timeout` 设为几秒；带变量的 proxy_pass 必须配置 `resolver`。",
        ),
    ),
    _check(
        "LOG015",
        Severity.CRITICAL,
        ("The TLS handshake with a backend fails", "与后端的 TLS 握手失败"),
        (
            f"{_SEEN} that the TLS handshake with {{upstream}} failed (SSL_do_handshake() failed ... while "
            "SSL handshaking to upstream, or an upstream certificate error): the backend does not speak TLS "
            "on that port (wrong version number), the protocols or ciphers do not match, or its certificate "
            "is not trusted. Each of those requests got 502 Bad Gateway.",
            f"{_SEEN_ZH}与 {{upstream_zh}} 的 TLS 握手失败（SSL_do_handshake() failed ... while SSL "
            "handshaking to upstream，或上游证书错误）：后端在该端口上没有使用 TLS（wrong version number）、"
            "协议或加密套件不匹配，或其证书不受信任。这些请求都得到了 502 Bad Gateway。",
        ),
        (
            "Use proxy_pass http:// for a plain-HTTP backend. For a TLS backend, align "
            "`proxy_ssl_protocols` and ciphers, set `proxy_ssl_server_name on;` when it needs SNI, and give "
            "`proxy_ssl_trusted_certificate` when verifying. `openssl s_client -connect HOST:PORT` shows "
            "what it offers.",
            "后端是普通 HTTP 时使用 proxy_pass http://。后端使用 TLS 时，对齐 `proxy_ssl_protocols` 与加密"
            "套件，需要 SNI 时设置 `proxy_ssl_server_name on;`，校验证书时提供 "
            "`proxy_ssl_trusted_certificate`。`openssl s_client -connect 主机:端口` 可查看后端支持的参数。",
        ),
    ),
    _check(
        "LOG016",
        Severity.HIGH,
        ("nginx runs out of worker connections", "nginx 的 worker 连接数用尽"),
        (
            "{file} logs {count} time(s), from {first} to {last}, that worker_connections were not "
            "enough: a worker had used all of its connection slots (every proxied request takes two), so "
            "new clients were dropped and connections to backends failed with 500 or 502.",
            f"{_SEEN_ZH} worker_connections 不够用：某个 worker 的连接槽已全部占用（每个代理请求占用两个），"
            "新的客户端连接被丢弃，到后端的连接失败并返回 500 或 502。",
        ),
        (
            "Raise `worker_connections` in the events block, with `worker_rlimit_nofile` at least twice as "
            "high, and look for what holds connections open: slow backends, a long keepalive_timeout.",
            "调大 events 块中的 `worker_connections`，并把 `worker_rlimit_nofile` 设为它的两倍以上；"
            "同时找出长时间占用连接的原因：后端太慢、keepalive_timeout 过长。",
        ),
    ),
    _check(
        "LOG017",
        Severity.HIGH,
        ("nginx runs out of file descriptors", "nginx 的文件描述符用尽"),
        (
            "{file} logs {count} failure(s), from {first} to {last}, with (24: Too many open files): "
            "nginx reached its limit of open files, so it could not accept clients or open connections to "
            "backends (dropped connections, 502).",
            f"{_SEEN_ZH}（24: Too many open files）：nginx 达到了打开文件数上限，无法接受客户端连接，"
            "也无法连接后端（连接被丢弃、502）。",
        ),
        (
            "Raise the limit: `worker_rlimit_nofile 65535;` in nginx.conf and `LimitNOFILE=65535` for the "
            "nginx service (`systemctl edit nginx`), with worker_connections below it.",
            "提高上限：在 nginx.conf 中设置 `worker_rlimit_nofile 65535;`，并为 nginx 服务设置 "
            "`LimitNOFILE=65535`（`systemctl edit nginx`），worker_connections 应低于该值。",
        ),
    ),
    _check(
        "LOG018",
        Severity.HIGH,
        ("php-fpm reaches pm.max_children", "php-fpm 达到 pm.max_children 上限"),
        (
            f"{_SEEN} that php-fpm {{upstream}} reached pm.max_children ({{limit}}): every child was "
            "busy, new requests waited in the socket's queue, and nginx's requests to it timed out or were "
            "refused (504, 502).",
            f"{_SEEN_ZH} php-fpm {{upstream_zh}} 达到了 pm.max_children（{{limit}}）：所有子进程都在忙，"
            "新请求在套接字队列中等待，nginx 发往它的请求超时或被拒绝（504、502）。",
        ),
        (
            "Raise pm.max_children in the pool file if memory allows (about the memory you can give php-fpm "
            "divided by the memory of one child), and find what keeps children busy (php-fpm slowlog, "
            "`request_slowlog_timeout`).",
            "内存允许时调大池配置中的 pm.max_children（约为可分给 php-fpm 的内存除以单个子进程的内存），"
            "并找出占用子进程的原因（php-fpm 慢日志，`request_slowlog_timeout`）。",
        ),
    ),
    _check(
        "LOG019",
        Severity.MEDIUM,
        ("Other upstream errors in nginx's error log", "nginx 错误日志中的其他上游错误"),
        (
            f"{_SEEN} other upstream errors, with {{upstream}}, that fix502 does not classify. Each may have "
            "cost a request a 502 or 504; the example lines say what nginx saw.",
            f"{_SEEN_ZH}其他上游错误（涉及 {{upstream_zh}}），fix502 未能归类。每一条都可能让一个请求得到 "
            "502 或 504；示例日志行说明了 nginx 看到的情况。",
        ),
        (
            "Read the example lines and the backend's own log around those times. If fix502 should know "
            "this cause, report it with the lines.",
            "阅读示例日志行以及后端在这些时间点前后的日志。如果 fix502 应当识别这种原因，请附上这些日志行反馈。",
        ),
    ),
)
