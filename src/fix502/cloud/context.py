"""What the cloud checks of one (provider, account, region) look at, and how traffic is judged.

A tier (web, proxy, backend) is a list of group sets: the groups attached together to one instance or
load balancer, or the groups the configuration names (taken together). A rule in any group of a set
counts for the set. Rules are evaluated the way the providers do: in priority order (lower number
first, deny before allow at the same priority); AWS rules have no priority and only allow.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from fix502.cloud.model import Action, Direction, Instance, LoadBalancer, Peer, PeerKind, Rule, SecurityGroup

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Tier:
    name: str
    group_sets: tuple[tuple[str, ...], ...] = ()
    addresses: tuple[Network, ...] = ()
    instances: tuple[Instance, ...] = ()
    load_balancers: tuple[LoadBalancer, ...] = ()

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(g for s in self.group_sets for g in s))

    @property
    def known(self) -> bool:
        return bool(self.group_sets or self.addresses)


@dataclass
class CloudContext:
    provider: str
    account: str
    region: str
    groups: dict[str, SecurityGroup]
    tiers: dict[str, Tier] = field(default_factory=dict)
    client_ranges: tuple[Peer, ...] = ()
    web_ports: tuple[int, ...] = (80, 443)
    backend_ports: tuple[int, ...] = ()
    sensitive_ports: tuple[int, ...] = ()
    load_balancers: tuple[LoadBalancer, ...] = ()
    backend_keepalive_seconds: int | None = None
    # The non-secret credential selector the audit used (profile, assume_role_arn, endpoint_url), which
    # every finding's evidence carries so that the fix uses the same credentials.
    selector: tuple[tuple[str, str], ...] = ()

    @property
    def where(self) -> str:
        return f"{self.provider}:{self.account}/{self.region}"

    def tier(self, name: str) -> Tier:
        return self.tiers.get(name) or Tier(name)

    def rules(self, group_set: Iterable[str], direction: Direction) -> list[tuple[SecurityGroup, Rule]]:
        out = []
        for group_id in group_set:
            group = self.groups.get(group_id)
            if group is None:
                continue
            out += [(group, r) for r in group.rules if r.direction is direction]
        return out


# -- address sets ---------------------------------------------------------------------------------------


def _minus(nets: Sequence[Network], cut: Network) -> list[Network]:
    out: list[Network] = []
    for net in nets:
        if net.version != cut.version or not net.overlaps(cut):
            out.append(net)
        elif net.subnet_of(cut):  # type: ignore[arg-type]
            continue
        else:
            out.extend(net.address_exclude(cut))  # type: ignore[arg-type]
    return out


def _within(nets: Sequence[Network], cut: Network) -> list[Network]:
    out: list[Network] = []
    for net in nets:
        if net.version != cut.version or not net.overlaps(cut):
            continue
        out.append(net if net.subnet_of(cut) else cut)  # type: ignore[arg-type]
    return out


def collapse(nets: Iterable[Network]) -> list[Network]:
    v4 = [n for n in nets if n.version == 4]
    v6 = [n for n in nets if n.version == 6]
    return [*ipaddress.collapse_addresses(v4), *ipaddress.collapse_addresses(v6)]


def precedence(rule: Rule) -> tuple[int, int]:
    """Sort key: lower priority number first, deny before allow at the same priority."""
    return (rule.priority if rule.priority is not None else 0, 0 if rule.action is Action.DENY else 1)


def _matching(rules: Iterable[tuple[SecurityGroup, Rule]], protocol: str, port: int) -> list[Rule]:
    return sorted((r for _, r in rules if r.covers(protocol, port)), key=precedence)


def denied_part(
    rules: Iterable[tuple[SecurityGroup, Rule]], protocol: str, port: int, sources: Sequence[Network]
) -> list[Network]:
    """The part of ``sources`` that the rules do NOT let through to ``port`` (CIDR peers only)."""
    remaining: list[Network] = list(sources)
    allowed: list[Network] = []
    for rule in _matching(rules, protocol, port):
        net = rule.peer.network
        if net is None:
            continue
        hit = _within(remaining, net)
        if not hit:
            continue
        remaining = _minus(remaining, net)
        if rule.action is Action.ALLOW:
            allowed += hit
        if not remaining:
            break
    left: list[Network] = list(sources)
    for net in allowed:
        left = _minus(left, net)
    return collapse(left)


def allowed_from_peer(
    rules: Iterable[tuple[SecurityGroup, Rule]], protocol: str, port: int, peers: Iterable[Peer]
) -> Rule | None:
    """The allow rule that lets one of ``peers`` (groups or prefix lists) through, unless a deny that
    comes first covers the same peer or the whole world."""
    wanted = {(p.kind, p.value) for p in peers}
    denied = False
    for rule in _matching(rules, protocol, port):
        if rule.action is Action.DENY:
            if (rule.peer.kind, rule.peer.value) in wanted or rule.peer.is_world:
                denied = True
            continue
        if (rule.peer.kind, rule.peer.value) in wanted:
            return None if denied else rule
    return None


def shadowing_deny(rule: Rule, rules: Iterable[Rule]) -> Rule | None:
    """The deny rule that comes before ``rule`` (an allow) and covers all of its traffic."""
    if rule.action is not Action.ALLOW or rule.priority is None:
        return None
    for other in sorted(rules, key=precedence):
        if other is rule or other.action is not Action.DENY or other.priority is None:
            continue
        if other.direction is not rule.direction or precedence(other) >= precedence(rule):
            continue
        if other.protocol != "all" and other.protocol != rule.protocol:
            continue
        if other.protocol in ("tcp", "udp", "all") and not (
            other.port_from <= rule.port_from and rule.port_to <= other.port_to
        ):
            continue
        if _peer_covers(other.peer, rule.peer):
            return other
    return None


def _peer_covers(outer: Peer, inner: Peer) -> bool:
    if outer.kind is PeerKind.CIDR:
        if outer.is_world and inner.kind is not PeerKind.CIDR:
            return True  # members of a group, or a prefix list's ranges, are inside the world
        a, b = outer.network, inner.network
        return a is not None and b is not None and a.version == b.version and b.subnet_of(a)  # type: ignore[arg-type]
    return (outer.kind, outer.value) == (inner.kind, inner.value)


def world_networks() -> list[Network]:
    return [ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")]
