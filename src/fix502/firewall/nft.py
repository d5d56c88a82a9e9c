"""nftables rules from ``nft -j list ruleset``, and what they do with a packet.

Base chains of type filter on the hooks a packet coming in meets (netdev/inet ingress, prerouting,
input) are followed in priority order. Matches understood: ip/ip6 saddr, daddr, protocol and
nexthdr; tcp and th dport, sport and flags (other transport headers do not match a TCP packet); meta
iifname, iif, oifname, oif, l4proto, nfproto, protocol, iiftype, pkttype, mark; ct state, status,
direction and mark (marks are known when no rule sets one); fib daddr/saddr type and the reverse-
path check; with ``==``, ``!=``, ``in``, comparisons, anonymous and named sets, ranges and prefixes.
Verdicts: accept, drop, reject, jump, goto, return, continue, and verdict maps (``vmap``). A rate
limit, a quota, an iptables extension (``xt``) or any other expression cannot be told: the engine
follows the rule both ways.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Any

from fix502.firewall.model import (
    CONTINUE,
    EPHEMERAL_PORTS,
    Action,
    Chain,
    FilterPoint,
    Packet,
    RuleRef,
)

_UNKNOWN = object()  # a value the evaluator cannot know
HOOK_ORDER = {"ingress": 0, "prerouting": 1, "input": 2}
TCP_FLAGS = {"fin": 1, "syn": 2, "rst": 4, "psh": 8, "ack": 16, "urg": 32, "ecn": 64, "cwr": 128}
_SERVICES = {"ssh": 22, "http": 80, "https": 443, "http-alt": 8080}
_OTHER_TRANSPORTS = ("udp", "udplite", "sctp", "dccp", "icmp", "icmpv6", "igmp", "esp", "ah", "comp")
_VERDICTS = ("accept", "drop", "reject", "jump", "goto", "return", "continue", "queue")
_SKIPPED_STATEMENTS = (
    "counter",
    "log",
    "mangle",
    "set",
    "map",
    "notrack",
    "ct helper",
    "ct timeout",
    "ct expectation",
    "secmark",
    "meter",
    "dnat",
    "snat",
    "masquerade",
    "redirect",
)


class NftError(ValueError):
    """The nft listing is not what ``nft -j list ruleset`` prints."""


@dataclass
class NftTable:
    family: str
    name: str
    chains: dict[str, Chain]
    base: list[dict[str, Any]]  # the base chains' own entries


@dataclass
class _Sets:
    """The named sets and maps of one table: their elements."""

    by_name: dict[str, list[Any]]

    def get(self, name: str) -> list[Any] | None:
        return self.by_name.get(name)


class NftRule:
    def __init__(self, ref: RuleRef, expr: list[dict[str, Any]], sets: _Sets) -> None:
        self.ref = ref
        self.expr = expr
        self.sets = sets

    def judge(self, packet: Packet) -> tuple[bool | None, str, Action]:
        unknown = ""
        for statement in self.expr:
            if not isinstance(statement, dict) or len(statement) != 1:
                return (
                    None,
                    f"`{_short(statement)}` matches",
                    Action("unknown", detail="an unreadable statement"),
                )
            (key, body), *_ = statement.items()
            if key == "match":
                result = self._match(body, packet)
                if result is False:
                    return False, "", CONTINUE
                if result is None and not unknown:
                    unknown = f"`{render_match(body)}` matches"
                continue
            if key in ("limit", "quota") or (key == "xt" and (body or {}).get("type") == "match"):
                if not unknown:
                    unknown = f"`{render_statement(statement)}` matches"
                continue
            if key == "vmap":
                action = self._vmap(body, packet)
                return (None if unknown else True), unknown, action
            if key in _VERDICTS:
                return (None if unknown else True), unknown, _verdict(key, body)
            if key == "xt":
                name = str((body or {}).get("name", ""))
                if name == "REJECT":
                    return (None if unknown else True), unknown, Action("reject", detail="REJECT")
                if name in ("LOG", "NFLOG", "MARK", "CONNMARK", "CT", "TRACE"):
                    continue
                return (
                    (None if unknown else True),
                    unknown,
                    Action("unknown", detail=f"iptables target {name} inside nft"),
                )
            if key in _SKIPPED_STATEMENTS or key in ("meta", "ct"):
                continue  # statements that change nothing about the verdict
            return (
                (None if unknown else True),
                unknown,
                Action("unknown", detail=f"the statement {key} is not one fix502 follows"),
            )
        return (None if unknown else True), unknown, CONTINUE

    def _match(self, body: dict[str, Any], packet: Packet) -> bool | None:
        op = body.get("op", "==")
        value = _value(body.get("left"), packet)
        if value is None:
            return False  # the expression's protocol is not this packet's: the rule does not apply
        if value is _UNKNOWN:
            return None
        right = body.get("right")
        if op in ("==", "in", "!="):
            found = self._contains(right, value)
            if found is None:
                return None
            return found if op != "!=" else not found
        if op in ("<", ">", "<=", ">="):
            if not isinstance(value, int) or not isinstance(right, int):
                return None
            return {
                "<": value < right,
                ">": value > right,
                "<=": value <= right,
                ">=": value >= right,
            }[op]
        return None

    def _contains(self, right: Any, value: Any) -> bool | None:
        """Whether the packet's value is (in) the right-hand side; None when it cannot be told."""
        if isinstance(right, str) and right.startswith("@"):
            elements = self.sets.get(right[1:])
            if elements is None:
                return None
            return _any(self._contains(element, value) for element in elements)
        if isinstance(right, list):
            if isinstance(value, _Flags):
                return value.matches_list(right)
            return _any(self._contains(element, value) for element in right)
        if isinstance(right, dict):
            if "set" in right:
                return self._contains(right["set"], value)
            if "elem" in right:
                return self._contains(right["elem"].get("val"), value)
            if "range" in right:
                low, high = right["range"]
                return _between(value, low, high)
            if "prefix" in right:
                return _in_prefix(value, right["prefix"])
            return None
        return _equal(value, right)

    def _vmap(self, body: dict[str, Any], packet: Packet) -> Action:
        value = _value(body.get("key"), packet)
        if value is None:
            return CONTINUE
        if value is _UNKNOWN:
            return Action("unknown", detail=f"cannot tell the key of `{render_statement({'vmap': body})}`")
        data = body.get("data")
        if isinstance(data, str) and data.startswith("@"):
            pairs = self.sets.get(data[1:])
        elif isinstance(data, dict) and "set" in data:
            pairs = data["set"]
        else:
            pairs = None
        if pairs is None:
            return Action("unknown", detail="a verdict map fix502 cannot read")
        for pair in pairs:
            if not isinstance(pair, list) or len(pair) != 2:
                return Action("unknown", detail="a verdict map fix502 cannot read")
            key, verdict = pair
            found = self._contains(key, value)
            if found is None:
                return Action("unknown", detail=f"cannot tell whether {_short(key)} is the key")
            if found and isinstance(verdict, dict) and len(verdict) == 1:
                (name, detail), *_ = verdict.items()
                return _verdict(name, detail)
        return CONTINUE


class _Flags:
    """A packet's flags (ct state, tcp flags) as a bit mask with names."""

    def __init__(self, names: dict[str, int], value: int) -> None:
        self.names = names
        self.value = value

    def bits(self, item: Any) -> int | None:
        if isinstance(item, int):
            return item
        if isinstance(item, str) and item in self.names:
            return self.names[item]
        if isinstance(item, list):
            total = 0
            for part in item:
                bit = self.bits(part)
                if bit is None:
                    return None
                total |= bit
            return total
        return None

    def matches_list(self, items: list[Any]) -> bool | None:
        """``ct state established,related``: the packet's flag is one of them."""
        bits = self.bits(items)
        if bits is None:
            return None
        return bool(self.value & bits) if self.value else bits == 0

    def masked(self, mask: Any) -> _Flags | None:
        bits = self.bits(mask)
        return None if bits is None else _Flags(self.names, self.value & bits)


_CT_STATES = {"invalid": 1, "established": 2, "related": 4, "new": 8, "untracked": 64}
_CT_STATUS = {
    "expected": 1,
    "seen-reply": 2,
    "assured": 4,
    "confirmed": 8,
    "snat": 16,
    "dnat": 32,
    "dying": 512,
}


def _value(expr: Any, packet: Packet) -> Any:
    """The packet's value for an expression; None when the expression's protocol is not the
    packet's (the rule then does not match), _UNKNOWN when it cannot be known."""
    if not isinstance(expr, dict) or len(expr) != 1:
        return _UNKNOWN
    (kind, body), *_ = expr.items()
    if kind == "payload" and isinstance(body, dict):
        return _payload(body.get("protocol"), body.get("field"), packet)
    if kind == "meta" and isinstance(body, dict):
        return _meta(str(body.get("key")), packet)
    if kind == "ct" and isinstance(body, dict) and "dir" not in body:
        key = body.get("key")
        if key == "state":
            return _Flags(_CT_STATES, _CT_STATES["new"])
        if key == "status":
            return _Flags(_CT_STATUS, 0)
        if key == "direction":
            return "original"
        if key == "l3proto":
            return "ipv4" if packet.family == 4 else "ipv6"
        if key in ("protocol", "proto"):
            return "tcp"
        if key == "mark":
            return _UNKNOWN if packet.mark is None else packet.mark
        return _UNKNOWN
    if kind == "fib" and isinstance(body, dict):
        return _fib(body, packet)
    if kind == "&" and isinstance(body, list) and len(body) == 2:
        inner = _value(body[0], packet)
        if isinstance(inner, _Flags):
            return inner.masked(body[1]) or _UNKNOWN
        if isinstance(inner, int) and isinstance(body[1], int):
            return inner & body[1]
        return inner if inner is None else _UNKNOWN
    return _UNKNOWN


def _payload(protocol: Any, field: Any, packet: Packet) -> Any:
    if protocol in ("ip", "ip6"):
        if (protocol == "ip") != (packet.family == 4):
            return None
        if field == "saddr":
            return packet.src_ip
        if field == "daddr":
            return packet.dst_ip if packet.dst else _UNKNOWN
        if field in ("protocol", "nexthdr"):
            return "tcp"
        if field == "version":
            return packet.family
        return _UNKNOWN
    if protocol in ("tcp", "th"):
        if field == "dport":
            return packet.dport
        if field == "sport":
            return _EphemeralPort()
        if field == "flags" and protocol == "tcp":
            return _Flags(TCP_FLAGS, TCP_FLAGS["syn"])
        return _UNKNOWN
    if protocol in _OTHER_TRANSPORTS:
        return None
    return _UNKNOWN


def _meta(key: str, packet: Packet) -> Any:
    if key in ("iifname", "iif"):
        return _Name(packet.iif)
    if key in ("oifname", "oif"):
        return _Name("")  # a packet coming in has no output interface yet
    if key == "l4proto":
        return "tcp"
    if key == "nfproto":
        return "ipv4" if packet.family == 4 else "ipv6"
    if key == "protocol":
        return "ip" if packet.family == 4 else "ip6"
    if key == "iiftype":
        return "loopback" if packet.iif == "lo" else _UNKNOWN
    if key == "pkttype":
        return "host"
    if key == "mark":
        return _UNKNOWN if packet.mark is None else packet.mark
    return _UNKNOWN


def _fib(body: dict[str, Any], packet: Packet) -> Any:
    flags = set(body.get("flags") or [])
    result = body.get("result")
    if result == "type":
        if "daddr" in flags:
            return "local"
        if "saddr" in flags:
            return "local" if packet.local_src else "unicast"
    if result in ("oif", "oifname") and "saddr" in flags:
        return _RouteFound()
    return _UNKNOWN


class _Name(str):
    """An interface name: nft's ``eth*`` in a rule matches every name with that prefix."""

    def equals(self, pattern: str) -> bool:
        if pattern.endswith("*") and not pattern.endswith("\\*"):
            return self.startswith(pattern[:-1])
        return str(self) == pattern


class _EphemeralPort:
    """A client's source port: somewhere in the ephemeral range."""


class _RouteFound:
    """fib saddr . iif oif: the source has a route back (the reverse-path check passes)."""


def _any(results: Any) -> bool | None:
    unknown = False
    for result in results:
        if result is True:
            return True
        if result is None:
            unknown = True
    return None if unknown else False


def _port(item: Any) -> int | None:
    if isinstance(item, int):
        return item
    if isinstance(item, str):
        if item.isdigit():
            return int(item)
        return _SERVICES.get(item)
    return None


def _equal(value: Any, right: Any) -> bool | None:
    if isinstance(value, _Name):
        return value.equals(right) if isinstance(right, str) else None
    if isinstance(value, _Flags):
        bits = value.bits(right)
        return None if bits is None else value.value == bits
    if isinstance(value, _RouteFound):
        if right is False or right == "missing":
            return False
        return None
    if isinstance(value, _EphemeralPort):
        port = _port(right)
        if port is None:
            return None
        return False if port < EPHEMERAL_PORTS[0] else None
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        try:
            return value == ipaddress.ip_address(right)
        except (ValueError, TypeError):
            return None
    if isinstance(value, int) and not isinstance(value, bool):
        port = _port(right)
        return None if port is None else value == port
    if isinstance(value, str):
        if isinstance(right, int):
            return right == 6 if value == "tcp" else None
        return value == right if isinstance(right, str) else None
    return None


def _between(value: Any, low: Any, high: Any) -> bool | None:
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        try:
            start, end = ipaddress.ip_address(low), ipaddress.ip_address(high)
        except (ValueError, TypeError):
            return None
        if start.version != value.version:
            return False
        return start <= value <= end  # type: ignore[operator]
    if isinstance(value, _EphemeralPort):
        start_port, end_port = _port(low), _port(high)
        if start_port is None or end_port is None:
            return None
        if end_port < EPHEMERAL_PORTS[0]:
            return False
        if start_port <= EPHEMERAL_PORTS[0] and end_port >= EPHEMERAL_PORTS[1]:
            return True
        return None
    if isinstance(value, int):
        start_port, end_port = _port(low), _port(high)
        if start_port is None or end_port is None:
            return None
        return start_port <= value <= end_port
    return None


def _in_prefix(value: Any, prefix: Any) -> bool | None:
    if not isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address) or not isinstance(prefix, dict):
        return None
    try:
        network = ipaddress.ip_network(f"{prefix['addr']}/{prefix['len']}", strict=False)
    except (KeyError, ValueError):
        return None
    if network.version != value.version:
        return False
    return value in network


def _verdict(name: str, body: Any) -> Action:
    if name in ("accept", "drop", "continue", "return"):
        return Action(name)  # type: ignore[arg-type]
    if name == "reject":
        detail = "icmp port-unreachable"
        if isinstance(body, dict):
            detail = " ".join(str(v) for v in (body.get("type"), body.get("expr")) if v)
        return Action("reject", detail=detail)
    if name in ("jump", "goto") and isinstance(body, dict):
        return Action(name, target=str(body.get("target")))  # type: ignore[arg-type]
    return Action("unknown", detail=f"verdict {name} is not one fix502 follows")


def _short(item: Any) -> str:
    text = json.dumps(item, separators=(",", ":"))
    return text if len(text) <= 120 else text[:117] + "..."


def render_value(value: Any) -> str:
    if isinstance(value, dict):
        if "set" in value:
            return "{ " + ", ".join(render_value(v) for v in value["set"]) + " }"
        if "range" in value:
            return "-".join(render_value(v) for v in value["range"])
        if "prefix" in value:
            return f"{value['prefix'].get('addr')}/{value['prefix'].get('len')}"
        if "elem" in value:
            return render_value(value["elem"].get("val"))
        if "payload" in value:
            body = value["payload"]
            return f"{body.get('protocol')} {body.get('field')}"
        if "meta" in value:
            key = value["meta"].get("key")
            return (
                str(key)
                if key in ("iifname", "oifname", "iif", "oif", "l4proto", "nfproto")
                else f"meta {key}"
            )
        if "ct" in value:
            return f"ct {value['ct'].get('key')}"
        if "fib" in value:
            body = value["fib"]
            return f"fib {' . '.join(body.get('flags') or [])} {body.get('result')}"
        if "&" in value and isinstance(value["&"], list) and len(value["&"]) == 2:
            return f"{render_value(value['&'][0])} & {render_value(value['&'][1])}"
        return _short(value)
    if isinstance(value, list):
        return ",".join(render_value(v) for v in value)
    if isinstance(value, str):
        if value.startswith("@") or value.replace(".", "").replace(":", "").isalnum():
            return value
        return json.dumps(value)
    return json.dumps(value)


def render_match(body: dict[str, Any]) -> str:
    left = render_value(body.get("left"))
    right = body.get("right")
    if isinstance(left, str) and left in ("iifname", "oifname", "iif", "oif") and isinstance(right, str):
        right_text = json.dumps(right)
    else:
        right_text = render_value(right)
    op = body.get("op", "==")
    return f"{left} {right_text}" if op in ("==", "in") else f"{left} {op} {right_text}"


def render_statement(statement: dict[str, Any]) -> str:
    (key, body), *_ = statement.items()
    if key == "match":
        return render_match(body)
    if key in ("accept", "drop", "return", "continue"):
        return key
    if key in ("jump", "goto"):
        return f"{key} {body.get('target')}"
    if key == "reject":
        if isinstance(body, dict) and body.get("type"):
            extra = f" {body['expr']}" if body.get("expr") else ""
            return f"reject with {body['type']}{extra}"
        return "reject"
    if key == "vmap":
        data = body.get("data")
        pairs = (
            data
            if isinstance(data, str)
            else "{ "
            + ", ".join(
                f"{render_value(k)} : {render_statement(v) if isinstance(v, dict) else v}"
                for k, v in (data.get("set") or [])
            )
            + " }"
        )
        return f"{render_value(body.get('key'))} vmap {pairs}"
    if key == "counter":
        return "counter"
    if key == "log":
        prefix = (body or {}).get("prefix")
        return f"log prefix {json.dumps(prefix)}" if prefix else "log"
    if key == "limit":
        return f"limit rate {body.get('rate')}/{body.get('per')}"
    if key == "xt":
        return f"xt {body.get('type')} {body.get('name')}"
    return f"{key} {_short(body)}"


def render_rule(expr: list[dict[str, Any]], comment: str | None) -> str:
    parts = [render_statement(s) for s in expr if isinstance(s, dict) and len(s) == 1]
    text = " ".join(parts)
    return f"{text} comment {json.dumps(comment)}" if comment else text


def parse_ruleset(items: list[Any]) -> list[NftTable]:
    """The tables of ``nft -j list ruleset`` (the list under ``nftables``). Raises NftError."""
    if not isinstance(items, list):
        raise NftError("the ruleset is not a list")
    tables: dict[tuple[str, str], NftTable] = {}
    sets: dict[tuple[str, str], dict[str, list[Any]]] = {}
    rules: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, dict) or len(item) != 1:
            raise NftError(f"an entry that is not an object with one key: {_short(item)}")
        (kind, body), *_ = item.items()
        if kind == "metainfo":
            continue
        if not isinstance(body, dict):
            raise NftError(f"a {kind} that is not an object: {_short(item)}")
        if kind == "table":
            key = (str(body.get("family")), str(body.get("name")))
            tables.setdefault(key, NftTable(key[0], key[1], {}, []))
        elif kind == "chain":
            key = (str(body.get("family")), str(body.get("table")))
            table = tables.setdefault(key, NftTable(key[0], key[1], {}, []))
            name = str(body.get("name"))
            chain = Chain(name)
            if body.get("hook"):
                chain.policy = str(body.get("policy") or "accept")
                chain.policy_ref = RuleRef("nft", key[0], key[1], name, f"policy {chain.policy}")
                table.base.append(body)
            table.chains[name] = chain
        elif kind in ("set", "map"):
            key = (str(body.get("family")), str(body.get("table")))
            sets.setdefault(key, {})[str(body.get("name"))] = list(body.get("elem") or [])
        elif kind == "rule":
            rules.append(body)
    for body in rules:
        key = (str(body.get("family")), str(body.get("table")))
        table = tables.setdefault(key, NftTable(key[0], key[1], {}, []))
        chain_name = str(body.get("chain"))
        chain = table.chains.setdefault(chain_name, Chain(chain_name))
        expr = body.get("expr")
        if not isinstance(expr, list):
            raise NftError(f"a rule without expressions: {_short(body)}")
        comment = body.get("comment")
        handle = body.get("handle")
        ref = RuleRef(
            "nft",
            key[0],
            key[1],
            chain_name,
            render_rule(expr, comment),
            index=len(chain.rules),
            handle=handle if isinstance(handle, int) else None,
            comment=comment,
        )
        chain.rules.append(NftRule(ref, expr, _Sets(sets.get(key, {}))))
    return list(tables.values())


def filter_points(table: NftTable) -> list[FilterPoint]:
    points = []
    for body in table.base:
        hook = str(body.get("hook"))
        if body.get("type", "filter") != "filter" or hook not in HOOK_ORDER:
            continue
        if table.family not in ("ip", "ip6", "inet", "netdev"):
            continue
        if (table.family == "netdev") != (hook == "ingress") and table.family != "inet":
            continue
        prio = body.get("prio", 0)
        device = body.get("dev")
        if isinstance(device, list):
            device = device[0] if len(device) == 1 else None
        points.append(
            FilterPoint(
                label=f"nft table {table.family} {table.name} chain {body.get('name')}",
                hook=hook,
                priority=prio if isinstance(prio, int) else 0,
                base=str(body.get("name")),
                chains=table.chains,
                owner="nft",
                family=table.family,
                table=table.name,
                device=str(device) if device and hook == "ingress" else None,
            )
        )
    return points


def sets_marks(table: NftTable) -> bool:
    """Whether a rule of the table sets a packet's or a connection's mark (``meta mark set``,
    ``ct mark set``, an iptables MARK target)."""
    for chain in table.chains.values():
        for rule in chain.rules:
            for statement in rule.expr if isinstance(rule, NftRule) else []:
                if not isinstance(statement, dict):
                    continue
                mangle = statement.get("mangle")
                if isinstance(mangle, dict) and "mark" in json.dumps(mangle.get("key")):
                    return True
                xt = statement.get("xt")
                if isinstance(xt, dict) and xt.get("name") in ("MARK", "CONNMARK"):
                    return True
    return False


def table_has_filter(table: NftTable) -> bool:
    """A base chain that can drop a packet coming in: a rule in it, or a drop policy."""
    for point in filter_points(table):
        chain = point.chains[point.base]
        if chain.rules or chain.policy == "drop":
            return True
    return False
