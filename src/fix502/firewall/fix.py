"""How to let one connection through, with the tool that manages the chain that stops it.

The opening is as narrow as the need: a port nginx serves is opened to every client; a backend's
port only from the proxy (over loopback, from the loopback address, when the backend is local).
The rule goes right before the one that stops the packet (at the end of the chain when it is the
policy), so the rules before it keep doing what they did. Every rule carries the comment
``fix502``. SSH's port is never touched.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from typing import Literal

from fix502.firewall.host import UFW_FIXABLE_CHAINS, HostFirewall, Stop, ufw_rule_number

COMMENT = "fix502"
SSH_PORT = 22
UFW_EXPLICIT = "a ufw rule of the administrator denies the port; ufw would replace it, fix502 leaves it"
_BEFORE = ("right before the rule that stops it", "放在拦截它的规则之前")
_AT_END = ("at the end of the chain, before its policy applies", "放在链的末尾、默认策略生效之前")
_UFW_APPEND = ("as a ufw rule", "作为一条 ufw 规则")
_UFW_BEFORE = ("before the ufw rule that stops it", "放在拦截它的 ufw 规则之前")


@dataclass(frozen=True)
class Opening:
    """What must get through: TCP to ``port``, from ``source`` (None: anyone) on ``interface``."""

    port: int
    family: int
    purpose: Literal["web", "backend"]
    source: str | None = None
    interface: str | None = None

    def __post_init__(self) -> None:
        if self.purpose == "backend" and not self.source:
            raise ValueError("a backend's port is opened only from the proxy, never to every source")


@dataclass
class Plan:
    tool: str
    command: str
    autofix: bool
    why_not: str = ""
    values: dict[str, str] = field(default_factory=dict)
    placement: tuple[str, str] = ("", "")  # where the rule goes, in English and Chinese


def plan(firewall: HostFirewall, stop: Stop, opening: Opening) -> Plan:
    ref = stop.outcome.rule
    tool = firewall.owner(ref) if ref is not None else firewall.tool()
    values = {
        "tool": tool,
        "purpose": opening.purpose,
        "port": str(opening.port),
        "family": str(opening.family),
        "source": opening.source or "",
        "interface": opening.interface or "",
        "verdict": stop.outcome.verdict,
    }
    if ref is None:
        return Plan(tool, "", False, f"{stop.point.label}: {stop.outcome.reason}", values)
    values.update(table=ref.table, chain=ref.chain)
    if opening.port == SSH_PORT:
        return Plan(tool, "", False, "fix502 never changes rules for SSH's port", values)
    if tool == "iptables":
        return _iptables(firewall, stop, opening, values)
    if tool == "nft":
        return _nft(stop, opening, values)
    if tool == "ufw":
        return _ufw(firewall, stop, opening, values)
    return _firewalld(firewall, opening, values)


def iptables_spec(opening: Opening) -> str:
    """The rule as iptables-save prints it, so that ``-C`` and ``-S`` find it again."""
    parts = []
    if opening.source:
        parts.append(f"-s {opening.source}/{32 if opening.family == 4 else 128}")
    if opening.interface:
        parts.append(f"-i {opening.interface}")
    parts.append(f"-p tcp -m tcp --dport {opening.port} -m comment --comment {COMMENT} -j ACCEPT")
    return " ".join(parts)


def nft_expression(opening: Opening, table_family: str) -> str:
    parts = []
    if opening.interface:
        parts.append(f"iifname {json.dumps(opening.interface)}")
    if opening.source:
        parts.append(f"{'ip6' if opening.family == 6 else 'ip'} saddr {opening.source}")
    elif table_family == "inet":
        parts.append(f"meta nfproto {'ipv6' if opening.family == 6 else 'ipv4'}")
    parts.append(f"tcp dport {opening.port} accept comment {json.dumps(COMMENT)}")
    return " ".join(parts)


def _iptables(firewall: HostFirewall, stop: Stop, opening: Opening, values: dict[str, str]) -> Plan:
    ref = stop.outcome.rule
    assert ref is not None
    binary = firewall.binary(ref)
    spec = iptables_spec(opening)
    table = "" if ref.table == "filter" else f"-t {ref.table} "
    if ref.is_policy:
        command = f"{binary} {table}-A {ref.chain} {spec}"
        before = ""
        position = ""
        placement = _AT_END
    else:
        position = str((ref.index or 0) + 1)
        command = f"{binary} {table}-I {ref.chain} {position} {spec}"
        before = ref.text
        placement = _BEFORE
    values.update(binary=binary, backend=ref.backend or "", before=before, position=position, rule=spec)
    return Plan("iptables", command, True, "", values, placement)


def _nft(stop: Stop, opening: Opening, values: dict[str, str]) -> Plan:
    ref = stop.outcome.rule
    assert ref is not None
    expression = nft_expression(opening, ref.family)
    values.update(nft_family=ref.family, rule=expression)
    if ref.family not in ("ip", "ip6", "inet"):
        return Plan("nft", "", False, f"a {ref.family} table is not one fix502 changes", values)
    where = f"{ref.family} {ref.table} {ref.chain}"
    if ref.is_policy:
        values.update(handle="", index="")
        return Plan("nft", f"nft add rule {where} {expression}", True, "", values, _AT_END)
    if ref.handle is None:
        return Plan("nft", "", False, "the rule that stops it has no handle in nft's listing", values)
    values.update(handle=str(ref.handle), index=str(ref.index or 0))
    command = f"nft insert rule {where} position {ref.handle} {expression}"
    return Plan("nft", command, True, "", values, _BEFORE)


def _ufw(firewall: HostFirewall, stop: Stop, opening: Opening, values: dict[str, str]) -> Plan:
    ref = stop.outcome.rule
    assert ref is not None
    chain = ref.chain.replace("ufw6-", "ufw-")
    rule = "allow"
    if opening.interface:
        rule += f" in on {opening.interface}"
    rule += " proto tcp"
    if opening.source:
        rule += f" from {opening.source}"
    rule += f" to any port {opening.port} comment {COMMENT}"
    values.update(rule=rule, position="")
    if ref.is_policy or (chain in UFW_FIXABLE_CHAINS and chain != "ufw-user-input"):
        return Plan("ufw", f"ufw {rule}", True, "", values, _UFW_APPEND)
    if chain == "ufw-user-input":
        if not opening.source:
            # ufw would not add `allow ... port P` beside the user's `deny P`: it replaces that rule.
            return Plan("ufw", "", False, UFW_EXPLICIT, values)
        number = ufw_rule_number(firewall.ufw_user_rules, opening.family, ref.index or 0)
        if number is None:
            return Plan("ufw", "", False, "ufw's rule files do not say which ufw rule stops it", values)
        values["position"] = str(number)
        return Plan("ufw", f"ufw insert {number} {rule}", True, "", values, _UFW_BEFORE)
    return Plan(
        "ufw",
        "",
        False,
        f"the packet is stopped in {ref.chain}, before ufw's own rules: see /etc/ufw/before.rules",
        values,
    )


def _firewalld(firewall: HostFirewall, opening: Opening, values: dict[str, str]) -> Plan:
    zone = firewall.firewalld_zone or "public"
    family = "ipv6" if opening.family == 6 else "ipv4"
    source = f' source address="{opening.source}"' if opening.source else ""
    rich = f'rule family="{family}"{source} port port="{opening.port}" protocol="tcp" accept'
    values.update(zone=zone, rule=rich)
    command = f"firewall-cmd --permanent --zone={zone} --add-rich-rule='{rich}' && firewall-cmd --reload"
    placement = (f"as a rich rule of zone {zone}", f"以区域 {zone} 的富规则（rich rule）形式")
    return Plan("firewalld", command, True, "", values, placement)


def proxy_source(host: str | None, family: int) -> str:
    """The address a local connection to ``host`` comes from: the host's own address it is sent to."""
    if host:
        try:
            return str(ipaddress.ip_address(host))
        except ValueError:
            pass
    return "::1" if family == 6 else "127.0.0.1"
