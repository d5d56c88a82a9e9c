"""iptables rules as ``iptables-save`` prints them (either backend), and what they do with a packet.

Matches understood: ``-s``, ``-d``, ``-i``, ``-o``, ``-p``, ``-f`` (each may be negated with ``!``),
and the modules tcp/udp (``--dport``, ``--sport``, ``--tcp-flags``, ``--syn``), multiport, conntrack
and state (``--ctstate``/``--state``), comment, addrtype, iprange, pkttype, icmp, and mark/connmark
(known when no rule sets marks). Any other match (limit, set, recent, ...) cannot be told: the
engine follows the rule both ways. Targets: ACCEPT, DROP, REJECT, RETURN, a user chain (``-j`` jump,
``-g`` goto), and the non-terminating ones (LOG, NFLOG, MARK, CT, ...) that let the packet go on.
"""

from __future__ import annotations

import ipaddress
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field

from fix502.firewall.model import (
    CONTINUE,
    EPHEMERAL_PORTS,
    Action,
    Chain,
    FilterPoint,
    Packet,
    RuleRef,
)

# (hook, priority) of the built-in chains that filter packets coming into the host.
BASE_CHAINS: dict[tuple[str, str], tuple[str, int]] = {
    ("raw", "PREROUTING"): ("prerouting", -300),
    ("mangle", "PREROUTING"): ("prerouting", -150),
    ("mangle", "INPUT"): ("input", -150),
    ("filter", "INPUT"): ("input", 0),
    ("security", "INPUT"): ("input", 50),
}
NON_TERMINATING = {
    "LOG",
    "NFLOG",
    "ULOG",
    "TRACE",
    "MARK",
    "CONNMARK",
    "CT",
    "NOTRACK",
    "TCPMSS",
    "DSCP",
    "TOS",
    "CLASSIFY",
    "SET",
    "AUDIT",
    "CHECKSUM",
    "TTL",
    "HL",
    "CONNSECMARK",
    "SECMARK",
    "LED",
    "IDLETIMER",
    "TEE",
    "RATEEST",
}
TCP_FLAGS = {"FIN": 1, "SYN": 2, "RST": 4, "PSH": 8, "ACK": 16, "URG": 32, "ECE": 64, "CWR": 128}
SYN_ONLY = TCP_FLAGS["SYN"]
# Options of the modules understood, with how many values each takes.
_MODULE_OPTIONS: dict[str, dict[str, int]] = {
    "tcp": {
        "--dport": 1,
        "--destination-port": 1,
        "--sport": 1,
        "--source-port": 1,
        "--tcp-flags": 2,
        "--syn": 0,
    },
    "udp": {"--dport": 1, "--destination-port": 1, "--sport": 1, "--source-port": 1},
    "multiport": {
        "--dports": 1,
        "--destination-ports": 1,
        "--sports": 1,
        "--source-ports": 1,
        "--ports": 1,
    },
    "conntrack": {"--ctstate": 1},
    "state": {"--state": 1},
    "comment": {"--comment": 1},
    "addrtype": {"--src-type": 1, "--dst-type": 1, "--limit-iface-in": 0, "--limit-iface-out": 0},
    "iprange": {"--src-range": 1, "--dst-range": 1},
    "pkttype": {"--pkt-type": 1},
    "icmp": {"--icmp-type": 1},
    "mark": {"--mark": 1},
    "connmark": {"--mark": 1},
    "icmp6": {"--icmpv6-type": 1},
}
_GENERIC = {
    "-s": "src",
    "--source": "src",
    "--src": "src",
    "-d": "dst",
    "--destination": "dst",
    "--dst": "dst",
    "-i": "iif",
    "--in-interface": "iif",
    "-o": "oif",
    "--out-interface": "oif",
    "-p": "proto",
    "--protocol": "proto",
}
TCP_NAMES = ("tcp", "6", "all", "0")


class ParseError(ValueError):
    """A line of iptables-save output that is not a rule, chain or table line."""


@dataclass(frozen=True)
class Cond:
    """One match of a rule: its kind, its values, and whether it is negated."""

    kind: str
    values: tuple[str, ...]
    negated: bool = False

    def text(self) -> str:
        return f"{'! ' if self.negated else ''}{self.kind} {' '.join(self.values)}".strip()


@dataclass
class IptRule:
    ref: RuleRef
    conds: list[Cond]
    target: str | None
    goto: bool
    target_options: dict[str, str]
    chains: set[str]

    def judge(self, packet: Packet) -> tuple[bool | None, str, Action]:
        unknown = ""
        for cond in self.conds:
            result = _match(cond, packet)
            if result is None:
                if not unknown:
                    unknown = f"`{cond.text()}` matches"
                continue
            if result == cond.negated:
                return False, "", CONTINUE
        return (None if unknown else True), unknown, self.action()

    def action(self) -> Action:
        target = self.target
        if target is None:
            return CONTINUE
        if target in ("ACCEPT", "DROP"):
            return Action("accept" if target == "ACCEPT" else "drop")
        if target == "REJECT":
            return Action("reject", detail=self.target_options.get("--reject-with", "icmp-port-unreachable"))
        if target == "RETURN":
            return Action("return")
        if target in self.chains:
            return Action("goto" if self.goto else "jump", target=target)
        if target in NON_TERMINATING:
            return CONTINUE
        return Action("unknown", detail=f"target {target} is not one fix502 follows")


@dataclass
class Table:
    name: str
    chains: dict[str, Chain] = field(default_factory=dict)


def parse_save(text: str, family: int, backend: str | None) -> dict[str, Table]:
    """The tables of one ``iptables-save`` output. Raises ParseError naming the line."""
    tables: dict[str, Table] = {}
    table: Table | None = None
    pending: list[tuple[int, str]] = []
    family_name = "ipv6" if family == 6 else "ipv4"
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("*"):
            table = tables.setdefault(line[1:], Table(line[1:]))
            pending = []
            continue
        if table is None:
            raise ParseError(f"line {number}: {line[:80]!r} outside a table")
        if line == "COMMIT":
            _add_rules(table, pending, family_name, backend)
            table = None
            continue
        if line.startswith(":"):
            words = line[1:].split()
            if not words:
                raise ParseError(f"line {number}: a chain line without a name")
            name = words[0]
            policy = words[1] if len(words) > 1 and words[1] != "-" else None
            chain = Chain(name, policy=policy.lower() if policy else None)
            if policy:
                chain.policy_ref = RuleRef(
                    "iptables", family_name, table.name, name, f"-P {name} {policy}", backend=backend
                )
            table.chains[name] = chain
            continue
        if line.startswith(("-A ", "--append ")):
            pending.append((number, line))
            continue
        raise ParseError(f"line {number}: {line[:80]!r} is not a rule, chain or table line")
    if table is not None:
        _add_rules(table, pending, family_name, backend)
    return tables


def _add_rules(table: Table, lines: list[tuple[int, str]], family: str, backend: str | None) -> None:
    names = set(table.chains)
    for number, line in lines:
        try:
            words = shlex.split(line)
        except ValueError as exc:
            raise ParseError(f"line {number}: {exc}") from None
        if len(words) < 2:
            raise ParseError(f"line {number}: a rule without a chain")
        chain = table.chains.setdefault(words[1], Chain(words[1]))
        names.add(words[1])
        rule = _parse_rule(words[2:], number)
        ref = RuleRef(
            "iptables",
            family,
            table.name,
            words[1],
            line,
            index=len(chain.rules),
            backend=backend,
            comment=rule.target_options.get("comment"),
        )
        rule.ref = ref
        rule.chains = names
        chain.rules.append(rule)


def _parse_rule(words: list[str], number: int) -> IptRule:
    conds: list[Cond] = []
    target: str | None = None
    goto = False
    options: dict[str, str] = {}
    module: str | None = None
    negate = False
    index = 0

    def values_after(start: int, count: int | None) -> tuple[tuple[str, ...], int]:
        if count is not None:
            return tuple(words[start : start + count]), start + count
        end = start
        while end < len(words) and not words[end].startswith("-") and words[end] != "!":
            end += 1
        return tuple(words[start:end]), end

    while index < len(words):
        word = words[index]
        if word == "!":
            negate = True
            index += 1
            continue
        if word.startswith("[") and word.endswith("]"):
            index += 1  # counters of iptables-save -c
            continue
        if word in ("-c", "--set-counters"):
            index += 3
            continue
        if word in _GENERIC:
            values, index = values_after(index + 1, 1)
            conds.append(Cond(_GENERIC[word], values, negate))
        elif word in ("-f", "--fragment"):
            conds.append(Cond("fragment", (), negate))
            index += 1
        elif word in ("-m", "--match"):
            module = words[index + 1] if index + 1 < len(words) else ""
            index += 2
        elif word in ("-j", "--jump", "-g", "--goto"):
            target = words[index + 1] if index + 1 < len(words) else None
            goto = word in ("-g", "--goto")
            index += 2
            while index < len(words) and words[index].startswith("--"):
                name = words[index]
                values, index = values_after(index + 1, None)
                options[name] = " ".join(values)
            module = None
        elif word.startswith("--") and module is not None:
            known = _MODULE_OPTIONS.get(module)
            if known is not None and word in known:
                values, index = values_after(index + 1, known[word])
                if module == "comment":
                    options["comment"] = values[0] if values else ""
                else:
                    conds.append(Cond(f"{module} {word}", values, negate))
            else:
                values, index = values_after(index + 1, None)
                conds.append(Cond(f"-m {module} {word}", values, negate))
        else:
            raise ParseError(f"line {number}: cannot read {word!r} in {' '.join(words)[:120]!r}")
        negate = False
    return IptRule(
        ref=RuleRef("iptables", "", "", "", ""),
        conds=conds,
        target=target,
        goto=goto,
        target_options=options,
        chains=set(),
    )


def _in_ports(spec: str, port: int) -> bool:
    for part in spec.split(","):
        low, _, high = part.partition(":")
        start = int(low) if low else 0
        end = int(high) if high else (65535 if ":" in part else start)
        if start <= port <= end:
            return True
    return False


def _port_set(spec: str) -> list[tuple[int, int]]:
    ranges = []
    for part in spec.split(","):
        low, _, high = part.partition(":")
        start = int(low) if low else 0
        end = int(high) if high else (65535 if ":" in part else start)
        ranges.append((start, end))
    return ranges


def source_port_match(ranges: list[tuple[int, int]]) -> bool | None:
    """Does a client's ephemeral source port fall in these ranges? None when it depends on the port."""
    low, high = EPHEMERAL_PORTS
    covered = [(max(a, low), min(b, high)) for a, b in ranges if b >= low and a <= high]
    if not covered:
        return False
    covered.sort()
    reach = low - 1
    for start, end in covered:
        if start > reach + 1:
            return None
        reach = max(reach, end)
    return True if reach >= high else None


def _in_network(value: str, address: str | None) -> bool | None:
    if address is None:
        return None
    try:
        network = ipaddress.ip_network(value, strict=False)
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if network.version != ip.version:
        return False
    return ip in network


def _in_range(value: str, address: str | None) -> bool | None:
    if address is None:
        return None
    low, _, high = value.partition("-")
    try:
        ip = ipaddress.ip_address(address)
        start = ipaddress.ip_address(low)
        end = ipaddress.ip_address(high or low)
    except ValueError:
        return None
    if start.version != ip.version:
        return False
    return int(start) <= int(ip) <= int(end)


def _iface(value: str, name: str) -> bool:
    if value.endswith("+"):
        return name.startswith(value[:-1])
    return name == value


def _addr_types(packet: Packet, which: str) -> set[str]:
    if which == "dst":
        return {"LOCAL"}
    return {"LOCAL"} if packet.local_src else {"UNICAST"}


def _ports(cond: Cond, packet: Packet) -> bool | None:
    option = cond.kind.split()[-1]
    spec = cond.values[0] if cond.values else ""
    if option in ("--dport", "--destination-port", "--dports", "--destination-ports"):
        return _in_ports(spec, packet.dport)
    if option in ("--sport", "--source-port", "--sports", "--source-ports"):
        return source_port_match(_port_set(spec))
    if option == "--ports":
        if _in_ports(spec, packet.dport):
            return True
        return source_port_match(_port_set(spec))
    return None


def _match_tcp(cond: Cond, packet: Packet) -> bool | None:
    option = cond.kind.split()[-1]
    if option == "--syn":
        return True
    if option == "--tcp-flags":
        if len(cond.values) != 2:
            return None
        mask = _flags(cond.values[0])
        want = _flags(cond.values[1])
        if mask is None or want is None:
            return None
        return (SYN_ONLY & mask) == want
    return _ports(cond, packet)


def _flags(text: str) -> int | None:
    if text == "ALL":
        return sum(TCP_FLAGS.values())
    if text == "NONE":
        return 0
    total = 0
    for name in text.split(","):
        if name not in TCP_FLAGS:
            return None
        total |= TCP_FLAGS[name]
    return total


def _match_state(cond: Cond, packet: Packet) -> bool | None:
    del packet
    states = {s.strip().upper() for s in (cond.values[0] if cond.values else "").split(",")}
    return "NEW" in states


def _match_addrtype(cond: Cond, packet: Packet) -> bool | None:
    option = cond.kind.split()[-1]
    if option.startswith("--limit-iface"):
        return True
    which = "src" if option == "--src-type" else "dst"
    wanted = {t.strip().upper() for t in (cond.values[0] if cond.values else "").split(",")}
    return bool(wanted & _addr_types(packet, which))


def _match_iprange(cond: Cond, packet: Packet) -> bool | None:
    value = cond.values[0] if cond.values else ""
    address = packet.src if cond.kind.endswith("--src-range") else packet.dst
    return _in_range(value, address)


def _match_pkttype(cond: Cond, packet: Packet) -> bool | None:
    del packet
    return (cond.values[0] if cond.values else "").lower() in ("unicast", "host")


def _match_mark(cond: Cond, packet: Packet) -> bool | None:
    if packet.mark is None or not cond.values:
        return None
    value, _, mask = cond.values[0].partition("/")
    try:
        wanted = int(value, 0)
        bits = int(mask, 0) if mask else 0xFFFFFFFF
    except ValueError:
        return None
    return (packet.mark & bits) == wanted


_MODULE_MATCHERS: dict[str, Callable[[Cond, Packet], bool | None]] = {
    "mark": _match_mark,
    "connmark": _match_mark,
    "tcp": _match_tcp,
    "udp": lambda cond, packet: False,
    "multiport": _ports,
    "conntrack": _match_state,
    "state": _match_state,
    "addrtype": _match_addrtype,
    "iprange": _match_iprange,
    "pkttype": _match_pkttype,
    "icmp": lambda cond, packet: False,
    "icmp6": lambda cond, packet: False,
}


def _match(cond: Cond, packet: Packet) -> bool | None:
    """Whether the packet meets the match, before negation; None when it cannot be told."""
    kind = cond.kind
    value = cond.values[0] if cond.values else ""
    if kind == "src":
        return _in_network(value, packet.src)
    if kind == "dst":
        return _in_network(value, packet.dst)
    if kind == "iif":
        return _iface(value, packet.iif)
    if kind == "oif":
        return False  # a packet coming in has no output interface yet
    if kind == "proto":
        return value.lower() in TCP_NAMES
    if kind == "fragment":
        return False
    module = kind.split()[0]
    matcher = _MODULE_MATCHERS.get(module)
    if matcher is None:
        return None
    return matcher(cond, packet)


def filter_points(
    tables: dict[str, Table], family: int, backend: str | None, label: str, unreadable: str = ""
) -> list[FilterPoint]:
    points = []
    for (table_name, chain_name), (hook, priority) in BASE_CHAINS.items():
        table = tables.get(table_name)
        if table is None or chain_name not in table.chains:
            continue
        points.append(
            FilterPoint(
                label=f"{label} table {table_name} chain {chain_name}",
                hook=hook,
                priority=priority,
                base=chain_name,
                chains=table.chains,
                owner="iptables",
                unreadable=unreadable,
                family="ipv6" if family == 6 else "ipv4",
                table=table_name,
            )
        )
    return points


def chain_names(tables: dict[str, Table]) -> set[tuple[str, str]]:
    return {(t.name, c) for t in tables.values() for c in t.chains}


def sets_marks(tables: dict[str, Table]) -> bool:
    """Whether a rule of any table sets a packet's or a connection's mark."""
    for table in tables.values():
        for chain in table.chains.values():
            for rule in chain.rules:
                if isinstance(rule, IptRule) and rule.target in ("MARK", "CONNMARK"):
                    return True
    return False


def has_rules(tables: dict[str, Table]) -> bool:
    """Anything that filters: a rule, or a built-in chain whose policy is not ACCEPT."""
    for table in tables.values():
        for chain in table.chains.values():
            if chain.rules or (chain.policy and chain.policy != "accept"):
                return True
    return False
