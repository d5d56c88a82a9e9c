"""nginx configuration: how locations proxy to their backends (keepalive, names, retries, paths, SNI).

Every judge reads the configuration once resolved by ``HostContext.proxy_model``: each ``*_pass``
with the blocks around it, so inherited settings are judged the way nginx applies them. The other
nginx judges live in nginx_limits.py, nginx_groups.py and nginx_protocols.py.
"""

from __future__ import annotations

from collections.abc import Iterator

from fix502.checks import Hit, judges, nginx_groups, nginx_limits, nginx_protocols  # noqa: F401  (register their judges)
from fix502.checks.context import HostContext
from fix502.checks.errorlog import analysis
from fix502.checks.nginx_common import evidence, where
from fix502.errorlog import CauseSummary
from fix502.errorlog.causes import NO_LOCAL_PORT
from fix502.model import Severity
from fix502.nginx_config import Directive
from fix502.nginx_scope import Pass, PassTarget, ProxyModel, is_ip
from fix502.upstreams import parse_address

_NON_IDEMPOTENT_DIRECTIVES = (
    "proxy_next_upstream",
    "fastcgi_next_upstream",
    "uwsgi_next_upstream",
    "scgi_next_upstream",
    "grpc_next_upstream",
)


def _model(ctx: HostContext) -> ProxyModel | None:
    return ctx.proxy_model


def _http_proxies(model: ProxyModel) -> Iterator[Pass]:
    for item in model.of("proxy_pass"):
        if item.target.scheme in ("http://", "https://") and item.scoped.chain[0].name == "http":
            yield item


def connection_cleared(model: ProxyModel, value: str) -> bool | None:
    """Does ``proxy_set_header Connection VALUE`` let a kept-alive connection stay open?

    True for an empty value (no header) or keep-alive, False for close; None when it is something
    else (``upgrade``) or a variable this configuration does not define with a map.
    """
    if value.startswith("$"):
        block = model.maps.get(value)
        if block is None:
            return None
        entries = {d.name: d.first_arg() for d in block.block or ()}
        value = entries.get("", entries.get("default", ""))
    if value.lower() in ("", "keep-alive"):
        return True
    return False if value.lower() == "close" else None


def ports_spent_towards(ctx: HostContext, upstream: Directive) -> CauseSummary | None:
    """The error log's LOG006 lines (no local port left) when they name a server of ``upstream``.

    A server given by name cannot be compared (the log names the address it resolved to): any
    such line counts then.
    """
    found = analysis(ctx).get(NO_LOCAL_PORT)
    if found is None:
        return None
    servers = [parse_address(s.first_arg(), 80) for s in upstream.children("server") if s.args]
    if any(a is None or (a.host is not None and not is_ip(a.host)) for a in servers):
        return found
    named = {str(parse_address(u.name, None)) for u in found.upstreams}
    return found if named & {str(a) for a in servers} or not found.upstreams else None


@judges("NGX001")
def keepalive_unused(ctx: HostContext) -> Iterator[Hit]:
    model = _model(ctx)
    if model is None:
        return
    for item in _http_proxies(model):
        upstream = item.upstream
        keepalive = upstream.directive.children("keepalive") if upstream else []
        if upstream is None or not keepalive:
            continue
        version = item.scoped.nearest("proxy_http_version")
        level, headers = item.scoped.nearest_list("proxy_set_header")
        connection = next((h for h in reversed(headers) if h.first_arg().lower() == "connection"), None)
        cleared = (
            connection_cleared(model, connection.args[1])
            if connection and len(connection.args) > 1
            else False
        )
        old_version = version is None or version.first_arg() != "1.1"
        if not old_version and cleared is not False:
            continue
        missing, missing_zh = [], []
        if old_version:
            missing.append("it speaks HTTP/1.0 to the backend (no `proxy_http_version 1.1`)")
            missing_zh.append("它以 HTTP/1.0 与后端通信（没有 `proxy_http_version 1.1`）")
        if cleared is False:
            missing.append(
                'it sends "Connection: close" (no `proxy_set_header Connection ""` where its headers are set)'
            )
            missing_zh.append(
                '它发送 "Connection: close"（在其请求头所在的层级没有 `proxy_set_header Connection ""`）'
            )
        hint = hint_zh = ""
        if level is not None and level.name != "http":
            hint = f" (its headers come from the {level.name} block at {where(level)})"
            hint_zh = f"（它的请求头来自 {where(level)} 的 {level.name} 块）"
        # A Connection header set through a map (WebSocket upgrades) is left to a person.
        deliberate = connection is not None and "$" in "".join(connection.args[1:])
        # The error log shows the ports running out towards this upstream: it is causing 502s now,
        # as severe as the log's own finding (LOG006), and listed before it (the catalogue's order).
        spent = ports_spent_towards(ctx, upstream.directive)
        note = note_zh = ""
        if spent is not None:
            note = (
                f" It is happening: the error log has {spent.count} connect() failure(s) to the backend "
                f"(99: Cannot assign requested address), from {spent.first} to {spent.last}."
            )
            note_zh = (
                f"这正在发生：错误日志在 {spent.first} 至 {spent.last} 之间记录了 {spent.count} 次连接后端失败"
                "（99: Cannot assign requested address）。"
            )
        yield Hit(
            "NGX001",
            {
                "where": where(item.directive),
                "upstream": upstream.name,
                "keepalive_where": where(keepalive[0]),
                "missing": " and ".join(missing),
                "missing_zh": "，并且".join(missing_zh),
                "level_hint": hint,
                "level_hint_zh": hint_zh,
                "log_note": note,
                "log_note_zh": note_zh,
            },
            evidence(item.directive, ("upstream", upstream.name)),
            autofix=not deliberate,
            severity=Severity.HIGH if spent is not None else None,
        )


@judges("NGX002")
def resolved_once(ctx: HostContext) -> Iterator[Hit]:
    model = _model(ctx)
    if model is None:
        return
    seen: set[tuple[str, int]] = set()
    for item in model.of("proxy_pass", "grpc_pass", "uwsgi_pass", "fastcgi_pass", "scgi_pass"):
        if item.upstream is not None or item.target.authority[:1].isdigit():
            continue
        host = item.target.host
        if host is None or is_ip(host) or host == "localhost":
            continue
        scheme = item.target.scheme or "http://"
        uri = item.target.uri or ""
        how = (
            "Give nginx a `resolver` (your DNS server, with `valid=30s`) and put the name in a variable, "
            f"which nginx resolves while it runs: `set $backend {host};` and "
            f"`{item.directive.name} {scheme}$backend{item.target.authority[len(host) :]}{uri};` "
            "(with a variable, a URI part is passed as written, not merged with the location)."
        )
        how_zh = (
            "为 nginx 配置 `resolver`（你的 DNS 服务器，并加 `valid=30s`），并把名称放入变量，nginx 会在运行时解析它："
            f"`set $backend {host};` 以及 `{item.directive.name} {scheme}$backend{item.target.authority[len(host) :]}{uri};`"
            "（使用变量时，URI 部分按原样传递，不再与 location 合并）。"
        )
        seen.add((item.directive.file, item.directive.line))
        yield Hit(
            "NGX002",
            {"where": where(item.directive), "name": host, "how": how, "how_zh": how_zh},
            evidence(item.directive, ("name", host)),
        )
    for upstream in model.upstreams.values():
        if upstream.context != "http":
            continue
        for server in upstream.directive.children("server"):
            address = server.first_arg()
            if address[:1].isdigit() or address.startswith(("[", "unix:", "localhost")):
                continue  # an address (most servers): no name to resolve
            host = PassTarget("", address, None).host
            if host is None or is_ip(host) or "resolve" in server.args[1:]:
                continue
            if (server.file, server.line) in seen:
                continue
            yield Hit(
                "NGX002",
                {
                    "where": f"{where(server)} (upstream {upstream.name})",
                    "name": host,
                    "how": (
                        f"In upstream {upstream.name}, give this server the `resolve` parameter and the upstream "
                        "a `zone` (nginx 1.27.3 or later, or NGINX Plus), with a `resolver` at http level; "
                        "with an older nginx, reload it whenever the name's address changes."
                    ),
                    "how_zh": (
                        f"在 upstream {upstream.name} 中为该 server 加上 `resolve` 参数，并为 upstream 配置 `zone`"
                        "（nginx 1.27.3 及以上或 NGINX Plus），同时在 http 级别配置 `resolver`；"
                        "更早版本的 nginx 需要在名称地址变化时重载。"
                    ),
                },
                evidence(server, ("name", host), ("upstream", upstream.name)),
            )


@judges("NGX003")
def retries_off(ctx: HostContext) -> Iterator[Hit]:
    model = _model(ctx)
    if model is None:
        return
    for item in _http_proxies(model):
        upstream = item.upstream
        if upstream is None:
            continue
        alive = [s for s in upstream.servers if not s.down]
        if len(alive) < 2:
            continue
        setting = item.scoped.nearest("proxy_next_upstream")
        tries = item.scoped.nearest("proxy_next_upstream_tries")
        if setting is not None and setting.args == ["off"]:
            state = (
                f"proxy_next_upstream is off ({where(setting)}): when one server fails, the client gets "
                "the 502 although another server could have answered."
            )
            state_zh = f"proxy_next_upstream 被设为 off（{where(setting)}）：一台服务器失败时，即使另一台能应答，客户端也会直接得到 502。"
            severity, autofix = Severity.MEDIUM, False
        elif setting is None and tries is None:
            state = (
                "nothing sets proxy_next_upstream or proxy_next_upstream_tries: nginx retries only after "
                "connection errors and timeouts, not when a server answers 502, 503 or 504 while it "
                "restarts, and with no bound on the number of tries."
            )
            state_zh = (
                "没有任何地方设置 proxy_next_upstream 或 proxy_next_upstream_tries：nginx 只在连接错误和超时后重试，"
                "服务器重启期间返回的 502、503、504 不会重试，而且重试次数没有上限。"
            )
            severity, autofix = Severity.LOW, True
        else:
            continue
        yield Hit(
            "NGX003",
            {
                "where": where(item.directive),
                "upstream": upstream.name,
                "servers": str(len(alive)),
                "retry_state": state,
                "retry_state_zh": state_zh,
            },
            evidence(setting or item.directive, ("upstream", upstream.name)),
            severity=severity,
            autofix=autofix,
        )


@judges("NGX004")
def non_idempotent_retries(ctx: HostContext) -> Iterator[Hit]:
    model = _model(ctx)
    if model is None:
        return
    for directive in model.find(*_NON_IDEMPOTENT_DIRECTIVES):
        if "non_idempotent" in directive.args:
            yield Hit(
                "NGX004",
                {"where": where(directive), "directive": directive.name},
                evidence(directive),
            )


def _location_kind(location: Directive) -> tuple[str, str] | None:
    """('regex'|'named', label) for locations where nginx refuses a URI part in proxy_pass."""
    args = location.args
    if args and args[0] in ("~", "~*"):
        return "a regular expression location", "正则表达式 location"
    if args and args[0].startswith("@"):
        return "a named location", "命名 location"
    return None


@judges("NGX011")
def uri_rewritten(ctx: HostContext) -> Iterator[Hit]:
    model = _model(ctx)
    if model is None:
        return
    for item in model.of("proxy_pass"):
        target = item.target
        if target.uri is None or "$" in item.directive.first_arg():
            continue
        inner = item.scoped.chain[-1]
        location = item.scoped.enclosing("location")
        kind: tuple[str, str] | None = None
        if inner.name in ("if", "limit_except"):
            kind = (f"an {inner.name} block", f"{inner.name} 块")
        elif location is not None:
            kind = _location_kind(location)
        at = where(item.directive)
        if kind is not None:
            detail = (
                f"proxy_pass at {at} has a URI part ({target.uri}) inside {kind[0]}; nginx refuses that "
                '("proxy_pass cannot have URI part in location given by regular expression, or inside '
                'named location, or inside "if" statement, or inside "limit_except" block"), '
                "so it does not start or reload with this configuration."
            )
            detail_zh = (
                f"{at} 的 proxy_pass 在{kind[1]} 中带有 URI 部分（{target.uri}）；nginx 不接受这种写法，"
                "使用这份配置时无法启动或重载。"
            )
            hint = (
                "Remove the URI part (nginx then passes the request URI unchanged), or change the path with "
                "`rewrite ... break;` before proxy_pass, or build it from variables in proxy_pass."
            )
            hint_zh = "去掉 URI 部分（nginx 将原样传递请求 URI），或在 proxy_pass 之前用 `rewrite ... break;` 改写路径，或在 proxy_pass 中用变量拼出路径。"
            yield Hit(
                "NGX011",
                {"detail": detail, "detail_zh": detail_zh, "hint": hint, "hint_zh": hint_zh},
                evidence(item.directive),
                severity=Severity.HIGH,
            )
            continue
        if location is None or location is not inner or not location.args or location.args[0] == "=":
            continue
        if location.children("rewrite"):
            continue  # nginx passes a rewritten URI as it is, without the replacement
        prefix = location.args[-1]
        if prefix.endswith("/") == target.uri.endswith("/"):
            continue
        sample_from = prefix + ("x" if prefix.endswith("/") else "/x")
        sample_to = target.uri + sample_from[len(prefix) :]
        detail = (
            f"proxy_pass at {at} replaces the location prefix {prefix} with {target.uri}, but only one of "
            f"them ends with /: a request for {sample_from} reaches the backend as {sample_to}. Backends "
            "answer such paths with 404 or route them to the wrong handler."
        )
        detail_zh = (
            f"{at} 的 proxy_pass 把 location 前缀 {prefix} 替换为 {target.uri}，但两者中只有一个以 / 结尾："
            f"对 {sample_from} 的请求到达后端时变成 {sample_to}。后端会对这种路径返回 404，或交给错误的处理程序。"
        )
        fixed_uri = target.uri.rstrip("/") + "/" if prefix.endswith("/") else target.uri.rstrip("/") or "/"
        hint = (
            f"Make both end the same way (location {prefix} with proxy_pass ...{fixed_uri}), "
            "or drop the URI part to pass the path unchanged."
        )
        hint_zh = f"让两者以相同方式结尾（location {prefix} 搭配 proxy_pass ...{fixed_uri}），或去掉 URI 部分以原样传递路径。"
        yield Hit(
            "NGX011",
            {"detail": detail, "detail_zh": detail_zh, "hint": hint, "hint_zh": hint_zh},
            evidence(item.directive, ("location", prefix)),
        )


@judges("NGX012")
def https_without_sni(ctx: HostContext) -> Iterator[Hit]:
    model = _model(ctx)
    if model is None:
        return
    for item in _http_proxies(model):
        if item.target.scheme != "https://" or item.target.dynamic:
            continue
        if item.upstream is not None:
            names = sorted(
                {
                    s.address.host
                    for s in item.upstream.servers
                    if s.address.host and not is_ip(s.address.host)
                }
            )
            if not names:
                continue
            listed = ", ".join(names)
            names_en = f"upstream {item.upstream.name}, whose servers are named: {listed}"
            names_zh = f"upstream {item.upstream.name}，其服务器以名称给出：{listed}"
            name_hint = (
                f", and `proxy_ssl_name {names[0]};` so that the name sent is not {item.upstream.name}"
            )
            name_hint_zh = f"，并设置 `proxy_ssl_name {names[0]};`，以免发送的名称是 {item.upstream.name}"
        else:
            host = item.target.host
            if host is None or is_ip(host):
                continue
            names_en, names_zh = "a host name", "这是一个主机名"
            name_hint = name_hint_zh = ""
        setting = item.scoped.nearest("proxy_ssl_server_name")
        if setting is not None and setting.first_arg() == "on":
            continue
        yield Hit(
            "NGX012",
            {
                "where": where(item.directive),
                "name": item.target.authority,
                "names": names_en,
                "names_zh": names_zh,
                "setting": f" ({where(setting)})" if setting else " (its default)",
                "setting_zh": f"（{where(setting)}）" if setting else "（默认值）",
                "name_hint": name_hint,
                "name_hint_zh": name_hint_zh,
            },
            evidence(item.directive, ("name", item.target.authority)),
        )
