"""A host's whole firewall, from what the collector read: every base chain a packet coming in meets.

The packet is accepted only when every base chain on its way accepts it (an accept in one chain
hands it to the next; a drop or reject anywhere is final). Legacy iptables and nftables (with
iptables' nf_tables backend, whose tables are read from ``iptables-save`` rather than from nft's
listing) are all followed. ufw and firewalld write their rules into iptables or nftables, so
their rules are followed there; which tool manages a rule decides how it is fixed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from fix502.firewall import iptables, nft
from fix502.firewall.engine import evaluate_point
from fix502.firewall.model import FilterPoint, Outcome, Packet, RuleRef, Verdict

# ufw chains in which a rule added with `ufw allow` (or inserted before a user rule) lets the
# packet through; a drop decided elsewhere (ufw-before-input, ufw-not-local) is not ufw's to fix.
UFW_FIXABLE_CHAINS = (
    "ufw-user-input",
    "ufw-after-input",
    "ufw-after-logging-input",
    "ufw-reject-input",
    "ufw-skip-to-policy-input",
    "ufw-track-input",
)
_OWNER_ORDER = {"iptables": 0, "nft": 1}


@dataclass(frozen=True)
class Stop:
    """One base chain that does not let the packet through, and the outcome there."""

    point: FilterPoint
    outcome: Outcome


@dataclass
class Decision:
    """What the host's firewall does with one packet."""

    packet: Packet
    verdict: Verdict
    stops: list[Stop] = field(default_factory=list)  # the chains that drop or reject it
    unknown: list[Stop] = field(default_factory=list)  # the chains whose verdict cannot be told

    @property
    def first(self) -> Stop | None:
        if self.stops:
            return self.stops[0]
        return self.unknown[0] if self.unknown else None


@dataclass
class IptDump:
    command: str
    family: int
    backend: str
    tables: dict[str, iptables.Table]
    binary: str


@dataclass
class HostFirewall:
    points: list[FilterPoint]
    dumps: list[IptDump]
    nft_tables: list[nft.NftTable]
    ufw_status: str | None = None
    ufw_user_rules: dict[int, str] = field(default_factory=dict)
    firewalld_state: str | None = None
    firewalld_zone: str | None = None
    interfaces: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @classmethod
    def from_collected(cls, facts: dict[str, Any]) -> HostFirewall:
        """The firewall from ``collected["firewall"]``. What cannot be read makes its verdicts unknown."""
        points: list[FilterPoint] = []
        dumps: list[IptDump] = []
        problems: list[str] = []
        covered: set[tuple[str, str]] = set()
        for entry in facts.get("iptables") or []:
            family = 6 if entry.get("family") == 6 else 4
            backend = str(entry.get("backend") or "legacy")
            command = str(entry.get("command") or ("ip6tables-save" if family == 6 else "iptables-save"))
            binary = command.removesuffix("-save")
            unreadable = ""
            try:
                tables = iptables.parse_save(str(entry.get("text") or ""), family, backend)
            except iptables.ParseError as exc:
                problems.append(f"{command}: {exc}")
                points.append(_unreadable(command, f"{command} output cannot be read: {exc}", family))
                continue
            if entry.get("truncated"):
                unreadable = f"the output of {command} was cut short, so its rules are incomplete"
            dumps.append(IptDump(command, family, backend, tables, binary))
            points.extend(iptables.filter_points(tables, family, backend, binary, unreadable))
            if backend == "nf_tables":
                covered.update((("ip6" if family == 6 else "ip"), name) for name in tables)
        nft_facts = facts.get("nft") or {}
        nft_tables: list[nft.NftTable] = []
        ruleset = nft_facts.get("ruleset")
        if ruleset is not None:
            try:
                nft_tables = [t for t in nft.parse_ruleset(ruleset) if (t.family, t.name) not in covered]
            except nft.NftError as exc:
                problems.append(f"nft -j list ruleset: {exc}")
                points.append(_unreadable("nft", f"nft's listing cannot be read: {exc}", 0))
            for table in nft_tables:
                points.extend(nft.filter_points(table))
        elif nft_facts.get("binary"):
            why = "was cut short" if nft_facts.get("truncated") else "could not be read"
            points.append(_unreadable("nft", f"nft's ruleset {why}", 0))
        points.sort(key=lambda p: (nft.HOOK_ORDER.get(p.hook, 9), p.priority, _OWNER_ORDER.get(p.owner, 9)))
        ufw = facts.get("ufw") or {}
        firewalld = facts.get("firewalld") or {}
        user_rules = {4: ufw.get("user_rules"), 6: ufw.get("user6_rules")}
        return cls(
            points=points,
            dumps=dumps,
            nft_tables=nft_tables,
            ufw_status=ufw.get("status"),
            ufw_user_rules={k: str(v) for k, v in user_rules.items() if v},
            firewalld_state=firewalld.get("state"),
            firewalld_zone=firewalld.get("default_zone"),
            interfaces=[str(i) for i in facts.get("interfaces") or []],
            problems=problems,
        )

    @property
    def ufw_active(self) -> bool:
        return self.ufw_status == "active"

    @property
    def firewalld_running(self) -> bool:
        return self.firewalld_state == "running"

    @property
    def marks_set(self) -> bool:
        """Whether any rule sets marks: otherwise every packet's mark is 0, and a match on it is known."""
        return (
            any(iptables.sets_marks(d.tables) for d in self.dumps)
            or any(nft.sets_marks(t) for t in self.nft_tables)
            or any(p.unreadable for p in self.points)
        )

    def evaluate(self, packet: Packet) -> Decision:
        packet = replace(packet, mark=None if self.marks_set else 0)
        decision = Decision(packet, "accept")
        for point in self.points:
            if not point.applies_to(packet):
                continue
            outcome = evaluate_point(point, packet)
            if outcome.blocked:
                decision.stops.append(Stop(point, outcome))
            elif outcome.verdict == "unknown":
                decision.unknown.append(Stop(point, outcome))
        if decision.stops:
            decision.verdict = decision.stops[0].outcome.verdict
        elif decision.unknown:
            decision.verdict = "unknown"
        return decision

    def tool(self) -> str:
        """The tool the host manages its firewall with: ufw or firewalld when active, else nft or
        iptables (the one that has rules), else none."""
        if self.firewalld_running:
            return "firewalld"
        if self.ufw_active:
            return "ufw"
        if any(nft.table_has_filter(t) for t in self.nft_tables):
            return "nft"
        if any(iptables.has_rules(d.tables) for d in self.dumps):
            return "iptables"
        return "none"

    def owner(self, ref: RuleRef) -> str:
        """The tool that manages the chain a verdict comes from, the one a fix must use."""
        if ref.source == "nft":
            if self.firewalld_running and ref.table == "firewalld":
                return "firewalld"
            return "nft"
        if self.firewalld_running and _firewalld_chain(ref.chain):
            return "firewalld"
        if self.ufw_active and (ref.chain.startswith("ufw-") or ref.chain == "INPUT"):
            return "ufw"
        return "iptables"

    def binary(self, ref: RuleRef) -> str:
        """The iptables command of the backend the rule lives in (iptables-nft, iptables-legacy, ...)."""
        family = 6 if ref.family == "ipv6" else 4
        for dump in self.dumps:
            if dump.family == family and dump.backend == ref.backend:
                return dump.binary
        return "ip6tables" if family == 6 else "iptables"

    def mentioned_sources(self, family: int) -> list[str]:
        """Addresses inside every source network or range the rules name: the clients whose fate differs."""
        found: list[str] = []
        for text in self._source_values(family):
            for address in _inside(text):
                if address not in found:
                    found.append(address)
        return found

    def mentioned_interfaces(self) -> list[str]:
        names: list[str] = []
        for rule in self._ipt_rules(None):
            names.extend(c.values[0].replace("+", "0") for c in rule.conds if c.kind == "iif" and c.values)
        for nft_rule in self._nft_rules():
            names.extend(_nft_names(nft_rule.expr))
        return sorted({n for n in names if n and n != "lo"})

    def _ipt_rules(self, family: int | None) -> Iterable[iptables.IptRule]:
        for dump in self.dumps:
            if family is not None and dump.family != family:
                continue
            for table in dump.tables.values():
                for chain in table.chains.values():
                    yield from (r for r in chain.rules if isinstance(r, iptables.IptRule))

    def _nft_rules(self) -> Iterable[nft.NftRule]:
        for nft_table in self.nft_tables:
            for chain in nft_table.chains.values():
                yield from (r for r in chain.rules if isinstance(r, nft.NftRule))

    def _source_values(self, family: int) -> Iterable[str]:
        for rule in self._ipt_rules(family):
            for cond in rule.conds:
                if cond.kind == "src" or cond.kind.endswith("--src-range"):
                    yield from cond.values
        saddr = {"payload": {"protocol": "ip6" if family == 6 else "ip", "field": "saddr"}}
        for nft_rule in self._nft_rules():
            for statement in nft_rule.expr:
                body = statement.get("match") if isinstance(statement, dict) else None
                if isinstance(body, dict) and body.get("left") == saddr:
                    yield from _nft_addresses(body.get("right"), nft_rule.sets.by_name)


def _firewalld_chain(chain: str) -> bool:
    """A chain firewalld's iptables backend makes (INPUT_direct, INPUT_ZONES, IN_public_allow, ...)."""
    return chain.startswith(("INPUT_", "IN_", "PRE_", "PREROUTING_"))


def _unreadable(label: str, why: str, family: int) -> FilterPoint:
    return FilterPoint(
        label=label,
        hook="input",
        priority=0,
        base="",
        chains={},
        owner="nft" if label == "nft" else "iptables",
        unreadable=why,
        family={4: "ipv4", 6: "ipv6"}.get(family, ""),
    )


def _nft_addresses(right: Any, sets: dict[str, list[Any]]) -> Iterable[str]:
    if isinstance(right, str):
        if right.startswith("@"):
            for element in sets.get(right[1:], []):
                yield from _nft_addresses(element, sets)
        else:
            yield right
    elif isinstance(right, list):
        for element in right:
            yield from _nft_addresses(element, sets)
    elif isinstance(right, dict):
        if "set" in right:
            yield from _nft_addresses(right["set"], sets)
        elif "prefix" in right:
            yield f"{right['prefix'].get('addr')}/{right['prefix'].get('len')}"
        elif "range" in right and len(right["range"]) == 2:
            yield f"{right['range'][0]}-{right['range'][1]}"
        elif "elem" in right:
            yield from _nft_addresses(right["elem"].get("val"), sets)


def _nft_names(expr: list[Any]) -> list[str]:
    names = []
    for statement in expr:
        body = statement.get("match") if isinstance(statement, dict) else None
        if isinstance(body, dict) and body.get("left") in (
            {"meta": {"key": "iifname"}},
            {"meta": {"key": "iif"}},
        ):
            right = body.get("right")
            values = right.get("set", []) if isinstance(right, dict) else [right]
            for value in values:
                if isinstance(value, str) and not value.startswith("@"):
                    names.append(value.rstrip("*") + ("0" if value.endswith("*") else ""))
    return names


def _inside(text: str) -> list[str]:
    """The first and the last address of a network or range (its only one for a single address)."""
    try:
        if "-" in text:
            low, _, high = text.partition("-")
            start, end = ipaddress.ip_address(low), ipaddress.ip_address(high)
            return [str(start)] if start == end else [str(start), str(end)]
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return []
    if network.num_addresses <= 2:
        return [str(network.network_address)]
    return [str(network.network_address + 1), str(network.broadcast_address - 1)]


def ufw_rule_number(user_rules: dict[int, str], family: int, index: int) -> int | None:
    """The number ``ufw status numbered`` gives the rule that is the ``index``-th (0-based) rule of
    ufw-user-input, from ufw's own files: the ``### tuple ###`` line before each rule's lines."""
    text = user_rules.get(family)
    if text is None:
        return None
    tuples = 0
    seen = -1
    for line in text.splitlines():
        if line.startswith("### tuple ###"):
            tuples += 1
        elif line.startswith("-A ufw6-user-input " if family == 6 else "-A ufw-user-input "):
            seen += 1
            if seen == index:
                if family == 6:
                    v4 = sum(
                        1 for v in (user_rules.get(4) or "").splitlines() if v.startswith("### tuple ###")
                    )
                    return v4 + tuples
                return tuples
    return None
