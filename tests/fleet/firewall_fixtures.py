"""Make the firewall fixtures of tests/unit/data/firewall/ from real tools on a fleet host.

For each case folder there, on one host of the fleet: clear the host's firewall, run the case's
``setup.sh`` (real iptables, ip6tables, iptables-legacy, nft and ufw commands), run the collector
``fix502.gateway.collect`` on the host with Ansible, and write what it returned for the firewall
(with the host's addresses) to the case's ``collected.json``; then clear the firewall again.

    FIX502_FLEET_NAME=mine .venv/bin/python tests/fleet/firewall_fixtures.py [CASE...]

The unit tests of the evaluator (tests/unit/test_firewall_eval.py) read those files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from fleet import Fleet

REPO = Path(__file__).resolve().parents[2]
CASES = REPO / "tests" / "unit" / "data" / "firewall"
HOST_INDEX = 1  # the second host: the scenarios use the first

# Clears every rule these cases make: ufw's, nft's (iptables' nf_tables tables with them), legacy.
CLEAR = """
if [ "$(ufw status 2>/dev/null | head -1)" != "Status: inactive" ]; then ufw --force reset >/dev/null; fi
nft flush ruleset
for cmd in iptables-legacy ip6tables-legacy; do
  names=/proc/net/ip_tables_names; [ "$cmd" = ip6tables-legacy ] && names=/proc/net/ip6_tables_names
  [ -n "$(cat "$names" 2>/dev/null)" ] || continue  # /proc files show size 0: read them
  for table in $(cat "$names"); do $cmd -t "$table" -F; $cmd -t "$table" -X; done
  $cmd -P INPUT ACCEPT; $cmd -P FORWARD ACCEPT; $cmd -P OUTPUT ACCEPT
done
true
"""


def collect(fleet: Fleet, host: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tree:
        env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "ANSIBLE_NOCOLOR": "1",
        }
        done = subprocess.run(
            ["ansible", host, "-i", str(fleet.inventory), "-m", "fix502.gateway.collect", "-t", tree],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"collect on {host} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        result = json.loads((Path(tree) / host).read_text(encoding="utf-8"))
    collected = result["collected"]
    return {
        "made_by": "tests/fleet/firewall_fixtures.py on a fleet host (Debian bookworm)",
        "addresses": collected["addresses"],
        "problems": [p for p in collected["problems"] if "firewall" in p["source"] or "nft" in p["source"]],
        "firewall": collected["firewall"],
    }


def main(names: list[str]) -> int:
    fleet = Fleet.up(3)
    host = fleet.names[HOST_INDEX]
    cases = [CASES / n for n in names] if names else sorted(p for p in CASES.iterdir() if p.is_dir())
    for case in cases:
        setup = (case / "setup.sh").read_text(encoding="utf-8")
        fleet.sh(host, CLEAR, check=True)
        try:
            done = fleet.sh(host, "set -e\n" + setup, timeout=120)
            if done.returncode != 0:
                raise SystemExit(f"{case.name}/setup.sh failed on {host}:\n{done.stdout}{done.stderr}")
            data = collect(fleet, host)
        finally:
            fleet.sh(host, CLEAR, check=True)
        (case / "collected.json").write_text(
            json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8"
        )
        print(f"{case.name}: {len(json.dumps(data))} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
