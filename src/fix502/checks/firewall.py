"""Firewall: does the host's packet filter let through the connections nginx serves and makes?

Two kinds of connection are followed through every base chain of the host's firewall (see
src/fix502/firewall/): a client's to each port nginx listens on, from outside (every client is
tried: a source from each network the rules name and one they do not, on each of the host's
interfaces); and nginx's own to each backend on this host, over loopback, from the loopback
address. A port closed to every client is FWL001, a backend nginx cannot reach is FWL002, a
verdict that cannot be told is FWL003.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fix502.checks import Hit, judges
from fix502.checks.context import HostContext
from fix502.firewall import Decision, HostFirewall, Packet, Stop
from fix502.firewall.fix import UFW_EXPLICIT, Opening, Plan, plan, proxy_source
from fix502.model import Evidence, Severity
from fix502.nginx_config import Directive
from fix502.upstreams import Endpoint, parse_address

# A client the rules do not name: an address of the documentation ranges, never a real one.
OUTSIDE = {4: "203.0.113.10", 6: "2001:db8::10"}
MAX_SOURCES = 32
MAX_INTERFACES = 8

_VERB = {"drop": ("drops", "丢弃了"), "reject": ("rejects", "拒绝了")}
_SYMPTOM = {
    "drop": ("no answer (their connections time out)", "得不到任何响应（连接超时）"),
    "reject": ("a refused connection", "的连接被拒绝"),
}
_EFFECT = {
    "drop": (
        "nginx waits proxy_connect_timeout (60 s unless set) on every connection, then answers "
        "504 Gateway Time-out, although the backend runs.",
        "nginx 每次连接都要等待 proxy_connect_timeout（未设置时为 60 秒），然后返回 504 Gateway Time-out，"
        "尽管后端在正常运行。",
    ),
    "reject": (
        "Every connection is refused at once, and nginx answers 502 Bad Gateway although the backend runs.",
        "每次连接都被立即拒绝，尽管后端在正常运行，nginx 仍返回 502 Bad Gateway。",
    ),
}
_WHY_NOT_ZH = {
    "fix502 never changes rules for SSH's port": "fix502 从不修改 SSH 端口的规则",
    "the rule that stops it has no handle in nft's listing": "nft 的列表中该规则没有 handle",
    "ufw's rule files do not say which ufw rule stops it": "ufw 的规则文件无法说明是哪条 ufw 规则拦截了它",
    UFW_EXPLICIT: "管理员的一条 ufw 规则拒绝了该端口；ufw 会直接替换那条规则，fix502 不去改动它",
}


@dataclass(frozen=True)
class Listen:
    port: int
    family: int
    dst: str | None
    text: str
    file: str
    line: int


@dataclass
class WebResult:
    listen: Listen
    decision: Decision  # the connection of a client the rules do not name
    reachable: bool  # some client gets through
    unknown: Decision | None  # a client whose fate cannot be told (when none gets through)


@dataclass
class BackendResult:
    endpoint: Endpoint
    opening: Opening
    decision: Decision


@dataclass
class Judged:
    firewall: HostFirewall
    web: list[WebResult] = field(default_factory=list)
    backends: list[BackendResult] = field(default_factory=list)


_CACHE: dict[int, tuple[HostContext, Judged | None]] = {}


def judged(ctx: HostContext) -> Judged | None:
    """Every connection's verdict on this host, computed once for the three checks."""
    cached = _CACHE.get(id(ctx))
    if cached is not None and cached[0] is ctx:
        return cached[1]
    result = _judge(ctx)
    if len(_CACHE) > 16:
        _CACHE.clear()
    _CACHE[id(ctx)] = (ctx, result)
    return result


def _judge(ctx: HostContext) -> Judged | None:
    facts = ctx.collected.get("firewall")
    if not isinstance(facts, dict) or ctx.nginx is None:
        return None
    firewall = HostFirewall.from_collected(facts)
    if not firewall.points:
        return None
    result = Judged(firewall)
    for listen in listens(ctx):
        result.web.append(_judge_web(ctx, firewall, listen))
    seen: set[tuple[str, int]] = set()
    for endpoint in ctx.endpoints[0]:
        address = endpoint.address
        if address.socket or address.port is None or endpoint.down or not ctx.is_local(address.host):
            continue
        family = 6 if address.host and ":" in address.host else 4
        source = proxy_source(address.host, family)
        if (source, address.port) in seen:
            continue
        seen.add((source, address.port))
        opening = Opening(address.port, family, "backend", source=source, interface="lo")
        packet = Packet(family, source, address.port, "lo", dst=source, local_src=True)
        result.backends.append(BackendResult(endpoint, opening, firewall.evaluate(packet)))
    return result


def listens(ctx: HostContext) -> list[Listen]:
    """The ports nginx serves clients on (http servers), one per port and address family."""
    found: dict[tuple[int, int], Listen] = {}
    own = [a for a in ctx.collected.get("addresses") or [] if _public(a)]
    for server in ctx.nginx.find("server") if ctx.nginx else []:
        if server.context != ("http",):
            continue
        directives: list[Directive | None] = list(server.children("listen")) or [None]
        for directive in directives:
            text = directive.first_arg() if directive else "80"
            for port, family, host in _listen_targets(text, directive.args[1:] if directive else []):
                if host is not None and not _public(host):
                    continue  # loopback only: no client from outside is meant to reach it
                dst = host or next((a for a in own if (":" in a) == (family == 6)), None)
                where = directive or server
                found.setdefault((port, family), Listen(port, family, dst, text, where.file, where.line))
    return list(found.values())


def _listen_targets(text: str, flags: list[str]) -> list[tuple[int, int, str | None]]:
    if text.startswith("unix:"):
        return []
    if text.isdigit():
        return [(int(text), 4, None)]
    address = parse_address(text, 80)
    if address is None or address.port is None or address.host is None:
        return []
    host = address.host
    if host in ("*", "0.0.0.0"):
        return [(address.port, 4, None)]
    if host == "::":
        targets: list[tuple[int, int, str | None]] = [(address.port, 6, None)]
        if "ipv6only=off" in flags:
            targets.append((address.port, 4, None))
        return targets
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return [(address.port, 4, None)]  # a name: nginx resolves it at start; judge as any address
    return [(address.port, ip.version, str(ip))]


def _public(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return not (ip.is_loopback or ip.is_link_local)


def _judge_web(ctx: HostContext, firewall: HostFirewall, listen: Listen) -> WebResult:
    family = listen.family
    own = set(ctx.own_addresses)
    sources = [OUTSIDE[family]]
    for address in firewall.mentioned_sources(family):
        if address not in own and _public(address) and address not in sources:
            sources.append(address)
    interfaces = [i for i in firewall.interfaces if i != "lo"] or [*firewall.mentioned_interfaces(), "eth0"]
    first: Decision | None = None
    unknown: Decision | None = None
    for source in sources[:MAX_SOURCES]:
        for interface in interfaces[:MAX_INTERFACES]:
            decision = firewall.evaluate(Packet(family, source, listen.port, interface, dst=listen.dst))
            first = first or decision
            if decision.verdict == "accept":
                return WebResult(listen, first, True, None)
            if decision.verdict == "unknown" and unknown is None:
                unknown = decision
    assert first is not None
    return WebResult(listen, first, False, unknown)


def _rule_text(stop: Stop) -> str:
    ref = stop.outcome.rule
    if ref is None:
        return f"{stop.point.label}: {stop.outcome.reason}"
    return f"`{ref.text}` ({ref.where()})"


def _how(plan_: Plan) -> tuple[str, str]:
    tool = plan_.tool
    if plan_.autofix:
        where, where_zh = plan_.placement
        return f"with {tool}, {where}: `{plan_.command}`.", f"，使用 {tool}，{where_zh}：`{plan_.command}`。"
    why_zh = _WHY_NOT_ZH.get(plan_.why_not, plan_.why_not)
    return (
        f"with {tool}, by hand: fix502 does not change it ({plan_.why_not}).",
        f"，请使用 {tool} 手动修改：fix502 不会自动修改（{why_zh}）。",
    )


def _evidence(stop: Stop, plan_: Plan, port: int, address: str | None) -> Evidence:
    ref = stop.outcome.rule
    return Evidence(
        rule=ref.describe() if ref else stop.point.label,
        port=port,
        address=address,
        values=tuple(sorted(plan_.values.items())),
    )


@judges("FWL001")
def web_port_closed(ctx: HostContext) -> Iterator[Hit]:
    result = judged(ctx)
    if result is None:
        return
    open_ports = sorted({w.listen.port for w in result.web if w.reachable})
    for web in result.web:
        if web.reachable or web.decision.verdict not in ("drop", "reject"):
            continue
        listen = web.listen
        others = [p for p in open_ports if p != listen.port]
        other = other_zh = ""
        if others:
            ports = ", ".join(str(p) for p in others)
            other = f"; port {ports} is open to them, so this may be on purpose"
            other_zh = f"；端口 {ports} 对他们是开放的，这可能是有意为之"
        for stop in web.decision.stops:
            opening = Opening(listen.port, listen.family, "web")
            fix = plan(result.firewall, stop, opening)
            how, how_zh = _how(fix)
            verdict = stop.outcome.verdict
            yield Hit(
                "FWL001",
                {
                    "port": str(listen.port),
                    "listen": f"listen {listen.text} in {listen.file}:{listen.line}",
                    "listen_zh": f"{listen.file}:{listen.line} 中的 listen {listen.text}",
                    "verb": _VERB[verdict][0],
                    "verb_zh": _VERB[verdict][1],
                    "family": str(listen.family),
                    "rule": _rule_text(stop),
                    "symptom": _SYMPTOM[verdict][0],
                    "symptom_zh": _SYMPTOM[verdict][1],
                    "other": other,
                    "other_zh": other_zh,
                    "how": how,
                    "how_zh": how_zh,
                },
                _evidence(stop, fix, listen.port, None),
                severity=Severity.MEDIUM if others else None,
                autofix=fix.autofix and not others,
            )


@judges("FWL002")
def backend_blocked(ctx: HostContext) -> Iterator[Hit]:
    result = judged(ctx)
    if result is None:
        return
    for backend in result.backends:
        endpoint = backend.endpoint
        for stop in backend.decision.stops:
            fix = plan(result.firewall, stop, backend.opening)
            how, how_zh = _how(fix)
            verdict = stop.outcome.verdict
            yield Hit(
                "FWL002",
                {
                    "backend": str(endpoint.address),
                    "directive": endpoint.directive,
                    "where": f"{endpoint.file}:{endpoint.line}",
                    "verb": _VERB[verdict][0],
                    "verb_zh": _VERB[verdict][1],
                    "port": str(backend.opening.port),
                    "source": str(backend.opening.source),
                    "interface": str(backend.opening.interface),
                    "rule": _rule_text(stop),
                    "effect": _EFFECT[verdict][0],
                    "effect_zh": _EFFECT[verdict][1],
                    "how": how,
                    "how_zh": how_zh,
                },
                _evidence(stop, fix, backend.opening.port, backend.opening.source),
                autofix=fix.autofix,
            )


@judges("FWL003")
def cannot_tell(ctx: HostContext) -> Iterator[Hit]:
    result = judged(ctx)
    if result is None:
        return
    cases: list[tuple[Decision | None, str, str, tuple[str, str], int, str | None]] = []
    for web in result.web:
        if not web.reachable and web.decision.verdict not in ("drop", "reject"):
            port = web.listen.port
            cases.append(
                (
                    web.unknown,
                    f"Connections from clients to port {port} (IPv{web.listen.family})",
                    f"客户端到端口 {port}（IPv{web.listen.family}）的连接",
                    (
                        f"`curl -v http://THIS-HOST:{port}/` from a client",
                        f"在客户端上执行 `curl -v http://THIS-HOST:{port}/`",
                    ),
                    port,
                    None,
                )
            )
    for backend in result.backends:
        if backend.decision.verdict == "unknown":
            source, port = backend.opening.source, backend.opening.port
            cases.append(
                (
                    backend.decision,
                    f"nginx's connections to its backend {backend.endpoint.address}",
                    f"nginx 到后端 {backend.endpoint.address} 的连接",
                    (
                        f"`timeout 3 bash -c '</dev/tcp/{source}/{port}'` on this host",
                        f"在本机上执行 `timeout 3 bash -c '</dev/tcp/{source}/{port}'`",
                    ),
                    port,
                    source,
                )
            )
    for decision, what, what_zh, probe, port, address in cases:
        stop = decision.first if decision else None
        if stop is None:
            continue
        values: dict[str, Any] = {"verdict": "unknown", "reason": stop.outcome.reason}
        yield Hit(
            "FWL003",
            {
                "what": what,
                "what_zh": what_zh,
                "rule": _rule_text(stop),
                "reason": stop.outcome.reason,
                "probe": probe[0],
                "probe_zh": probe[1],
            },
            Evidence(
                rule=stop.outcome.rule.describe() if stop.outcome.rule else stop.point.label,
                port=port,
                address=address,
                values=tuple(sorted((k, str(v)) for k, v in values.items())),
            ),
        )
