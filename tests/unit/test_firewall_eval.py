"""The firewall evaluator against real rules: what the collector read on a fleet host after real
iptables, ip6tables, iptables-legacy, nft and ufw commands (tests/unit/data/firewall/CASE/setup.sh,
made into CASE/collected.json by tests/fleet/firewall_fixtures.py)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from fix502.firewall import Decision, HostFirewall, Packet, ufw_rule_number
from fix502.firewall.fix import UFW_EXPLICIT, Opening, plan
from fix502.firewall.iptables import ParseError, parse_save, source_port_match

DATA = Path(__file__).resolve().parent / "data" / "firewall"
HOST = "10.89.3.3"  # the fleet host's address the fixtures were made on


def facts(case: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / case / "collected.json").read_text(encoding="utf-8"))
    return data["firewall"]


def firewall(case: str) -> HostFirewall:
    return HostFirewall.from_collected(facts(case))


def from_lo(port: int, family: int = 4) -> Packet:
    source = "::1" if family == 6 else "127.0.0.1"
    return Packet(family, source, port, "lo", dst=source, local_src=True)


def outside(port: int, source: str = "203.0.113.10", family: int = 4) -> Packet:
    return Packet(family, source, port, "eth0", dst=HOST if family == 4 else "fe80::1")


def decided(decision: Decision) -> str:
    stop = decision.first
    assert stop is not None and stop.outcome.rule is not None, decision
    return stop.outcome.rule.text


def test_every_fixture_was_made_by_the_real_tools() -> None:
    cases = sorted(p.name for p in DATA.iterdir() if p.is_dir())
    assert cases == [
        "iptables-chains",
        "iptables-legacy",
        "nft-inet",
        "none",
        "ufw-closed",
        "ufw-rules",
        "unknown-matches",
    ]
    for case in cases:
        data = json.loads((DATA / case / "collected.json").read_text(encoding="utf-8"))
        assert data["made_by"].startswith("tests/fleet/firewall_fixtures.py")
        assert data["firewall"]["nft"]["ruleset"][0]["metainfo"]["version"]
        assert (DATA / case / "setup.sh").is_file()
        assert HostFirewall.from_collected(data["firewall"]).problems == []


class TestIptables:
    fw = firewall("iptables-chains")

    def test_the_backend_port_is_rejected_on_loopback_by_its_own_rule(self) -> None:
        decision = self.fw.evaluate(from_lo(8000))
        assert decision.verdict == "reject"
        stop = decision.stops[0]
        ref = stop.outcome.rule
        assert ref is not None
        assert ref.comment == "backend from lo"
        assert ref.index == 5 and ref.chain == "INPUT" and ref.table == "filter"
        assert ref.backend == "nf_tables"
        assert stop.outcome.reason == "tcp-reset"

    def test_a_client_the_rules_do_not_name_falls_through_to_the_policy(self) -> None:
        decision = self.fw.evaluate(outside(80))
        assert decision.verdict == "drop"
        assert decided(decision) == "-P INPUT DROP"
        stop = decision.stops[0]
        assert stop.outcome.rule is not None and stop.outcome.rule.is_policy
        # It went into the ban chain and the web chain and came back from both.
        assert stop.outcome.path == ("INPUT", "ban", "INPUT", "web", "INPUT")

    def test_jumps_returns_and_sources(self) -> None:
        assert self.fw.evaluate(outside(80, "10.1.2.3")).verdict == "accept"
        assert self.fw.evaluate(outside(443)).verdict == "accept"
        banned = self.fw.evaluate(outside(443, "198.51.100.5"))
        assert (banned.verdict, decided(banned)) == ("drop", "-A ban -s 198.51.100.0/24 -j DROP")
        rejected = self.fw.evaluate(outside(443, "203.0.113.7"))
        assert rejected.verdict == "reject"
        assert decided(rejected).startswith("-A ban -s 203.0.113.7/32 -p tcp -j REJECT")

    def test_negated_interface_and_the_lo_accept_after_a_rate_limited_log(self) -> None:
        assert (
            decided(self.fw.evaluate(outside(8000))) == "-A INPUT ! -i lo -p tcp -m tcp --dport 8000 -j DROP"
        )
        # The LOG rule's limit cannot be told, but LOG lets the packet go on either way.
        assert self.fw.evaluate(from_lo(9050)).verdict == "accept"

    def test_ipv6_rules_and_tcp_flags(self) -> None:
        assert self.fw.evaluate(outside(80, "2001:db8::1", family=6)).verdict == "accept"
        # `! --syn` does not match the first packet of a connection: the policy drops it.
        assert decided(self.fw.evaluate(outside(443, "2001:db8::1", family=6))) == "-P INPUT DROP"

    def test_tool_owner_and_the_sources_the_rules_name(self) -> None:
        assert self.fw.tool() == "iptables"
        assert self.fw.interfaces == ["eth0", "lo"]
        assert {"198.51.100.1", "198.51.100.254", "203.0.113.7", "10.0.0.1", "10.255.255.254"} <= set(
            self.fw.mentioned_sources(4)
        )

    def test_the_fix_goes_right_before_the_rejecting_rule(self) -> None:
        stop = self.fw.evaluate(from_lo(8000)).stops[0]
        fix = plan(self.fw, stop, Opening(8000, 4, "backend", source="127.0.0.1", interface="lo"))
        assert fix.autofix
        assert fix.command == (
            "iptables-nft -I INPUT 6 -s 127.0.0.1/32 -i lo -p tcp -m tcp --dport 8000 "
            "-m comment --comment fix502 -j ACCEPT"
        )
        assert fix.values["before"].endswith('--comment "backend from lo" -j REJECT --reject-with tcp-reset')

    def test_a_policy_is_fixed_at_the_end_of_the_chain(self) -> None:
        stop = self.fw.evaluate(outside(80)).stops[0]
        fix = plan(self.fw, stop, Opening(80, 4, "web"))
        assert (
            fix.command
            == "iptables-nft -A INPUT -p tcp -m tcp --dport 80 -m comment --comment fix502 -j ACCEPT"
        )
        assert fix.values["before"] == "" and fix.values["position"] == ""

    def test_a_backend_port_is_never_opened_to_every_source(self) -> None:
        with pytest.raises(ValueError, match="never to every source"):
            Opening(8000, 4, "backend")


def test_both_iptables_backends_are_followed() -> None:
    fw = firewall("iptables-legacy")
    backend = fw.evaluate(from_lo(8000))
    assert backend.verdict == "reject"
    ref = backend.stops[0].outcome.rule
    assert ref is not None and ref.backend == "legacy"
    assert fw.binary(ref) == "iptables-legacy"
    web = fw.evaluate(outside(443))
    ref = web.stops[0].outcome.rule
    assert ref is not None and ref.backend == "nf_tables" and fw.binary(ref) == "iptables-nft"
    assert fw.evaluate(outside(80)).verdict == "accept"


class TestNftables:
    fw = firewall("nft-inet")

    def test_the_drop_on_loopback_and_its_handle(self) -> None:
        decision = self.fw.evaluate(from_lo(8000))
        assert decision.verdict == "drop"
        ref = decision.stops[0].outcome.rule
        assert ref is not None
        assert (ref.family, ref.table, ref.chain, ref.handle) == ("inet", "fix502_filter", "input", 7)
        assert ref.text == 'iif "lo" tcp dport 8000 counter drop comment "drop the backend port on lo"'

    def test_anonymous_and_named_sets_ranges_and_the_final_reject(self) -> None:
        assert self.fw.evaluate(outside(22)).verdict == "accept"
        assert self.fw.evaluate(outside(443)).verdict == "accept"
        assert self.fw.evaluate(outside(80, "192.0.2.5")).verdict == "accept"
        assert self.fw.evaluate(outside(80, "10.20.1.1")).verdict == "accept"
        rejected = self.fw.evaluate(outside(80))
        assert (rejected.verdict, decided(rejected)) == ("reject", "l4proto tcp reject with tcp reset")
        # ip saddr does not apply to IPv6: the reject again.
        assert self.fw.evaluate(outside(80, "2001:db8::1", family=6)).verdict == "reject"

    def test_every_base_chain_on_the_way_must_accept(self) -> None:
        decision = self.fw.evaluate(outside(8443))
        assert decision.verdict == "drop"
        ref = decision.stops[0].outcome.rule
        assert ref is not None and (ref.table, ref.text) == ("fix502_late", "tcp dport 8443 drop")

    def test_verdict_maps_jumps_and_returns(self) -> None:
        assert decided(self.fw.evaluate(outside(9200))) == "tcp dport vmap @port_verdicts"
        assert self.fw.evaluate(outside(9300)).verdict == "accept"
        # 10.0.0.0/8 returns from the backends chain, on to the final reject.
        assert decided(self.fw.evaluate(outside(9050, "10.0.0.1"))) == "l4proto tcp reject with tcp reset"
        other = self.fw.evaluate(outside(9060))
        assert (other.verdict, decided(other)) == (
            "reject",
            "tcp dport != 9050 reject with icmpx admin-prohibited",
        )

    def test_tool_and_fix(self) -> None:
        assert self.fw.tool() == "nft"
        stop = self.fw.evaluate(from_lo(8000)).stops[0]
        fix = plan(self.fw, stop, Opening(8000, 4, "backend", source="127.0.0.1", interface="lo"))
        assert fix.command == (
            'nft insert rule inet fix502_filter input position 7 iifname "lo" ip saddr 127.0.0.1 '
            'tcp dport 8000 accept comment "fix502"'
        )
        web = plan(self.fw, self.fw.evaluate(outside(8443)).stops[0], Opening(8443, 4, "web"))
        assert web.command.startswith("nft insert rule ip fix502_late input position ")
        assert web.command.endswith(' tcp dport 8443 accept comment "fix502"')


class TestUfw:
    closed = firewall("ufw-closed")
    rules = firewall("ufw-rules")

    def test_ufw_is_the_tool_and_loopback_is_accepted_before_its_rules(self) -> None:
        assert self.closed.tool() == "ufw"
        assert self.closed.evaluate(from_lo(8000)).verdict == "accept"
        assert self.closed.evaluate(outside(22)).verdict == "accept"

    def test_a_closed_port_is_opened_with_ufw_allow(self) -> None:
        stop = self.closed.evaluate(outside(80)).stops[0]
        assert self.closed.owner(stop.outcome.rule) == "ufw"  # type: ignore[arg-type]
        fix = plan(self.closed, stop, Opening(80, 4, "web"))
        assert (fix.autofix, fix.command) == (True, "ufw allow proto tcp to any port 80 comment fix502")

    def test_an_explicit_ufw_deny_of_a_web_port_is_left_to_a_person(self) -> None:
        stop = self.closed.evaluate(outside(443)).stops[0]
        assert (
            decided(self.closed.evaluate(outside(443)))
            == "-A ufw-user-input -p tcp -m tcp --dport 443 -j DROP"
        )
        fix = plan(self.closed, stop, Opening(443, 4, "web"))
        assert (fix.autofix, fix.why_not) == (False, UFW_EXPLICIT)

    def test_ufw_rule_numbers_come_from_its_tuples(self) -> None:
        assert ufw_rule_number(self.closed.ufw_user_rules, 4, 1) == 2
        stop = self.rules.evaluate(outside(8000)).stops[0]
        fix = plan(self.rules, stop, Opening(8000, 4, "backend", source="127.0.0.1", interface="lo"))
        assert (
            fix.command
            == "ufw insert 3 allow in on lo proto tcp from 127.0.0.1 to any port 8000 comment fix502"
        )
        # IPv6 rules are numbered after every IPv4 one.
        assert ufw_rule_number(self.rules.ufw_user_rules, 6, 2) == 7

    def test_an_allowed_source_and_the_ipv6_policy(self) -> None:
        assert self.rules.evaluate(outside(80, "10.1.2.3")).verdict == "accept"
        assert decided(self.rules.evaluate(outside(80))) == "-P INPUT DROP"
        assert decided(self.rules.evaluate(outside(80, "2001:db8::1", family=6))) == "-P INPUT DROP"


def test_no_firewall_accepts_everything() -> None:
    fw = firewall("none")
    assert fw.tool() == "none"
    for packet in (from_lo(8000), outside(80), outside(443, "2001:db8::1", family=6)):
        assert fw.evaluate(packet).verdict == "accept"


class TestCannotTell:
    fw = firewall("unknown-matches")

    def test_a_match_that_decides_is_unknown(self) -> None:
        decision = self.fw.evaluate(from_lo(8000))
        assert decision.verdict == "unknown"
        stop = decision.first
        assert stop is not None
        assert "-m statistic --mode random" in stop.outcome.reason
        assert "drop if it does, accept if not" in stop.outcome.reason

    def test_a_match_whose_both_ways_agree_is_not(self) -> None:
        assert self.fw.evaluate(from_lo(8001)).verdict == "accept"

    def test_nft_meta_mark_is_unknown(self) -> None:
        decision = self.fw.evaluate(from_lo(8002))
        assert decision.verdict == "unknown"
        assert decided(decision) == "meta mark 1 tcp dport 8002 drop"

    def test_a_mark_is_known_to_be_0_when_no_rule_sets_one(self) -> None:
        assert self.fw.marks_set
        unmarked = copy.deepcopy(facts("unknown-matches"))
        ruleset = unmarked["nft"]["ruleset"]
        unmarked["nft"]["ruleset"] = [
            item for item in ruleset if not ("rule" in item and item["rule"]["chain"] == "pre")
        ]
        fw = HostFirewall.from_collected(unmarked)
        assert not fw.marks_set
        assert fw.evaluate(from_lo(8002)).verdict == "accept"

    def test_a_cut_listing_makes_every_verdict_unknown_unless_something_else_blocks(self) -> None:
        cut = copy.deepcopy(facts("iptables-chains"))
        cut["iptables"][0]["truncated"] = True
        fw = HostFirewall.from_collected(cut)
        decision = fw.evaluate(outside(443))
        assert decision.verdict == "unknown"
        assert decision.unknown[0].outcome.reason.startswith("the output of iptables-nft-save was cut short")
        unread = copy.deepcopy(facts("none"))
        unread["nft"]["ruleset"] = None
        assert HostFirewall.from_collected(unread).evaluate(outside(80)).verdict == "unknown"


def test_bad_iptables_output_names_the_line() -> None:
    with pytest.raises(ParseError, match=r"line 3: 'bogus line' is not a rule"):
        parse_save("*filter\n:INPUT ACCEPT [0:0]\nbogus line\nCOMMIT\n", 4, "legacy")
    broken = copy.deepcopy(facts("none"))
    broken["iptables"][0]["text"] = "-A INPUT -j ACCEPT\n"
    fw = HostFirewall.from_collected(broken)
    assert fw.problems == ["iptables-nft-save: line 1: '-A INPUT -j ACCEPT' outside a table"]
    assert fw.evaluate(outside(80)).verdict == "unknown"


@pytest.mark.parametrize(
    ("ranges", "expected"),
    [([(67, 68)], False), ([(1024, 65535)], True), ([(0, 65535)], True), ([(40000, 40010)], None)],
)
def test_a_clients_source_port_is_somewhere_in_the_ephemeral_range(
    ranges: list[tuple[int, int]], expected: bool | None
) -> None:
    assert source_port_match(ranges) is expected
