"""Fault-injection scenarios on the fleet's real systemd hosts, one per file in cases/.

Each starts from the healthy site (site/healthy.yml), injects one cause, and checks that a real
curl through nginx fails, that `--check` changes nothing on the broken host, that the audit's
top finding names the cause, and, where the cause is auto-fixable, that fix-502.yml fixes it, the
site answers again and a second run changes nothing. Run one: pytest tests/fleet/scenarios -k NAME.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from fleet import Fleet
from fleet_ansible import BIN, KILL_AND_WAIT, SITE, ansible, changed, curl_status
from scenario import Scenario, all_cases, load

# What --check must leave exactly as it was: configuration, units, the backend and their states.
STATE_COMMAND = (
    "find /etc/nginx /etc/systemd/system /opt/fix502-app -type f -print0 | sort -z | xargs -0 sha256sum; "
    "systemctl show -p ActiveState,SubState,NRestarts,MainPID fix502-app.service nginx.service"
)


def avail_bytes(fleet: Fleet, host: str, path: str) -> int:
    """Bytes available on the filesystem of ``path`` on the host, as df counts them."""
    done = fleet.sh(host, f"stat -f -c '%a %S' {path}")
    assert done.returncode == 0, done.stderr
    blocks, size = done.stdout.split()
    return int(blocks) * int(size)


def on_machine(fleet: Fleet, host: str, script: str) -> None:
    """Run ``script`` on this machine for ``host`` (its name, address and PID in the environment)."""
    inspected = fleet.podman("inspect", "--format", "{{.State.Pid}}", host)
    assert inspected.returncode == 0, inspected.stderr
    env = {
        **os.environ,
        "FIX502_HOST": host,
        "FIX502_HOST_PID": inspected.stdout.strip(),
        "FIX502_HOST_ADDRESS": fleet.host(host).address,
    }
    done = subprocess.run(
        ["sh", "-ec", script], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"on this machine for {host}: {script}\n{done.stdout}{done.stderr}"


def traffic(fleet: Fleet, host: str, script: str) -> dict[str, int]:
    """Run a scenario's load on the host: how many requests got each status ("STATUS COUNT" lines)."""
    done = fleet.sh(host, script, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return {status: int(count) for status, count in (line.split() for line in done.stdout.splitlines())}


@pytest.mark.parametrize("case_file", all_cases(), ids=lambda p: p.stem)
@pytest.mark.fleet
def test_scenario(case_file: Path, fleet: Fleet, request: pytest.FixtureRequest) -> None:
    case: Scenario = load(case_file)
    host = fleet.names[0]
    # Every scenario's machine_reset, so that one that stopped half-way leaves nothing behind.
    for reset in {c.machine_reset for c in map(load, all_cases()) if c.machine_reset}:
        on_machine(fleet, host, reset)
    if case.machine_reset:
        request.addfinalizer(lambda: on_machine(fleet, host, str(case.machine_reset)))
    healthy = ansible(fleet, str(BIN / "ansible-playbook"), str(SITE / "healthy.yml"), "--limit", host)
    assert healthy.returncode == 0, healthy.stdout[-3000:]
    assert curl_status(fleet, host) == 200

    injected = fleet.sh(host, case.inject)
    assert injected.returncode == 0, injected.stderr
    if case.machine_inject:
        on_machine(fleet, host, case.machine_inject)
    if case.traffic:
        got = traffic(fleet, host, case.traffic)
        assert str(case.status) in got, got
    assert curl_status(fleet, host, case.path) == case.status

    state_command = STATE_COMMAND + (f"; {case.check_state}" if case.check_state else "")
    before = fleet.sh(host, state_command).stdout
    dry = ansible(fleet, str(BIN / "ansible-playbook"), "fix-502.yml", "--limit", host, "--check", "--diff")
    assert dry.returncode == 0, dry.stdout[-3000:]
    assert fleet.sh(host, state_command).stdout == before, "--check changed the host"
    if case.autofix:
        assert changed(dry.stdout, host) > 0, "--check must show the fix it would make"

    audit = ansible(
        fleet, str(BIN / "fix502"), "audit", "--limit", host, "--format", "json", "--fail-on", "info"
    )
    assert audit.returncode == 1, audit.stderr
    [report] = json.loads(audit.stdout)["hosts"]
    top = report["findings"][0]
    assert top["id"] == case.top_finding, report["findings"]
    if case.cause_contains:
        assert case.cause_contains in top["cause"]
    assert set(case.also_finds) <= {f["id"] for f in report["findings"]}, report["findings"]
    named = [f for f in report["findings"] if f["id"] in (case.top_finding, *case.also_finds)]
    # Auto-fixable: one of the findings that name the cause is one a role of the collection fixes.
    assert any(f["autofix"] for f in named) is case.autofix, named

    if not case.autofix:
        assert top["fix"], "a finding that is not fixed automatically must say what a person must do"
        return
    if case.before_fix:
        settled = fleet.sh(host, case.before_fix, timeout=300)
        assert settled.returncode == 0, settled.stdout + settled.stderr
    avail_before = avail_bytes(fleet, host, case.freed_on) if case.freed_bytes_min else 0
    fixed = ansible(fleet, str(BIN / "ansible-playbook"), "fix-502.yml", "--limit", host)
    assert fixed.returncode == 0, fixed.stdout[-4000:]
    assert curl_status(fleet, host, case.path) == case.fixed_status
    if case.freed_bytes_min:
        freed = avail_bytes(fleet, host, case.freed_on) - avail_before
        assert freed >= case.freed_bytes_min, f"only {freed} bytes freed on {case.freed_on}"
    if case.traffic:
        got = traffic(fleet, host, case.traffic)
        assert set(got) == {str(case.fixed_status)}, got
    if case.after_fix:
        checked = fleet.sh(host, case.after_fix)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    again = ansible(fleet, str(BIN / "ansible-playbook"), "fix-502.yml", "--limit", host)
    assert again.returncode == 0, again.stdout[-3000:]
    assert changed(again.stdout, host) == 0
    if case.survives_kill:
        killed = fleet.sh(host, KILL_AND_WAIT)
        assert killed.returncode == 0, killed.stdout + killed.stderr
        assert curl_status(fleet, host) == 200
