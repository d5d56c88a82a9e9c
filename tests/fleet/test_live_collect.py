"""The collector's live parts on a real systemd host with php-fpm: pools read from php-fpm's own files,
the php-fpm socket and the directories above it as the host has them, and the processes of nginx and
php-fpm with their users and open-file limits, each checked against what the host itself says.

The host runs the scenarios' healthy site (nginx in front of fix502-app.service on 127.0.0.1:8000,
fastcgi_pass to php-fpm's socket).
"""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest
from fleet import Fleet
from fleet_ansible import BIN, REPO
from fleet_ansible import ansible as site_ansible

# the collector alone, with nothing declared
ansible = functools.partial(site_ansible, site_vars=False)

HEALTHY = REPO / "tests" / "fleet" / "scenarios" / "site" / "healthy.yml"
POOL_D = "/etc/php/8.2/fpm/pool.d"
SOCKET = "/run/php/php8.2-fpm.sock"
SECOND_POOL = f"{POOL_D}/fix502-second.conf"


def collect(fleet: Fleet, host: str) -> dict[str, Any]:
    done = ansible(fleet, str(BIN / "ansible"), host, "-m", "fix502.gateway.collect", json_output=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    result: dict[str, Any] = json.loads(done.stdout)["plays"][0]["tasks"][0]["hosts"][host]["collected"]
    return result


def grep_line(fleet: Fleet, host: str, pattern: str, path: str) -> tuple[int, str]:
    out = fleet.sh(host, f"grep -n '{pattern}' {path}", check=True).stdout.strip().splitlines()[0]
    number, _, text = out.partition(":")
    return int(number), text.split("=", 1)[1].strip()


@pytest.mark.fleet
def test_pools_sockets_and_processes_as_the_host_has_them(fleet: Fleet) -> None:
    host = fleet.names[0]
    site = ansible(fleet, str(BIN / "ansible-playbook"), str(HEALTHY), "--limit", host)
    assert site.returncode == 0, site.stdout[-3000:]
    # A second pool in php-fpm's own format (not started: only its configuration is read).
    second = "[second]\nuser = nobody\nlisten = /run/php/$pool.sock\npm.max_children = 3\n"
    fleet.sh(host, f"cat > {SECOND_POOL}", input=second, check=True)
    try:
        collected = collect(fleet, host)
    finally:
        fleet.sh(host, f"rm -f {SECOND_POOL}", check=True)

    pools = {p["name"]: p for p in collected["php_fpm"]["pools"]}
    www = pools["www"]
    line, value = grep_line(fleet, host, "^listen = ", f"{POOL_D}/www.conf")
    assert www["settings"]["listen"] == {"value": value, "file": f"{POOL_D}/www.conf", "line": line}
    line, value = grep_line(fleet, host, "^pm.max_children = ", f"{POOL_D}/www.conf")
    assert www["settings"]["pm.max_children"]["value"] == value
    assert (
        pools["second"]["settings"]["listen"]["value"] == "/run/php/second.sock"
    )  # $pool as php-fpm reads it
    assert pools["second"]["file"] == SECOND_POOL
    assert f"{POOL_D}/www.conf" in collected["php_fpm"]["files"]

    [sock] = [s for s in collected["targets"]["sockets"] if s["path"] == SOCKET]
    mode, owner, group = fleet.sh(host, f"stat -c '%04a %U %G' {SOCKET}", check=True).stdout.split()
    assert (sock["type"], sock["mode"], sock["owner"], sock["group"]) == ("socket", mode, owner, group)
    assert [p["path"] for p in sock["parents"]] == ["/", "/run", "/run/php"]

    by_role: dict[str, list[dict[str, Any]]] = {}
    for process in collected["processes"]:
        by_role.setdefault(process["role"], []).append(process)
    assert {w["user"] for w in by_role["nginx-worker"]} == {"www-data"}
    php = [p for p in by_role["backend"] if p["unit"] == "php8.2-fpm.service"]
    assert {p["user"] for p in php} == {"root", "www-data"}  # the master and its pool's workers
    assert all(p["serves"] == [f"unix:{SOCKET}"] for p in php)
    app = [p for p in by_role["backend"] if p["unit"] == "fix502-app.service"]
    assert [p["serves"] for p in app] == [["127.0.0.1:8000"]]
    for process in by_role["nginx-worker"] + php:
        limits = fleet.sh(
            host, f"grep 'Max open files' /proc/{process['pid']}/limits", check=True
        ).stdout.split()
        assert process["nofile_soft"] == int(limits[3]) and process["nofile_hard"] == int(limits[4])
        assert process["fd_count"] > 0
