"""The provider-neutral model of cloud security groups, instances and load balancers.

Every provider (AWS, Alibaba Cloud, Tencent Cloud) converts its API's shapes into these classes, and the
checks in ``fix502.cloud.checks`` read only these. Ports and protocols are normalised:

* ``protocol`` is one of ``tcp``, ``udp``, ``icmp``, ``icmpv6`` or ``all``, or ``ip-N`` for another IP
  protocol number N (GRE is ``ip-47``);
* ``port_from``/``port_to`` is an inclusive range; ``all`` ports is ``0``-``65535`` (AWS ``-1``, Alibaba
  ``-1/-1``, Tencent ``ALL`` all become that); for ICMP the range is meaningless and kept at ``0-65535``;
* a peer is a CIDR (IPv4 or IPv6, normalised by :mod:`ipaddress`), another security group, or a prefix list
  (AWS ``pl-``, Alibaba prefix lists, Tencent address templates / template groups).
"""

from __future__ import annotations

import enum
import ipaddress
import re
from dataclasses import dataclass, field, replace
from typing import Any

# The mark fix502 puts in the description (and, where a provider has them, the tags) of the rules it adds.
MANAGED_MARK = "managed-by: fix502"
ALL_PORTS = (0, 65535)
PROTOCOLS = ("tcp", "udp", "icmp", "icmpv6", "all")
WORLD_V4 = "0.0.0.0/0"
WORLD_V6 = "::/0"
_OTHER_PROTOCOL = re.compile(r"ip-(?:25[0-5]|2[0-4]\d|1?\d?\d)")


class Direction(enum.StrEnum):
    INGRESS = "ingress"
    EGRESS = "egress"


class Action(enum.StrEnum):
    ALLOW = "allow"
    DENY = "deny"


class PeerKind(enum.StrEnum):
    CIDR = "cidr"
    GROUP = "group"
    PREFIX_LIST = "prefix_list"


@dataclass(frozen=True, order=True)
class Peer:
    """The other end of a rule: the source of an ingress rule, the destination of an egress rule."""

    kind: PeerKind
    value: str
    # The account owning a referenced group, when the provider says (AWS UserId, Alibaba SourceGroupOwnerId).
    owner: str | None = None

    @classmethod
    def cidr(cls, text: str) -> Peer:
        """A CIDR, normalised (``10.0.0.1/8`` → ``10.0.0.0/8``; a bare address gets /32 or /128)."""
        return cls(PeerKind.CIDR, str(ipaddress.ip_network(text.strip(), strict=False)))

    @classmethod
    def group(cls, group_id: str, owner: str | None = None) -> Peer:
        return cls(PeerKind.GROUP, group_id, owner)

    @classmethod
    def prefix_list(cls, list_id: str) -> Peer:
        return cls(PeerKind.PREFIX_LIST, list_id)

    @property
    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
        if self.kind is not PeerKind.CIDR:
            return None
        return ipaddress.ip_network(self.value, strict=False)

    @property
    def is_world(self) -> bool:
        """0.0.0.0/0 or ::/0."""
        net = self.network
        return net is not None and net.prefixlen == 0

    def describe(self) -> str:
        if self.kind is PeerKind.CIDR:
            return self.value
        if self.kind is PeerKind.GROUP:
            return f"group {self.value}" + (f" (account {self.owner})" if self.owner else "")
        return f"prefix list {self.value}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind.value, "value": self.value}
        if self.owner:
            out["owner"] = self.owner
        return out


@dataclass(frozen=True)
class Rule:
    """One rule of a security group.

    ``priority`` is None on AWS (no priorities, allow only). On Alibaba Cloud a lower number wins (1-100);
    on Tencent Cloud the rule's position (PolicyIndex, 0 first) is its priority. ``rule_id`` is the
    provider's own ID when it has one (AWS ``sgr-``, Alibaba ``SecurityGroupRuleId``); it is not part of
    the rule's identity (:meth:`key`).
    """

    direction: Direction
    protocol: str
    port_from: int
    port_to: int
    peer: Peer
    action: Action = Action.ALLOW
    priority: int | None = None
    description: str = ""
    rule_id: str | None = None

    def __post_init__(self) -> None:
        if self.protocol not in PROTOCOLS and not _OTHER_PROTOCOL.fullmatch(self.protocol):
            raise ValueError(f"unknown protocol {self.protocol!r} (expected one of: {', '.join(PROTOCOLS)})")
        if not 0 <= self.port_from <= self.port_to <= 65535:
            raise ValueError(f"bad port range {self.port_from}-{self.port_to}")

    @classmethod
    def ingress(
        cls,
        protocol: str,
        ports: int | tuple[int, int],
        peer: Peer,
        *,
        description: str = "",
        action: Action = Action.ALLOW,
        priority: int | None = None,
    ) -> Rule:
        low, high = (ports, ports) if isinstance(ports, int) else ports
        return cls(Direction.INGRESS, protocol, low, high, peer, action, priority, description)

    @property
    def managed(self) -> bool:
        """True when fix502 added the rule (its description carries :data:`MANAGED_MARK`)."""
        return MANAGED_MARK in (self.description or "")

    @property
    def all_ports(self) -> bool:
        return (self.port_from, self.port_to) == ALL_PORTS

    def covers(self, protocol: str, port: int) -> bool:
        """Whether this rule matches traffic of ``protocol`` to ``port``."""
        if self.protocol != "all" and self.protocol != protocol:
            return False
        if self.protocol not in ("tcp", "udp", "all"):
            return True
        return self.port_from <= port <= self.port_to

    def key(self) -> tuple[Any, ...]:
        """What makes two rules the same rule (description and provider IDs excluded)."""
        return (
            self.direction.value,
            self.action.value,
            self.priority,
            self.protocol,
            self.port_from,
            self.port_to,
            self.peer.kind.value,
            self.peer.value,
        )

    def same_as(self, other: Rule) -> bool:
        """Same traffic, same peer, same action; priority compared only when both have one."""
        mine, theirs = self.key(), other.key()
        if self.priority is None or other.priority is None:
            mine, theirs = mine[:2] + mine[3:], theirs[:2] + theirs[3:]
        return mine == theirs

    def with_description(self, description: str) -> Rule:
        return replace(self, description=description)

    def ports_text(self) -> str:
        if self.protocol not in ("tcp", "udp", "all"):
            return ""
        if self.all_ports:
            return "all ports"
        if self.port_from == self.port_to:
            return str(self.port_from)
        return f"{self.port_from}-{self.port_to}"

    def describe(self) -> str:
        """One line: ``ingress allow tcp 443 from 0.0.0.0/0 (priority 1)``."""
        where = "from" if self.direction is Direction.INGRESS else "to"
        ports = self.ports_text()
        text = f"{self.direction.value} {self.action.value} {self.protocol}"
        if ports:
            text += f" {ports}"
        text += f" {where} {self.peer.describe()}"
        if self.priority is not None:
            text += f" (priority {self.priority})"
        return text

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "direction": self.direction.value,
            "action": self.action.value,
            "protocol": self.protocol,
            "port_from": self.port_from,
            "port_to": self.port_to,
            "peer": self.peer.to_dict(),
            "description": self.description,
        }
        if self.priority is not None:
            out["priority"] = self.priority
        if self.rule_id:
            out["rule_id"] = self.rule_id
        return out


@dataclass(frozen=True)
class SecurityGroup:
    provider: str
    account: str
    region: str
    group_id: str
    name: str = ""
    vpc: str | None = None
    rules: tuple[Rule, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()
    description: str = ""

    @property
    def ingress(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.direction is Direction.INGRESS)

    @property
    def egress(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.direction is Direction.EGRESS)

    @property
    def tag_map(self) -> dict[str, str]:
        return dict(self.tags)

    @property
    def where(self) -> str:
        """``aws:123456789012/eu-west-1``."""
        return f"{self.provider}:{self.account}/{self.region}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "account": self.account,
            "region": self.region,
            "group_id": self.group_id,
            "name": self.name,
            "vpc": self.vpc,
            "tags": dict(self.tags),
            "rules": [r.to_dict() for r in self.rules],
        }


@dataclass(frozen=True)
class Instance:
    """A virtual machine and the groups attached to it (for tier discovery)."""

    provider: str
    account: str
    region: str
    instance_id: str
    group_ids: tuple[str, ...]
    name: str = ""
    vpc: str | None = None
    private_ips: tuple[str, ...] = ()
    public_ips: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()
    state: str = ""

    @property
    def tag_map(self) -> dict[str, str]:
        return dict(self.tags)


@dataclass(frozen=True)
class Target:
    target_id: str
    port: int | None
    health: str  # healthy, unhealthy, initial, draining, unused, unavailable
    reason: str = ""
    description: str = ""


@dataclass(frozen=True)
class TargetGroup:
    target_group_id: str  # the ARN on AWS
    name: str
    protocol: str  # HTTP, HTTPS, TCP, ...
    port: int | None
    health_check_protocol: str
    health_check_port: str  # "traffic-port" or a number
    health_check_path: str = ""
    targets: tuple[Target, ...] = ()
    load_balancer_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoadBalancer:
    provider: str
    account: str
    region: str
    load_balancer_id: str  # the ARN on AWS
    name: str
    kind: str  # application, network, gateway
    scheme: str = ""
    vpc: str | None = None
    group_ids: tuple[str, ...] = ()
    idle_timeout: int | None = None  # seconds, ALB only
    target_groups: tuple[TargetGroup, ...] = ()


@dataclass
class CallStats:
    """API calls a provider made, throttling retries, and the calls it gave up on."""

    calls: int = 0
    retries: int = 0
    by_operation: dict[str, int] = field(default_factory=dict)
    gave_up: list[str] = field(default_factory=list)

    def count(self, operation: str) -> None:
        self.calls += 1
        self.by_operation[operation] = self.by_operation.get(operation, 0) + 1


@dataclass(frozen=True)
class Change:
    """What ensure_ingress/revoke_ingress did, or would do in check mode.

    ``before``/``after`` are the group's ingress rules, one :meth:`Rule.describe` line each, sorted;
    :meth:`diff` gives them in Ansible's diff shape.
    """

    changed: bool
    group_id: str
    rule: Rule
    before: tuple[str, ...]
    after: tuple[str, ...]
    check_mode: bool = False
    message: str = ""

    def diff(self) -> dict[str, str]:
        return {
            "before_header": f"{self.group_id} (ingress)",
            "after_header": f"{self.group_id} (ingress)",
            "before": "".join(line + "\n" for line in self.before),
            "after": "".join(line + "\n" for line in self.after),
        }


def rule_lines(rules: tuple[Rule, ...] | list[Rule]) -> tuple[str, ...]:
    return tuple(sorted(r.describe() for r in rules))
