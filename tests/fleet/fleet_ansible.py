"""Ansible, curl and kill -9 against the fleet, the way the fleet's tests run them.

``ansible(fleet, ANSIBLE_COMMAND, ARGS...)`` runs one of the venv's Ansible commands from the
repository's root (so ansible.cfg resolves the collection from the checkout) with the fleet's inventory
and, unless ``site_vars=False``, the scenario site's variables (tests/fleet/scenarios/site/
inventory_vars.yml: the declared backends and thresholds). ``changed`` reads a host's changed= count
from a play recap; ``curl_status`` asks a host's nginx from this machine; ``KILL_AND_WAIT`` is the
shell snippet that kills the site's backend with SIGKILL and waits for systemd to start a new one.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from fleet import Fleet

REPO = Path(__file__).resolve().parents[2]
SITE = REPO / "tests" / "fleet" / "scenarios" / "site"
BIN = Path(sys.executable).parent

# kill -9 the backend's main process and wait for systemd to bring a new one up on its port.
KILL_AND_WAIT = """
old=$(systemctl show -p MainPID --value fix502-app.service)
kill -9 "$old"
for i in $(seq 100); do
  new=$(systemctl show -p MainPID --value fix502-app.service)
  if [ "$new" != 0 ] && [ "$new" != "$old" ] && ss -Hltn 'sport = :8000' | grep -q 8000; then exit 0; fi
  sleep 0.2
done
echo "fix502-app.service did not come back after kill -9 (MainPID $old)"; exit 1
"""


def ansible(
    fleet: Fleet,
    *args: str,
    site_vars: bool = True,
    json_output: bool = False,
    timeout: float = 900.0,
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "ANSIBLE_NOCOLOR": "1"}
    if json_output:
        env.update(ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
    inventories = ["-i", str(fleet.inventory)]
    if site_vars:
        inventories += ["-i", str(SITE / "inventory_vars.yml")]
    return subprocess.run(
        [*args, *inventories],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def changed(output: str, host: str) -> int:
    """The changed= count of a host in a play recap."""
    match = re.search(rf"^{re.escape(host)}\s*:.*?changed=(\d+)", output, re.MULTILINE)
    assert match, output[-3000:]
    return int(match.group(1))


def curl_status(fleet: Fleet, host: str, path: str = "/", max_time: int = 20) -> int:
    """The HTTP status a real curl from this machine gets from a host's nginx (0: no answer)."""
    done = subprocess.run(
        [
            *("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", str(max_time)),
            f"http://{fleet.host(host).address}{path}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return int(done.stdout or 0)
