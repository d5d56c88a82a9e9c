"""What the firewall evaluator works with: a packet, the rules it meets, and what became of it."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Literal, Protocol

Verdict = Literal["accept", "drop", "reject", "unknown"]
BLOCKED: tuple[Verdict, ...] = ("drop", "reject")
ActionKind = Literal["accept", "drop", "reject", "return", "jump", "goto", "continue", "unknown"]

# The source port of a client's connection: an ephemeral one, somewhere in this range.
EPHEMERAL_PORTS = (1024, 65535)


@dataclass(frozen=True)
class Packet:
    """The first packet (SYN) of a TCP connection coming into this host.

    ``dst`` is the host's own address it is sent to, None when it is not known (a rule on the
    destination address then cannot be told). ``local_src``: the source is one of the host's own
    addresses (a connection over loopback). ``mark``: the packet's (and its connection's) mark, 0 when
    no rule of the host sets marks, None when one does (a match on the mark then cannot be told).
    """

    family: int
    src: str
    dport: int
    iif: str
    dst: str | None = None
    local_src: bool = False
    mark: int | None = None

    @property
    def src_ip(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
        return ipaddress.ip_address(self.src)

    @property
    def dst_ip(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        return ipaddress.ip_address(self.dst) if self.dst else None

    def describe(self) -> str:
        where = f" on {self.iif}" if self.iif == "lo" else ""
        return f"TCP to port {self.dport} from {self.src}{where}"


@dataclass(frozen=True)
class RuleRef:
    """Where a verdict comes from: one rule, or a base chain's policy (``index`` None)."""

    source: Literal["iptables", "nft"]
    family: str  # nft: ip, ip6, inet, netdev; iptables: ipv4 or ipv6
    table: str
    chain: str
    text: str
    index: int | None = None  # 0-based position in its chain
    handle: int | None = None  # nft's rule handle
    backend: str | None = None  # iptables: nf_tables or legacy
    comment: str | None = None

    @property
    def is_policy(self) -> bool:
        return self.index is None

    def where(self) -> str:
        if self.source == "iptables":
            command = "ip6tables" if self.family == "ipv6" else "iptables"
            backend = f" ({self.backend})" if self.backend else ""
            return f"{command}{backend} table {self.table} chain {self.chain}"
        handle = f" handle {self.handle}" if self.handle is not None else ""
        return f"nft table {self.family} {self.table} chain {self.chain}{handle}"

    def describe(self) -> str:
        return f"{self.where()}: {self.text}"


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    target: str | None = None
    detail: str = ""


CONTINUE = Action("continue")


@dataclass(frozen=True)
class Outcome:
    """What one base chain (or the whole host) does with the packet, and the rule that decided."""

    verdict: Verdict
    rule: RuleRef | None
    reason: str = ""
    path: tuple[str, ...] = ()

    @property
    def blocked(self) -> bool:
        return self.verdict in BLOCKED


class Rule(Protocol):
    ref: RuleRef

    def judge(self, packet: Packet) -> tuple[bool | None, str, Action]:
        """(matches, why it cannot tell when matches is None, the action when it matches)."""
        ...


@dataclass
class Chain:
    name: str
    rules: list[Rule] = field(default_factory=list)
    policy: str | None = None  # base chains: accept or drop
    policy_ref: RuleRef | None = None


@dataclass
class FilterPoint:
    """One base chain the packet meets on its way in, with the chains it can jump to."""

    label: str
    hook: str  # ingress, prerouting, input
    priority: int
    base: str
    chains: dict[str, Chain]
    owner: str  # iptables or nft
    unreadable: str = ""  # why its rules cannot be trusted (a cut listing): every verdict is unknown
    family: str = ""
    table: str = ""
    device: str | None = None  # netdev ingress: the device it is attached to

    def applies_to(self, packet: Packet) -> bool:
        if self.family in ("ip", "ipv4"):
            return packet.family == 4
        if self.family in ("ip6", "ipv6"):
            return packet.family == 6
        if self.device is not None:
            return self.device == packet.iif
        return True
