"""Checks of the nginx category: the proxy configuration itself, judged from its text alone.

They run in host audits (on the output of ``nginx -T``) and offline on a checkout
(``fix502 nginx PATH``). Words in braces are filled from the directive at fault.
"""

from __future__ import annotations

from fix502.catalogue.text import CheckDef, Text
from fix502.model import Severity

CATEGORY = (
    "nginx",
    Text(
        en="nginx configuration: proxying, timeouts, buffers, limits",
        zh="nginx 配置：代理、超时、缓冲区、限制",
    ),
)

FIXED_BY = "fix502.gateway.nginx_proxy"

_WHEN_SNIPPET = Text(
    en=(
        "by a managed snippet at http level, or by a one-line edit of the directive or block at fault "
        "where a server or location overrides it; validated with `nginx -t` and rolled back on failure"
    ),
    zh="通过 http 级别的托管配置片段；若 server 或 location 覆盖了该设置，则只改动出问题的那一行指令或块；先用 `nginx -t` 验证，失败即回滚",
)

CHECKS: tuple[CheckDef, ...] = (
    CheckDef(
        id="NGX001",
        severity=Severity.MEDIUM,
        category="nginx",
        title=Text(
            en="Upstream keepalive is not used: proxying is not HTTP/1.1 with the Connection header cleared",
            zh="上游 keepalive 未生效：代理未使用 HTTP/1.1 或未清空 Connection 头",
        ),
        cause=Text(
            en=(
                "{where} proxies to upstream {upstream}, which keeps idle connections to its servers "
                "(keepalive at {keepalive_where}), but {missing}. nginx then closes the connection to the "
                "backend after every request: under load the host runs out of local ports (TIME_WAIT), "
                "backends spend their time on new connections, and requests fail with 502.{log_note}"
            ),
            zh=(
                "{where} 代理到 upstream {upstream}，该 upstream 配置了与后端的空闲长连接（keepalive，位于 "
                "{keepalive_where}），但{missing_zh}。于是 nginx 每个请求之后都会关闭到后端的连接：高负载时"
                "本机端口被 TIME_WAIT 耗尽，后端忙于建立新连接，请求以 502 失败。{log_note_zh}"
            ),
        ),
        fix=Text(
            en=(
                'Set `proxy_http_version 1.1;` and `proxy_set_header Connection "";` for this location. '
                "A location or server that has any proxy_set_header of its own inherits none from the "
                "levels above: put the Connection header next to its other proxy_set_header lines{level_hint}."
            ),
            zh=(
                '为该 location 设置 `proxy_http_version 1.1;` 和 `proxy_set_header Connection "";`。'
                "只要 location 或 server 自己有任何 proxy_set_header，就不会继承上层的任何 proxy_set_header："
                "请把 Connection 头写在它自己的其他 proxy_set_header 旁边{level_hint_zh}。"
            ),
        ),
        autofix=True,
        fixed_by=FIXED_BY,
        autofix_when=_WHEN_SNIPPET,
    ),
    CheckDef(
        id="NGX002",
        severity=Severity.MEDIUM,
        category="nginx",
        title=Text(
            en="nginx resolves a backend's host name only once, at start-up",
            zh="nginx 只在启动时解析一次后端主机名",
        ),
        cause=Text(
            en=(
                "{where} sends requests to {name}, a host name nginx looks up only when it starts or reloads. "
                "When the name moves to another address (a cloud load balancer, a container, a DNS "
                "failover), nginx keeps connecting to the old one and answers 502 or 504 until the next "
                "reload; when the name does not resolve at start-up, nginx does not start at all."
            ),
            zh=(
                "{where} 把请求发往 {name}，nginx 只在启动或重载时解析这个主机名。该名称指向的地址变化后"
                "（云负载均衡、容器、DNS 切换），nginx 仍连接旧地址，在下次重载前返回 502 或 504；"
                "如果启动时名称无法解析，nginx 根本无法启动。"
            ),
        ),
        fix=Text(
            en="Let nginx resolve the name while it runs. {how}", zh="让 nginx 在运行时解析该名称。{how_zh}"
        ),
        autofix=False,
    ),
    CheckDef(
        id="NGX003",
        severity=Severity.MEDIUM,
        category="nginx",
        title=Text(
            en="Retries across an upstream's servers are off or left to the defaults",
            zh="upstream 多台服务器之间的重试被关闭或仅用默认值",
        ),
        cause=Text(
            en="{where} proxies to upstream {upstream}, which has {servers} servers, but {retry_state}",
            zh="{where} 代理到拥有 {servers} 台服务器的 upstream {upstream}，但{retry_state_zh}",
        ),
        fix=Text(
            en=(
                "Retry on another server, with a bound: `proxy_next_upstream error timeout http_502 http_503;` "
                "and `proxy_next_upstream_tries 2;` (add `proxy_next_upstream_timeout` when timeouts are long). "
                "nginx does not resend a non-idempotent request (POST, PATCH) once it reached a server, "
                "unless non_idempotent is given."
            ),
            zh=(
                "在另一台服务器上有限次地重试：`proxy_next_upstream error timeout http_502 http_503;` 和 "
                "`proxy_next_upstream_tries 2;`（超时较长时再加 `proxy_next_upstream_timeout`）。"
                "除非指定 non_idempotent，nginx 不会重发已经到达服务器的非幂等请求（POST、PATCH）。"
            ),
        ),
        autofix=True,
        fixed_by=FIXED_BY,
        autofix_when=Text(
            en="when nothing in the configuration sets proxy_next_upstream (an explicit `off` is left to a person)",
            zh="当配置中没有任何地方设置 proxy_next_upstream 时（明确写了 `off` 的由人工决定）",
        ),
    ),
    CheckDef(
        id="NGX004",
        severity=Severity.MEDIUM,
        category="nginx",
        title=Text(
            en="nginx retries non-idempotent requests on another server",
            zh="nginx 会把非幂等请求重试到另一台服务器",
        ),
        cause=Text(
            en=(
                "{directive} at {where} includes non_idempotent: a POST, PATCH or LOCK that failed or timed "
                "out on one server is sent again to the next, so an order or a payment can be processed "
                "twice, and a slow backend receives the same request once per try."
            ),
            zh=(
                "{where} 的 {directive} 包含 non_idempotent：在一台服务器上失败或超时的 POST、PATCH、LOCK "
                "请求会被再次发送到下一台，订单或支付可能被处理两次，慢后端会被同一个请求反复冲击。"
            ),
        ),
        fix=Text(
            en=(
                "Remove non_idempotent from {directive} unless every endpoint behind it is safe to repeat; "
                "when writes must be retried, make them idempotent in the backend (request IDs)."
            ),
            zh="除非后面的每个接口都可以安全重复执行，否则从 {directive} 中去掉 non_idempotent；确需重试写请求时，请在后端实现幂等（请求 ID）。",
        ),
        autofix=False,
    ),
    CheckDef(
        id="NGX005",
        severity=Severity.LOW,
        category="nginx",
        title=Text(
            en="An upstream has a single server and no backup", zh="upstream 只有一台服务器且没有备份"
        ),
        cause=Text(
            en=(
                "Upstream {upstream} ({where}) has only {server}: when it restarts, is overloaded or dies, "
                "every request for it gets 502, with nowhere to fail over to. For a single server nginx "
                "ignores max_fails and fail_timeout and keeps sending to it."
            ),
            zh=(
                "upstream {upstream}（{where}）只有 {server}：它重启、过载或宕机时，所有发往它的请求都得到 502，"
                "没有可切换的地方。只有一台服务器时 nginx 会忽略 max_fails 和 fail_timeout，持续向它发送请求。"
            ),
        ),
        fix=Text(
            en=(
                "Add a second server, or a `backup` server (even a small one that answers 503 with "
                "Retry-After), so that a restart or crash of {server} does not turn into 502 for every client."
            ),
            zh="增加第二台服务器，或一台 `backup` 服务器（哪怕只返回带 Retry-After 的 503），避免 {server} 重启或崩溃时所有客户端都得到 502。",
        ),
        autofix=False,
    ),
    CheckDef(
        id="NGX006",
        severity=Severity.MEDIUM,
        category="nginx",
        title=Text(
            en="Every server of an upstream can be marked unavailable at the same time",
            zh="upstream 的所有服务器可能同时被标记为不可用",
        ),
        cause=Text(
            en="Upstream {upstream} ({where}) {state}",
            zh="upstream {upstream}（位于 {where}）{state_zh}",
        ),
        fix=Text(en="Leave nginx a server to send to. {hint}", zh="给 nginx 留下可转发的服务器。{hint_zh}"),
        autofix=False,
    ),
    CheckDef(
        id="NGX007",
        severity=Severity.MEDIUM,
        category="nginx",
        title=Text(en="A backend timeout is too short", zh="后端超时时间过短"),
        cause=Text(
            en=(
                "{directive} is {value} at {where}, below {minimum}. A backend that is slower than that, "
                "even briefly (a cold cache, a garbage collection, a slow query), is cut off: the client "
                "gets 504 Gateway Timeout or 502, and with retries the request is sent again to another server."
            ),
            zh=(
                "{where} 的 {directive} 为 {value}，低于 {minimum}。后端哪怕只是短暂变慢（缓存未预热、垃圾回收、"
                "慢查询）也会被切断：客户端得到 504 Gateway Timeout 或 502，开启重试时请求还会被重发到另一台服务器。"
            ),
        ),
        fix=Text(
            en=(
                "Raise {directive} at {where} to what the slowest legitimate request needs, at least {minimum}; "
                "make slow endpoints faster in the backend rather than cutting them off."
            ),
            zh="把 {where} 的 {directive} 提高到最慢的正常请求所需的时间，至少 {minimum}；应在后端优化慢接口，而不是把它们切断。",
        ),
        autofix=True,
        fixed_by=FIXED_BY,
        autofix_when=Text(
            en="for proxy, FastCGI, uwsgi and gRPC connect and read timeouts: the value is raised where it is set",
            zh="适用于 proxy、FastCGI、uwsgi、gRPC 的连接和读取超时：在设置它的地方提高取值",
        ),
    ),
    CheckDef(
        id="NGX008",
        severity=Severity.MEDIUM,
        category="nginx",
        title=Text(
            en="The buffer for a backend's response headers is too small",
            zh="后端响应头缓冲区过小",
        ),
        cause=Text(
            en=(
                "{directive} {state} ({where}), below {minimum}. A response whose headers do not fit (large "
                'Set-Cookie headers, JWTs, long redirect URLs) fails with "upstream sent too big header while '
                'reading response header from upstream", and the client gets 502.'
            ),
            zh=(
                "{directive} {state_zh}（{where_zh}），低于 {minimum}。响应头放不下时（较大的 Set-Cookie、JWT、"
                '很长的重定向 URL），nginx 报 "upstream sent too big header while reading response header '
                'from upstream"，客户端得到 502。'
            ),
        ),
        fix=Text(
            en=(
                "Set `{directive} {suggested};` (or more, to fit your largest response headers) at http level "
                "or where it is set now. If `nginx -t` then complains about the busy buffers size, raise the "
                "matching `*_buffers` as well (e.g. `8 {suggested}`)."
            ),
            zh=(
                "在 http 级别或当前设置它的地方写 `{directive} {suggested};`（或更大，以容纳最大的响应头）。"
                "如果 `nginx -t` 随后提示 busy buffers size 的问题，请同时提高对应的 `*_buffers`（例如 `8 {suggested}`）。"
            ),
        ),
        autofix=True,
        fixed_by=FIXED_BY,
        autofix_when=Text(
            en="for proxy_buffer_size and fastcgi_buffer_size",
            zh="适用于 proxy_buffer_size 和 fastcgi_buffer_size",
        ),
    ),
    CheckDef(
        id="NGX009",
        severity=Severity.HIGH,
        category="nginx",
        title=Text(
            en="nginx workers may accept more connections than they may open files",
            zh="nginx worker 可接受的连接数超过其可打开的文件数",
        ),
        cause=Text(
            en=(
                "Each worker may hold {connections} connections (worker_connections at {wc_where}; up to "
                "{total} with {processes} worker processes), but {limit_state}. Every client connection "
                "takes a file descriptor and every connection to a backend another, plus log and cached "
                'files: under load accept() and connect() fail with "Too many open files", and clients get '
                "502 or dropped connections."
            ),
            zh=(
                "每个 worker 最多可持有 {connections} 个连接（worker_connections 位于 {wc_where}；"
                "{processes} 个 worker 进程共 {total} 个），但{limit_state_zh}。每个客户端连接占用一个文件描述符，"
                '每个到后端的连接再占一个，还有日志和缓存文件：高负载时 accept() 和 connect() 会因 "Too many open files" '
                "失败，客户端得到 502 或连接被丢弃。"
            ),
        ),
        fix=Text(
            en=(
                "Set `worker_rlimit_nofile {suggested};` (at least twice worker_connections) in the main "
                "context, and make sure the service may use that many (systemd `LimitNOFILE=`)."
            ),
            zh="在主配置上下文中设置 `worker_rlimit_nofile {suggested};`（至少为 worker_connections 的两倍），并确保服务本身允许打开这么多文件（systemd `LimitNOFILE=`）。",
        ),
        autofix=False,
    ),
    CheckDef(
        id="NGX010",
        severity=Severity.HIGH,
        category="nginx",
        title=Text(
            en="A FastCGI, uwsgi or gRPC backend does not get what its protocol needs",
            zh="FastCGI、uwsgi 或 gRPC 后端缺少协议所需的配置",
        ),
        cause=Text(
            en="The backend's protocol is not set up: {detail}", zh="后端协议的配置不完整：{detail_zh}"
        ),
        fix=Text(
            en="Give the backend what its protocol needs. {hint}", zh="为后端补齐协议所需的配置。{hint_zh}"
        ),
        autofix=False,
    ),
    CheckDef(
        id="NGX011",
        severity=Severity.MEDIUM,
        category="nginx",
        title=Text(
            en="proxy_pass has a URI part that rewrites request paths unexpectedly",
            zh="proxy_pass 带有 URI 部分，会意外地改写请求路径",
        ),
        cause=Text(
            en="Request paths change on their way to the backend: {detail}",
            zh="请求路径在转发到后端时被改变：{detail_zh}",
        ),
        fix=Text(en="Pass the path as intended. {hint}", zh="按预期传递路径。{hint_zh}"),
        autofix=False,
    ),
    CheckDef(
        id="NGX012",
        severity=Severity.MEDIUM,
        category="nginx",
        title=Text(
            en="nginx connects to an HTTPS backend by name without sending the name (SNI)",
            zh="nginx 按名称连接 HTTPS 后端，却没有发送该名称（SNI）",
        ),
        cause=Text(
            en=(
                "proxy_pass at {where} connects to https://{name} ({names}), but proxy_ssl_server_name is "
                "off{setting}: nginx sends no server name in the TLS handshake. Backends behind shared TLS "
                "front ends (CDNs, cloud load balancers, ingress controllers, virtual hosts) then present "
                "another certificate or refuse the handshake, and clients get 502 "
                '("SSL_do_handshake() failed").'
            ),
            zh=(
                "{where} 的 proxy_pass 连接 https://{name}（{names_zh}），但 proxy_ssl_server_name 为 off{setting_zh}："
                "nginx 在 TLS 握手中不发送服务器名称。位于共享 TLS 前端（CDN、云负载均衡、Ingress、虚拟主机）之后的后端"
                '会返回别的证书或拒绝握手，客户端得到 502（"SSL_do_handshake() failed"）。'
            ),
        ),
        fix=Text(
            en="Add `proxy_ssl_server_name on;` in this location or above it{name_hint}.",
            zh="在该 location 或其上层加入 `proxy_ssl_server_name on;`{name_hint_zh}。",
        ),
        autofix=False,
    ),
    CheckDef(
        id="NGX013",
        severity=Severity.HIGH,
        category="nginx",
        title=Text(
            en="The nginx configuration cannot be read completely",
            zh="无法完整读取 nginx 配置",
        ),
        cause=Text(
            en=(
                "{where}: {message}. The other checks judge only what could be read, and nginx itself "
                "may refuse this configuration: a start or reload with it fails."
            ),
            zh="{where}：{message}。其他检查只能判断已读取的部分，nginx 本身也可能拒绝这份配置：用它启动或重载会失败。",
        ),
        fix=Text(
            en=(
                "Fix the file and run `nginx -t`. When auditing a checkout, include paths are resolved "
                "relative to the main file's directory: pass the main configuration file (nginx.conf)."
            ),
            zh="修正该文件并运行 `nginx -t`。审计代码仓库中的配置时，include 路径相对于主配置文件所在目录解析：请传入主配置文件（nginx.conf）。",
        ),
        autofix=False,
    ),
)
