"""The firewall checks FWL001-FWL003 on real rules (tests/unit/data/firewall/, made on a fleet host)
and a real nginx configuration: what the audit reports, in both languages, with what the role needs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fix502 import catalogue
from fix502.engine import judge_host
from fix502.model import Finding, Severity

DATA = Path(__file__).resolve().parent / "data" / "firewall"

SITE = """# configuration file /etc/nginx/nginx.conf:
events {}
http {
    server {
        listen 80 default_server;
        listen 443 ssl;
        listen 127.0.0.1:8081;
        location / { proxy_pass http://127.0.0.1:8000; }
        location /api { proxy_pass http://127.0.0.1:9050; }
        location /remote { proxy_pass http://192.0.2.80:8000; }
    }
}
"""


def audit(case: str, dump: str = SITE, lang: str = "en") -> list[Finding]:
    data = json.loads((DATA / case / "collected.json").read_text(encoding="utf-8"))
    collected: dict[str, Any] = {
        "schema": 1,
        "hostname": "web1",
        "addresses": data["addresses"],
        "nginx": {"dump": dump},
        "firewall": data["firewall"],
    }
    report = judge_host("web1", collected, catalogue.select(["firewall"]), lang=lang).report
    return report.findings


def test_a_backend_rejected_on_loopback_is_fwl002_with_what_the_role_needs() -> None:
    [finding] = audit("iptables-chains")
    assert (finding.id, finding.severity, finding.autofix) == ("FWL002", Severity.CRITICAL, True)
    assert finding.fixed_by == "fix502.gateway.firewall"
    assert "rejects nginx's connections to port 8000 from 127.0.0.1 on lo" in finding.cause
    assert "502 Bad Gateway" in finding.cause
    assert "proxy_pass in /etc/nginx/nginx.conf:7" in finding.cause
    evidence = finding.evidence.to_dict()
    assert evidence["port"] == 8000 and evidence["address"] == "127.0.0.1"
    assert evidence["rule"].startswith(
        "iptables (nf_tables) table filter chain INPUT: -A INPUT -s 127.0.0.1/32"
    )
    assert evidence["values"] == {
        "backend": "nf_tables",
        "before": "-A INPUT -s 127.0.0.1/32 -i lo -p tcp -m tcp --dport 8000 -m comment "
        '--comment "backend from lo" -j REJECT --reject-with tcp-reset',
        "binary": "iptables-nft",
        "chain": "INPUT",
        "family": "4",
        "interface": "lo",
        "port": "8000",
        "position": "6",
        "purpose": "backend",
        "rule": "-s 127.0.0.1/32 -i lo -p tcp -m tcp --dport 8000 -m comment --comment fix502 -j ACCEPT",
        "source": "127.0.0.1",
        "table": "filter",
        "tool": "iptables",
        "verdict": "reject",
    }


def test_port_80_open_to_some_clients_is_no_finding_but_closed_to_all_is() -> None:
    # iptables-chains: 80 only from 10.0.0.0/8, 443 from anyone: no FWL001.
    assert [f.id for f in audit("iptables-chains")] == ["FWL002"]
    # ufw-closed: 80 by the default policy (fixable with ufw allow), 443 by the administrator's own deny.
    findings = audit("ufw-closed")
    assert [(f.id, f.evidence.port, f.autofix) for f in findings] == [
        ("FWL001", 80, True),
        ("FWL001", 443, False),
    ]
    assert all(f.severity == Severity.HIGH for f in findings)
    assert "`ufw allow proto tcp to any port 80 comment fix502`" in findings[0].fix
    assert "fix502 does not change it" in findings[1].fix


def test_a_port_closed_while_another_is_open_may_be_on_purpose() -> None:
    findings = audit("iptables-legacy")
    web = [f for f in findings if f.id == "FWL001"]
    assert [(f.evidence.port, f.severity, f.autofix) for f in web] == [(443, Severity.MEDIUM, False)]
    assert "port 80 is open to them, so this may be on purpose" in web[0].cause
    backend = [f for f in findings if f.id == "FWL002"]
    assert backend[0].evidence.to_dict()["values"]["binary"] == "iptables-legacy"


def test_nftables_drop_is_a_504_and_every_base_chain_counts() -> None:
    dump = SITE.replace("listen 443 ssl;", "listen 8443 ssl;")
    findings = audit("nft-inet", dump)
    by_id = {f.id: f for f in findings}
    assert "504 Gateway Time-out" in by_id["FWL002"].cause
    assert by_id["FWL002"].evidence.to_dict()["values"]["handle"] == "7"
    # 8443 is accepted by the inet table, then dropped by the later base chain of table ip fix502_late.
    assert by_id["FWL001"].evidence.port == 8443
    assert "nft table ip fix502_late chain input" in by_id["FWL001"].cause


def test_a_verdict_that_cannot_be_told_is_fwl003_and_not_fixed() -> None:
    findings = audit("unknown-matches")
    assert [(f.id, f.severity, f.autofix) for f in findings] == [("FWL003", Severity.INFO, False)]
    assert "-m statistic --mode random" in findings[0].cause
    assert "/dev/tcp/127.0.0.1/8000" in findings[0].fix


def test_no_firewall_and_no_collected_firewall_find_nothing() -> None:
    assert audit("none") == []
    collected = {"schema": 1, "hostname": "web1", "addresses": [], "nginx": {"dump": SITE}}
    assert judge_host("web1", collected, catalogue.select(["firewall"])).report.findings == []


@pytest.mark.parametrize("case", ["iptables-chains", "ufw-closed", "nft-inet", "unknown-matches"])
def test_chinese_texts(case: str) -> None:
    for finding in audit(case, lang="zh"):
        assert any("\u4e00" <= ch <= "\u9fff" for ch in finding.cause + finding.fix)
        assert "{" not in finding.cause and "{" not in finding.fix.replace("{ ", "")
