"""The host firewall, judged on the controller: does a TCP connection nginx needs get through?

``HostFirewall.from_collected(collected["firewall"])`` reads what the collector gathered
(``nft -j list ruleset``, ``iptables-save`` of both backends, ufw's and firewalld's state);
``evaluate(Packet(...))`` follows the packet through every base chain on its way in and says
accept, drop, reject or unknown, with the rule that decided.
"""

from __future__ import annotations

from fix502.firewall.host import Decision, HostFirewall, Stop, ufw_rule_number
from fix502.firewall.model import FilterPoint, Outcome, Packet, RuleRef

__all__ = [
    "Decision",
    "FilterPoint",
    "HostFirewall",
    "Outcome",
    "Packet",
    "RuleRef",
    "Stop",
    "ufw_rule_number",
]
