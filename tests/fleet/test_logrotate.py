"""Log rotation on a real host: a backend's log and an nginx log no rule rotates, found, given a rule by the
role fix502.gateway.logrotate, and rotated for real by logrotate.

The host runs the scenario site (scenarios/site/healthy.yml): its backend writes /var/log/fix502-app/app.log
and holds it open, and nginx gets one more access log in a directory no Debian rule covers. The audit
(rotation checks only) must name both logs (LRT001); ``fix-502.yml --check`` must change nothing; the fix
writes /etc/logrotate.d/fix502-fix502-app (copytruncate) and /etc/logrotate.d/fix502-nginx (USR1 to nginx);
logrotate on the host accepts them (``logrotate -d``); ``logrotate -f`` really rotates both logs, compresses
the older ones, deletes nothing, and both writers go on writing into the new files; a second run changes
nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fleet import Fleet
from fleet_ansible import BIN, SITE, ansible, changed

pytestmark = [pytest.mark.fleet, pytest.mark.slow]

APP_LOG = "/var/log/fix502-app/app.log"
NGINX_DIR = "/srv/fix502-logs"
NGINX_LOG = f"{NGINX_DIR}/access.log"
EXTRA_CONF = "/etc/nginx/conf.d/fix502-logrotate-test.conf"
APP_RULE = "/etc/logrotate.d/fix502-fix502-app"
NGINX_RULE = "/etc/logrotate.d/fix502-nginx"
ROTATION_ONLY = json.dumps({"fix502_checks": ["rotation"]})
# What --check must leave as it was: logrotate's configuration, and which log files there are (their content
# grows: the verify play asks the site for its page).
STATE = (
    "find /etc/logrotate.d -type f -print0 | sort -z | xargs -0 sha256sum; "
    f"ls -a {NGINX_DIR} /var/log/fix502-app"
)


def requests(fleet: Fleet, host: str, count: int) -> None:
    """``count`` requests through nginx to the backend: a line in each log per request."""
    done = fleet.sh(
        host,
        f"for i in $(seq {count}); do curl -s -o /dev/null -w '%{{http_code}}\\n' http://127.0.0.1/; done",
        check=True,
    )
    assert done.stdout.split() == ["200"] * count, done.stdout


def lines(fleet: Fleet, host: str, command: str) -> list[str]:
    return fleet.sh(host, command, check=True).stdout.splitlines()


@pytest.fixture
def host(fleet: Fleet) -> Iterator[str]:
    """The scenario site on the fleet's first host, with one more nginx access log no rule covers."""
    name = fleet.names[0]
    healthy = ansible(fleet, str(BIN / "ansible-playbook"), str(SITE / "healthy.yml"), "--limit", name)
    assert healthy.returncode == 0, healthy.stdout[-3000:]
    fleet.sh(
        name,
        f"rm -rf {NGINX_DIR} && mkdir -p {NGINX_DIR} && "
        f"printf 'access_log {NGINX_LOG};\\n' > {EXTRA_CONF} && nginx -t && systemctl reload nginx && "
        "rm -f /var/lib/logrotate/fix502-test.status",
        check=True,
    )
    try:
        yield name
    finally:
        fleet.sh(
            name,
            f"rm -f {EXTRA_CONF} {APP_RULE} {NGINX_RULE} /var/lib/logrotate/fix502-test.status; "
            f"rm -rf {NGINX_DIR}; systemctl reload nginx",
        )


def test_uncovered_logs_get_a_rule_that_logrotate_really_applies(fleet: Fleet, host: str) -> None:
    requests(fleet, host, 5)
    assert len(lines(fleet, host, f"cat {APP_LOG}")) >= 5
    assert len(lines(fleet, host, f"cat {NGINX_LOG}")) == 5

    # The audit names both logs, each with its set and how its writer is made to let go of it.
    audit = ansible(
        fleet,
        str(BIN / "fix502"),
        "audit",
        "--limit",
        host,
        "--checks",
        "rotation",
        "--format",
        "json",
        "--fail-on",
        "info",
    )
    assert audit.returncode == 1, audit.stderr
    [report] = json.loads(audit.stdout)["hosts"]
    uncovered = {f["evidence"]["path"]: f for f in report["findings"] if f["id"] == "LRT001"}
    assert set(uncovered) == {APP_LOG, NGINX_LOG}, report["findings"]
    app, nginx = uncovered[APP_LOG], uncovered[NGINX_LOG]
    assert app["autofix"] and nginx["autofix"]
    assert app["fixed_by"] == "fix502.gateway.logrotate"
    assert app["evidence"]["values"]["set"] == "fix502-app"
    assert app["evidence"]["values"]["reopen"] == "copytruncate"
    assert nginx["evidence"]["values"]["reopen"] == "nginx"
    assert nginx["evidence"]["values"]["pid_file"] == "/run/nginx.pid"
    assert "backend fix502-app" in app["cause"] and "nginx (access_log)" in nginx["cause"]

    # --check shows the rules it would write and changes nothing.
    before = fleet.sh(host, STATE, check=True).stdout
    dry = ansible(
        fleet,
        str(BIN / "ansible-playbook"),
        "fix-502.yml",
        "--limit",
        host,
        "-e",
        ROTATION_ONLY,
        "--check",
        "--diff",
    )
    assert dry.returncode == 0, dry.stdout[-4000:]
    assert changed(dry.stdout, host) > 0
    assert APP_RULE in dry.stdout and NGINX_RULE in dry.stdout
    assert fleet.sh(host, STATE, check=True).stdout == before, "--check changed the host"
    assert fleet.sh(host, f"test ! -e {APP_RULE} && test ! -e {NGINX_RULE}").returncode == 0

    fixed = ansible(fleet, str(BIN / "ansible-playbook"), "fix-502.yml", "--limit", host, "-e", ROTATION_ONLY)
    assert fixed.returncode == 0, fixed.stdout[-4000:]
    assert changed(fixed.stdout, host) > 0, fixed.stdout[-4000:]

    app_rule = fleet.sh(host, f"cat {APP_RULE}", check=True).stdout
    assert f'"{APP_LOG}"' in app_rule and "copytruncate" in app_rule and "rotate 14" in app_rule
    assert "compress" in app_rule and "maxsize 100M" in app_rule and "daily" in app_rule
    nginx_rule = fleet.sh(host, f"cat {NGINX_RULE}", check=True).stdout
    assert f'"{NGINX_LOG}"' in nginx_rule and 'kill -USR1 "$(cat /run/nginx.pid)"' in nginx_rule
    assert "copytruncate" not in nginx_rule
    # logrotate itself accepts the rules, alone and in the whole configuration.
    for rule in (APP_RULE, NGINX_RULE):
        checked = fleet.sh(host, f"logrotate -d {rule} 2>&1")
        assert checked.returncode == 0, checked.stdout
    whole = fleet.sh(host, "logrotate -d /etc/logrotate.conf 2>&1")
    assert whole.returncode == 0 and "error:" not in whole.stdout, whole.stdout
    assert f"considering log {APP_LOG}" in whole.stdout and f"considering log {NGINX_LOG}" in whole.stdout

    # Rotate for real, twice, with new lines in between: both logs rotated, the older copy compressed.
    force = f"logrotate -f -s /var/lib/logrotate/fix502-test.status {APP_RULE} {NGINX_RULE}"
    first_app = lines(fleet, host, f"cat {APP_LOG}")
    first_nginx = lines(fleet, host, f"cat {NGINX_LOG}")
    fleet.sh(host, force, check=True)
    assert lines(fleet, host, f"cat {APP_LOG}.1") == first_app
    assert lines(fleet, host, f"cat {NGINX_LOG}.1") == first_nginx
    # The backend still holds its log: copytruncate emptied it in place; nginx reopened a new file.
    assert fleet.sh(host, f"stat -c %s {APP_LOG}", check=True).stdout.strip() == "0"
    requests(fleet, host, 3)
    second_app = lines(fleet, host, f"cat {APP_LOG}")
    second_nginx = lines(fleet, host, f"cat {NGINX_LOG}")
    assert len(second_app) == 3 and len(second_nginx) == 3, (second_app, second_nginx)
    assert lines(fleet, host, f"cat {APP_LOG}.1") == first_app, "the backend wrote into the rotated copy"
    assert lines(fleet, host, f"cat {NGINX_LOG}.1") == first_nginx, "nginx did not reopen its log"

    fleet.sh(host, force, check=True)
    assert lines(fleet, host, f"zcat {APP_LOG}.2.gz") == first_app
    assert lines(fleet, host, f"zcat {NGINX_LOG}.2.gz") == first_nginx
    assert lines(fleet, host, f"cat {APP_LOG}.1") == second_app
    assert lines(fleet, host, f"cat {NGINX_LOG}.1") == second_nginx
    assert sorted(lines(fleet, host, f"ls {NGINX_DIR}")) == ["access.log", "access.log.1", "access.log.2.gz"]
    assert sorted(lines(fleet, host, "ls /var/log/fix502-app")) == ["app.log", "app.log.1", "app.log.2.gz"]

    # The logs are covered now: a second run finds nothing to fix and changes nothing.
    again = ansible(fleet, str(BIN / "ansible-playbook"), "fix-502.yml", "--limit", host, "-e", ROTATION_ONLY)
    assert again.returncode == 0, again.stdout[-4000:]
    assert changed(again.stdout, host) == 0, again.stdout[-4000:]
    before = fleet.sh(host, STATE, check=True).stdout
    dry = ansible(
        fleet, str(BIN / "ansible-playbook"), "fix-502.yml", "--limit", host, "-e", ROTATION_ONLY, "--check"
    )
    assert dry.returncode == 0 and changed(dry.stdout, host) == 0, dry.stdout[-4000:]
    assert fleet.sh(host, STATE, check=True).stdout == before
