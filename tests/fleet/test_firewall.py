"""The host firewall on real fleet hosts, beyond the iptables scenario of scenarios/cases/:
nftables dropping the backend's port (a 504, and the fix kept across a reload of nftables.service),
ufw closing the site's port to clients, and iptables' legacy backend rejecting the backend's port.

Each test starts from the healthy site (scenarios/site/healthy.yml, which also removes what these
tests add to the firewall), breaks the firewall the way an administrator would, and checks: a real
curl fails as expected; fix-502.yml --check changes nothing; the audit's top finding is the firewall
check, with the tool the host uses; fix-502.yml fixes it, with that tool; a second run changes nothing.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fleet import Fleet
from fleet_ansible import BIN, SITE, ansible, changed, curl_status

FIREWALL_STATE = (
    "iptables-save | grep -v '^#' | sed 's/\\[[0-9]*:[0-9]*\\]//'; "
    "iptables-legacy-save 2>/dev/null | grep -v '^#' | sed 's/\\[[0-9]*:[0-9]*\\]//'; "
    "nft -s list ruleset; ufw status verbose; sha256sum /etc/nftables.conf /etc/nginx/conf.d/*; "
    "find /etc/ufw -type f -print0 | sort -z | xargs -0 sha256sum"
)
NFTABLES_CONF = """#!/usr/sbin/nft -f
flush ruleset

table inet fix502_host {
	chain input {
		type filter hook input priority filter; policy accept;
		iifname "lo" tcp dport 8000 drop comment "the backend's port is not for the world"
	}
}
"""

pytestmark = pytest.mark.fleet


def playbook(fleet: Fleet, host: str, *args: str) -> subprocess.CompletedProcess[str]:
    return ansible(fleet, str(BIN / "ansible-playbook"), *args, "--limit", host)


def healthy(fleet: Fleet, host: str) -> None:
    done = playbook(fleet, host, str(SITE / "healthy.yml"))
    assert done.returncode == 0, done.stdout[-3000:]
    assert curl_status(fleet, host) == 200


def audit(fleet: Fleet, host: str) -> list[dict[str, Any]]:
    done = ansible(
        fleet, str(BIN / "fix502"), "audit", "--limit", host, "--format", "json", "--fail-on", "info"
    )
    assert done.returncode == 1, done.stderr
    [report] = json.loads(done.stdout)["hosts"]
    findings: list[dict[str, Any]] = report["findings"]
    return findings


def role_again(fleet: Fleet, host: str, findings: list[dict[str, Any]], tmp_path: Path) -> None:
    """The role, handed the very findings it fixed, changes nothing the second time. (After the fix the
    audit finds nothing and fix-502.yml does not even include the role, which alone proves nothing.)"""
    play = tmp_path / "firewall-again.yml"
    play.write_text(
        "- name: The firewall role again\n  hosts: all\n  gather_facts: false\n  roles:\n"
        '    - role: fix502.gateway.firewall\n      firewall_findings: "{{ fix502_findings }}"\n',
        encoding="utf-8",
    )
    extra = tmp_path / "findings.json"
    extra.write_text(json.dumps({"fix502_findings": findings}), encoding="utf-8")
    done = playbook(fleet, host, str(play), "-e", f"@{extra}")
    assert done.returncode == 0, done.stdout[-3000:]
    assert "fix502.gateway.firewall : Let through the connections the firewall stops" in done.stdout
    assert changed(done.stdout, host) == 0, done.stdout[-3000:]


def check_changes_nothing(fleet: Fleet, host: str) -> None:
    before = fleet.sh(host, FIREWALL_STATE).stdout
    dry = playbook(fleet, host, "fix-502.yml", "--check", "--diff")
    assert dry.returncode == 0, dry.stdout[-3000:]
    assert fleet.sh(host, FIREWALL_STATE).stdout == before, "--check changed the firewall"
    assert changed(dry.stdout, host) > 0, "--check must show the rule it would add"
    assert "+" in dry.stdout and "fix502" in dry.stdout, "--diff must show the rule"


def fix_twice(fleet: Fleet, host: str) -> str:
    fixed = playbook(fleet, host, "fix-502.yml")
    assert fixed.returncode == 0, fixed.stdout[-4000:]
    again = playbook(fleet, host, "fix-502.yml")
    assert again.returncode == 0, again.stdout[-3000:]
    assert changed(again.stdout, host) == 0, again.stdout[-3000:]
    return fixed.stdout


@pytest.fixture
def nft_host(fleet: Fleet) -> Iterator[str]:
    host = fleet.names[1]
    original = fleet.sh(host, "cat /etc/nftables.conf", check=True).stdout
    healthy(fleet, host)
    try:
        yield host
    finally:
        fleet.sh(host, "systemctl disable --now nftables.service; cat > /etc/nftables.conf", input=original)
        healthy(fleet, host)


def test_nftables_drop_on_the_backend_port_is_opened_for_the_proxy_only(
    fleet: Fleet, nft_host: str, tmp_path: Path
) -> None:
    host = nft_host
    fleet.sh(host, "cat > /etc/nftables.conf", input=NFTABLES_CONF, check=True)
    fleet.sh(
        host,
        "sed -i 's/proxy_read_timeout 10s;/proxy_read_timeout 10s;\\n        proxy_connect_timeout 3s;/' "
        "/etc/nginx/conf.d/fix502-site.conf && nginx -t && systemctl reload nginx && "
        "systemctl enable nftables.service && systemctl restart nftables.service",
        check=True,
    )
    # A DROP: nginx waits proxy_connect_timeout (3 s here), then answers 504.
    assert curl_status(fleet, host) == 504

    check_changes_nothing(fleet, host)
    findings = audit(fleet, host)
    top = findings[0]
    assert top["id"] == "FWL002", top
    evidence = top["evidence"]
    assert evidence["values"]["tool"] == "nft"
    assert evidence["values"]["verdict"] == "drop"
    assert "504 Gateway Time-out" in str(top["cause"])

    fix_twice(fleet, host)
    assert curl_status(fleet, host) == 200
    chain = fleet.sh(host, "nft list chain inet fix502_host input", check=True).stdout
    rules = [line.strip() for line in chain.splitlines() if "dport 8000" in line]
    assert rules[0] == 'iifname "lo" ip saddr 127.0.0.1 tcp dport 8000 accept comment "fix502"', chain
    assert rules[1].endswith('drop comment "the backend\'s port is not for the world"'), chain
    # Persistent: in the configuration nftables.service loads, so a restart keeps it.
    conf = fleet.sh(host, "cat /etc/nftables.conf", check=True).stdout
    assert "# BEGIN fix502 firewall: inet fix502_host input tcp/8000" in conf, conf
    fleet.sh(host, "systemctl restart nftables.service", check=True)
    assert curl_status(fleet, host) == 200
    again = playbook(fleet, host, "fix-502.yml")
    assert changed(again.stdout, host) == 0, again.stdout[-3000:]
    role_again(fleet, host, findings, tmp_path)


@pytest.fixture
def ufw_host(fleet: Fleet) -> Iterator[str]:
    host = fleet.names[2]
    healthy(fleet, host)
    try:
        yield host
    finally:
        fleet.sh(host, "ufw --force reset; rm -f /etc/ufw/*.rules.20*")


def test_ufw_that_closes_the_site_to_clients_opens_port_80(
    fleet: Fleet, ufw_host: str, tmp_path: Path
) -> None:
    host = ufw_host
    fleet.sh(
        host, "ufw default deny incoming && ufw allow 22/tcp && ufw --force enable && ufw status", check=True
    )
    assert curl_status(fleet, host, max_time=5) == 0, "ufw drops the connection: curl gets no answer"

    check_changes_nothing(fleet, host)
    findings = audit(fleet, host)
    top = findings[0]
    assert top["id"] == "FWL001", top
    assert top["evidence"]["values"]["tool"] == "ufw"
    assert "ufw allow proto tcp to any port 80 comment fix502" in str(top["fix"])

    fix_twice(fleet, host)
    assert curl_status(fleet, host) == 200
    status = fleet.sh(host, "ufw status", check=True).stdout
    assert re.search(r"^80/tcp\s+ALLOW\s+Anywhere\s+# fix502$", status, re.MULTILINE), status
    assert re.search(r"^22/tcp\s+ALLOW\s+Anywhere\s*$", status, re.MULTILINE), status
    role_again(fleet, host, findings, tmp_path)


def test_iptables_legacy_reject_is_fixed_in_the_legacy_backend(fleet: Fleet, tmp_path: Path) -> None:
    host = fleet.names[2]
    healthy(fleet, host)
    try:
        fleet.sh(
            host,
            "iptables-legacy -A INPUT -p tcp --dport 8000 -m comment --comment fix502-test -j REJECT",
            check=True,
        )
        assert curl_status(fleet, host) == 502

        check_changes_nothing(fleet, host)
        findings = audit(fleet, host)
        top = findings[0]
        assert top["id"] == "FWL002", top
        assert top["evidence"]["values"]["binary"] == "iptables-legacy"

        fix_twice(fleet, host)
        assert curl_status(fleet, host) == 200
        legacy = fleet.sh(host, "iptables-legacy -S INPUT", check=True).stdout.splitlines()
        assert legacy[1:] == [
            "-A INPUT -s 127.0.0.1/32 -i lo -p tcp -m tcp --dport 8000 -m comment --comment fix502 -j ACCEPT",
            "-A INPUT -p tcp -m tcp --dport 8000 -m comment --comment fix502-test -j REJECT "
            "--reject-with icmp-port-unreachable",
        ], legacy
        assert "fix502" not in fleet.sh(host, "iptables-nft -S", check=True).stdout
        role_again(fleet, host, findings, tmp_path)
    finally:
        healthy(fleet, host)
