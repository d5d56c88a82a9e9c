"""fix502.gateway.firewall_rule refuses what must never be done before it touches any firewall: SSH's
port, a port opened to every source without saying so. (Its changes are tested on the fleet's hosts:
tests/fleet/test_firewall.py and the scenario host-firewall-drops-backend-port.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import module_runner
import pytest

pytest.importorskip("ansible.module_utils.basic")

from ansible_collections.fix502.gateway.plugins.modules import firewall_rule

MODULE = Path(firewall_rule.__file__)


def run_module(tmp_path: Path, args: dict[str, Any]) -> dict[str, Any]:
    return module_runner.run_module(MODULE, tmp_path, args, timeout=60)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            {"tool": "iptables", "port": 22, "source": "127.0.0.1"},
            "port 22 is SSH's: fix502 never changes rules for it",
        ),
        (
            {"tool": "nft", "port": 2222, "source": "127.0.0.1", "protected_ports": [22, 2222]},
            "port 2222 is SSH's: fix502 never changes rules for it",
        ),
        (
            {"tool": "iptables", "port": 8000},
            "refusing to open port 8000 to every source: give source, or allow_any_source for a port nginx "
            "serves to clients",
        ),
        (
            {"tool": "ufw", "port": 8000, "source": "0.0.0.0/0"},
            "source 0.0.0.0/0 is every address: give the proxy's address",
        ),
        (
            {"tool": "firewalld", "port": 70000, "allow_any_source": True},
            "port 70000 is out of range 1-65535",
        ),
    ],
)
def test_what_it_never_does(tmp_path: Path, args: dict[str, Any], message: str) -> None:
    result = run_module(tmp_path, {**args, "_ansible_check_mode": True})
    assert result["failed"] is True
    assert result["msg"] == message
    assert result["changed"] is False


def test_the_rules_it_would_write() -> None:
    params = {
        "source": "127.0.0.1",
        "family": 4,
        "interface": "lo",
        "port": 8000,
        "comment": "fix502",
        "nft_family": "inet",
    }
    assert firewall_rule.iptables_spec(params) == [
        *("-s", "127.0.0.1/32", "-i", "lo", "-p", "tcp", "-m", "tcp", "--dport", "8000"),
        *("-m", "comment", "--comment", "fix502", "-j", "ACCEPT"),
    ]
    assert (
        firewall_rule.nft_expression(params)
        == 'iifname "lo" ip saddr 127.0.0.1 tcp dport 8000 accept comment "fix502"'
    )
    assert firewall_rule.ufw_tuples(params) == {
        4: ["allow", "tcp", "8000", "0.0.0.0/0", "any", "127.0.0.1", "in_lo"]
    }
    assert (
        firewall_rule.rich_rule(params)
        == 'rule family="ipv4" source address="127.0.0.1" port port="8000" protocol="tcp" accept'
    )
    web = {**params, "source": None, "interface": None, "port": 80}
    assert firewall_rule.nft_expression(web) == 'meta nfproto ipv4 tcp dport 80 accept comment "fix502"'
    assert sorted(firewall_rule.ufw_tuples(web)) == [4, 6]
