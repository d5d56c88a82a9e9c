"""Judges of the cloud category: security groups and load balancers, on the provider-neutral model.

They read a :class:`~fix502.cloud.context.CloudContext` (one provider, account and region), not a host,
so they have a registry of their own (``CLOUD_REGISTRY``); ``fix502 cloud`` runs them.

The evidence of a finding that fix502 can fix carries what the role needs in ``values``: ``provider``,
``account``, ``region``, ``group_id``, ``change`` (add or remove), ``protocol``, ``port_from``,
``port_to``, ``peer_kind`` (cidr, group, prefix_list) and ``peer``; a world-open rule's removal also
names the rule that replaces it (``replace_peer_kind``, ``replace_peer``). Every finding's values also
carry the non-secret credential selector the audit used (``profile``, ``assume_role_arn``,
``endpoint_url``, each only when set), so that the fix signs in the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from fix502.checks import Hit
from fix502.cloud.config import PROTECTED_PORTS
from fix502.cloud.context import (
    CloudContext,
    Network,
    Tier,
    allowed_from_peer,
    denied_part,
    shadowing_deny,
)
from fix502.cloud.model import (
    MANAGED_MARK,
    Action,
    Direction,
    Peer,
    PeerKind,
    Rule,
    SecurityGroup,
    Target,
    TargetGroup,
)
from fix502.model import Evidence

CloudCheck = Callable[[CloudContext], Iterable[Hit]]

CLOUD_REGISTRY: dict[str, CloudCheck] = {}


def judges_cloud(check_id: str) -> Callable[[CloudCheck], CloudCheck]:
    def register(func: CloudCheck) -> CloudCheck:
        if check_id in CLOUD_REGISTRY:
            raise RuntimeError(f"check {check_id} has two judges")
        CLOUD_REGISTRY[check_id] = func
        return func

    return register


def _peer_text(peer: Peer) -> str:
    return peer.value if peer.kind is PeerKind.CIDR else peer.describe()


def _rule_values(ctx: CloudContext, group_id: str, change: str, rule: Rule) -> dict[str, str]:
    return {
        "provider": ctx.provider,
        "account": ctx.account,
        "region": ctx.region,
        "group_id": group_id,
        "change": change,
        "protocol": rule.protocol,
        "port_from": str(rule.port_from),
        "port_to": str(rule.port_to),
        "peer_kind": rule.peer.kind.value,
        "peer": rule.peer.value,
        **dict(ctx.selector),
    }


def _hit(
    check_id: str,
    ctx: CloudContext,
    group_id: str,
    rule: Rule,
    texts: dict[str, str],
    values: dict[str, str],
    *,
    port: int | None = None,
    address: str | None = None,
    autofix: bool | None = None,
) -> Hit:
    text_values = {"where": ctx.where, "group": group_id, "rule": rule.describe(), **texts}
    return Hit(
        check_id,
        text_values,
        Evidence(
            resource=group_id,
            rule=rule.describe(),
            port=port,
            address=address,
            values=tuple(sorted(values.items())),
        ),
        autofix=autofix,
    )


def _proposed(protocol: str, port: int, peer: Peer, direction: Direction = Direction.INGRESS) -> Rule:
    return Rule(direction, protocol, port, port, peer, description=MANAGED_MARK)


def _fix_group(group_set: tuple[str, ...]) -> str:
    return group_set[0]


def _tier_rules(
    ctx: CloudContext, tier: Tier, direction: Direction
) -> Iterator[tuple[str, list[tuple[SecurityGroup, Rule]]]]:
    """For each set of groups an instance of ``tier`` has (and the audit read): the group a fix goes to,
    and the set's rules of ``direction``."""
    for group_set in tier.group_sets:
        if any(g in ctx.groups for g in group_set):
            yield _fix_group(group_set), ctx.rules(group_set, direction)


def _seen_before(seen: set[tuple[str, int, str]], key: tuple[str, int, str]) -> bool:
    if key in seen:
        return True
    seen.add(key)
    return False


def _add_hit(
    check_id: str,
    ctx: CloudContext,
    target: str,
    port: int,
    peer: Peer,
    texts: dict[str, str],
    *,
    direction: Direction = Direction.INGRESS,
    address: str | None = None,
    autofix: bool | None = None,
) -> Hit:
    """A finding whose fix adds a TCP ``port`` rule for ``peer`` to the group ``target``."""
    rule = _proposed("tcp", port, peer, direction)
    values = _rule_values(ctx, target, "add", rule)
    return _hit(check_id, ctx, target, rule, texts, values, port=port, address=address, autofix=autofix)


# -- CLD001: the site's ports from the clients ---------------------------------------------------------------


@judges_cloud("CLD001")
def web_ports_unreachable(ctx: CloudContext) -> Iterator[Hit]:
    seen: set[tuple[str, int, str]] = set()
    for target, rules in _tier_rules(ctx, ctx.tier("web"), Direction.INGRESS):
        for port in ctx.web_ports:
            for client in ctx.client_ranges:
                if client.kind is PeerKind.CIDR:
                    net = client.network
                    assert net is not None
                    if not denied_part(rules, "tcp", port, [net]):
                        continue
                elif allowed_from_peer(rules, "tcp", port, [client]) is not None:
                    continue
                if _seen_before(seen, (target, port, client.value)):
                    continue
                texts = {"port": str(port), "source": _peer_text(client)}
                yield _add_hit("CLD001", ctx, target, port, client, texts, address=client.value)


# -- CLD002: the backends' ports from the proxy tier --------------------------------------------------------


def _proxy_peers(proxy: Tier) -> list[Peer]:
    return [Peer.group(g) for g in proxy.groups]


def _reaches(
    rules: list[tuple[SecurityGroup, Rule]],
    port: int,
    peer_groups: list[Peer],
    addresses: tuple[Network, ...],
) -> bool:
    """Whether the rules let traffic on ``port`` through from/to the groups or addresses of a tier.

    World-open rules do not count: they are CLD003's business, and a fix must not rely on them.
    """
    if peer_groups and allowed_from_peer(rules, "tcp", port, peer_groups) is not None:
        return True
    narrow = [(g, r) for g, r in rules if not r.peer.is_world]
    if addresses:
        return not denied_part(narrow, "tcp", port, list(addresses))
    # The tier's addresses are unknown: a CIDR rule that covers the port may be meant for it.
    return _some_cidr_allows(narrow, port)


def _some_cidr_allows(rules: list[tuple[SecurityGroup, Rule]], port: int) -> bool:
    return any(
        r.peer.kind is PeerKind.CIDR and r.covers("tcp", port) and r.action is Action.ALLOW for _, r in rules
    )


@judges_cloud("CLD002")
def backend_ports_closed_to_proxy(ctx: CloudContext) -> Iterator[Hit]:
    backend, proxy = ctx.tier("backend"), ctx.tier("proxy")
    if not proxy.known or not ctx.backend_ports:
        return
    peers = _proxy_peers(proxy)
    proxy_text = ", ".join([*proxy.groups, *(str(a) for a in proxy.addresses)])
    seen: set[tuple[str, int, str]] = set()
    for target, rules in _tier_rules(ctx, backend, Direction.INGRESS):
        for port in ctx.backend_ports:
            if _reaches(rules, port, peers, proxy.addresses):
                continue
            fixes = [peers[0]] if peers else [Peer.cidr(str(a)) for a in proxy.addresses]
            for peer in fixes:
                if _seen_before(seen, (target, port, peer.value)):
                    continue
                texts = {"port": str(port), "proxy": proxy_text}
                yield _add_hit("CLD002", ctx, target, port, peer, texts, address=peer.value)


# -- CLD003: backend, database and cache ports open to the world ------------------------------------------


@judges_cloud("CLD003")
def sensitive_port_open_to_world(ctx: CloudContext) -> Iterator[Hit]:
    watched = sorted(set(ctx.sensitive_ports) | set(ctx.backend_ports))
    backend_groups = set(ctx.tier("backend").groups)
    proxy_groups = ctx.tier("proxy").groups
    for group in sorted(ctx.groups.values(), key=lambda g: g.group_id):
        all_rules = [(group, r) for r in group.ingress]
        for rule in group.ingress:
            if rule.action is not Action.ALLOW or not rule.peer.is_world:
                continue
            if rule.protocol not in ("tcp", "all"):
                continue
            if shadowing_deny(rule, group.ingress) is not None:
                continue
            net = rule.peer.network
            assert net is not None
            exposed = [
                p for p in watched if rule.covers("tcp", p) and not denied_part(all_rules, "tcp", p, [net])
            ]
            if not exposed:
                continue
            risky = [p for p in (*PROTECTED_PORTS, *ctx.web_ports) if rule.covers("tcp", p)]
            single_backend_port = (
                rule.protocol == "tcp"
                and rule.port_from == rule.port_to
                and rule.port_from in ctx.backend_ports
            )
            replaceable = (
                single_backend_port and group.group_id in backend_groups and bool(proxy_groups) and not risky
            )
            values = _rule_values(ctx, group.group_id, "remove", rule)
            if replaceable:
                values["replace_peer_kind"] = PeerKind.GROUP.value
                values["replace_peer"] = proxy_groups[0]
            yield _hit(
                "CLD003",
                ctx,
                group.group_id,
                rule,
                {"ports": ", ".join(f"TCP {p}" for p in exposed)},
                values,
                port=exposed[0],
                address=rule.peer.value,
                autofix=replaceable,
            )


# -- CLD004: egress from the proxy tier to the backends ---------------------------------------------------


@judges_cloud("CLD004")
def proxy_egress_blocked(ctx: CloudContext) -> Iterator[Hit]:
    backend, proxy = ctx.tier("backend"), ctx.tier("proxy")
    if not backend.known or not ctx.backend_ports:
        return
    peers = [Peer.group(g) for g in backend.groups]
    destination = ", ".join([*backend.groups, *(str(a) for a in backend.addresses)])
    for target, rules in _tier_rules(ctx, proxy, Direction.EGRESS):
        for port in ctx.backend_ports:
            if peers and allowed_from_peer(rules, "tcp", port, peers) is not None:
                continue
            if backend.addresses:
                if not denied_part(rules, "tcp", port, list(backend.addresses)):
                    continue
            elif _some_cidr_allows(rules, port):
                continue
            peer = peers[0] if peers else Peer.cidr(str(backend.addresses[0]))
            texts = {"port": str(port), "destination": destination}
            yield _add_hit(
                "CLD004", ctx, target, port, peer, texts, direction=Direction.EGRESS, autofix=False
            )


# -- CLD005: deny rules that shadow an allow ----------------------------------------------------------------


@judges_cloud("CLD005")
def deny_shadows_allow(ctx: CloudContext) -> Iterator[Hit]:
    for group in sorted(ctx.groups.values(), key=lambda g: g.group_id):
        for direction in (Direction.INGRESS, Direction.EGRESS):
            rules = [r for r in group.rules if r.direction is direction]
            for rule in rules:
                deny = shadowing_deny(rule, rules)
                if deny is None:
                    continue
                values = _rule_values(ctx, group.group_id, "none", rule)
                values["deny"] = deny.describe()
                yield _hit(
                    "CLD005",
                    ctx,
                    group.group_id,
                    rule,
                    {"deny": deny.describe(), "deny_priority": str(deny.priority)},
                    values,
                    autofix=False,
                )


# -- load balancers -----------------------------------------------------------------------------------------


def _lb_hit(
    check_id: str, ctx: CloudContext, resource: str, texts: dict[str, str], values: dict[str, str], rule: str
) -> Hit:
    base = {"provider": ctx.provider, "account": ctx.account, "region": ctx.region, **dict(ctx.selector)}
    return Hit(
        check_id,
        {"where": ctx.where, **texts},
        Evidence(resource=resource, rule=rule, values=tuple(sorted({**base, **values}.items()))),
    )


def _target_groups(ctx: CloudContext) -> Iterator[TargetGroup]:
    seen: set[str] = set()
    for lb in ctx.load_balancers:
        for tg in lb.target_groups:
            if tg.target_group_id not in seen:
                seen.add(tg.target_group_id)
                yield tg


_TLS = {"HTTP": False, "HTTPS": True}


@judges_cloud("CLD006")
def health_check_mismatch(ctx: CloudContext) -> Iterator[Hit]:
    for tg in _target_groups(ctx):
        port_differs = tg.health_check_port not in ("traffic-port", str(tg.port))
        tls_differs = (
            tg.protocol in _TLS
            and tg.health_check_protocol in _TLS
            and _TLS[tg.protocol] != _TLS[tg.health_check_protocol]
        )
        if not (port_differs or tls_differs):
            continue
        yield _lb_hit(
            "CLD006",
            ctx,
            tg.target_group_id,
            {
                "target_group": tg.name,
                "protocol": tg.protocol,
                "port": str(tg.port),
                "hc_protocol": tg.health_check_protocol,
                "hc_port": tg.health_check_port,
                "arn": tg.target_group_id,
            },
            {"target_group": tg.name, "health_check_port": tg.health_check_port},
            f"traffic {tg.protocol}:{tg.port}, "
            f"health check {tg.health_check_protocol}:{tg.health_check_port}",
        )


# The reason DescribeTargetHealth gives (with state "unused") for an instance target that is stopped or
# terminated: it takes no traffic, like an unhealthy one.
STOPPED_TARGET = "Target.InvalidState"


def _takes_no_traffic(target: Target) -> bool:
    return target.health == "unhealthy" or (target.health == "unused" and target.reason == STOPPED_TARGET)


@judges_cloud("CLD007")
def unhealthy_targets(ctx: CloudContext) -> Iterator[Hit]:
    for tg in _target_groups(ctx):
        bad = [t for t in tg.targets if _takes_no_traffic(t)]
        if not bad:
            continue
        names = ", ".join(f"{t.target_id}:{t.port}" if t.port else t.target_id for t in bad)
        reasons = ", ".join(sorted({t.reason or t.description or "unknown" for t in bad}))
        yield _lb_hit(
            "CLD007",
            ctx,
            tg.target_group_id,
            {
                "target_group": tg.name,
                "count": str(len(bad)),
                "total": str(len(tg.targets)),
                "targets": names,
                "reasons": reasons,
            },
            {"target_group": tg.name, "unhealthy": names},
            f"unhealthy: {names}",
        )


@judges_cloud("CLD008")
def idle_timeout_longer_than_keepalive(ctx: CloudContext) -> Iterator[Hit]:
    keepalive = ctx.backend_keepalive_seconds
    if keepalive is None:
        return
    for lb in ctx.load_balancers:
        if lb.kind != "application" or lb.idle_timeout is None or lb.idle_timeout < keepalive:
            continue
        yield _lb_hit(
            "CLD008",
            ctx,
            lb.load_balancer_id,
            {
                "load_balancer": lb.name,
                "idle": str(lb.idle_timeout),
                "keepalive": str(keepalive),
                "suggested": str(lb.idle_timeout + 5),
                "lower": str(max(1, keepalive - 1)),
                "arn": lb.load_balancer_id,
            },
            {"load_balancer": lb.name, "idle_timeout": str(lb.idle_timeout), "keepalive": str(keepalive)},
            f"idle_timeout.timeout_seconds={lb.idle_timeout} >= backend keep-alive {keepalive}s",
        )
