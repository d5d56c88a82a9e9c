"""A backend nobody declared, on a real systemd host: found behind nginx by its unit, judged by SVC001,
given a restart policy by fix-502.yml, and brought back by systemd after a kill -9.

The host runs the scenarios' healthy site (nginx on port 80 in front of fix502-app.service on
127.0.0.1:8000, which has no restart policy; php-fpm behind fastcgi_pass), audited with the fleet's
own inventory, which declares no backend at all.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator

import pytest
from fleet import Fleet
from fleet_ansible import BIN, KILL_AND_WAIT, REPO, ansible, changed

# nothing declared: the backends must be found behind nginx's targets
run = functools.partial(ansible, site_vars=False)

HEALTHY = REPO / "tests" / "fleet" / "scenarios" / "site" / "healthy.yml"
DROP_IN = "fix502-restart.conf"
# Only the service checks: what this test is about, and the role that fixes them.
ONLY_SERVICES = json.dumps({"fix502_checks": ["service"]})


def remove_drop_ins(fleet: Fleet, host: str) -> None:
    fleet.sh(host, f"rm -f /etc/systemd/system/*.service.d/{DROP_IN}; systemctl daemon-reload", check=True)


@pytest.fixture
def healthy_host(fleet: Fleet) -> Iterator[str]:
    host = fleet.names[0]
    remove_drop_ins(fleet, host)
    site = run(fleet, str(BIN / "ansible-playbook"), str(HEALTHY), "--limit", host)
    assert site.returncode == 0, site.stdout[-3000:]
    try:
        yield host
    finally:
        remove_drop_ins(fleet, host)
        fleet.sh(host, "systemctl restart fix502-app.service", check=True)


@pytest.mark.fleet
def test_an_undeclared_backend_is_found_by_its_unit_and_fixed(fleet: Fleet, healthy_host: str) -> None:
    host = healthy_host
    assert "fix502_backend_services" not in fleet.inventory.read_text(encoding="utf-8")

    audit = run(
        fleet,
        str(BIN / "fix502"),
        "audit",
        "--limit",
        host,
        "--format",
        "json",
        "--checks",
        "service",
        "--fail-on",
        "medium",
    )
    assert audit.returncode == 1, audit.stderr
    [report] = json.loads(audit.stdout)["hosts"]
    no_policy = {f["evidence"]["unit"]: f for f in report["findings"] if f["id"] == "SVC001"}
    app = no_policy["fix502-app.service"]
    assert app["evidence"]["values"] == {"Restart": "no", "discovered_listening_on": "127.0.0.1:8000"}
    assert app["cause"].startswith("fix502-app.service (backend fix502-app) has Restart=no")
    assert app["autofix"] is True and app["fixed_by"] == "fix502.gateway.restart_policy"
    php = no_policy["php8.2-fpm.service"]  # behind fastcgi_pass, found by its unix socket
    assert php["evidence"]["values"]["discovered_listening_on"] == "unix:/run/php/php8.2-fpm.sock"

    dry = run(
        fleet, str(BIN / "ansible-playbook"), "fix-502.yml", "--limit", host, "--check", "-e", ONLY_SERVICES
    )
    assert dry.returncode == 0, dry.stdout[-3000:]
    assert changed(dry.stdout, host) > 0
    assert fleet.sh(host, f"ls /etc/systemd/system/fix502-app.service.d/{DROP_IN}").returncode != 0

    fixed = run(fleet, str(BIN / "ansible-playbook"), "fix-502.yml", "--limit", host, "-e", ONLY_SERVICES)
    assert fixed.returncode == 0, fixed.stdout[-4000:]
    restart = fleet.sh(host, "systemctl show -p Restart --value fix502-app.service", check=True)
    assert restart.stdout.strip() == "on-failure"
    killed = fleet.sh(host, KILL_AND_WAIT)
    assert killed.returncode == 0, killed.stdout + killed.stderr

    again = run(fleet, str(BIN / "ansible-playbook"), "fix-502.yml", "--limit", host, "-e", ONLY_SERVICES)
    assert again.returncode == 0, again.stdout[-3000:]
    assert changed(again.stdout, host) == 0
    after = run(
        fleet,
        str(BIN / "fix502"),
        "audit",
        "--limit",
        host,
        "--format",
        "json",
        "--checks",
        "service",
        "--fail-on",
        "medium",
    )
    [report] = json.loads(after.stdout)["hosts"]
    assert "fix502-app.service" not in {f["evidence"].get("unit") for f in report["findings"]}
