"""The disk_relief module vacuums a real systemd journal on a fleet host.

On the fleet's hosts the journal has a filesystem of its own (podman mounts a tmpfs on
/var/log/journal for a systemd container), so that is the filesystem to relieve here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fleet import Fleet

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

# Archived journal files of the host (journald's name for them has an '@'), with their sizes.
ARCHIVED = "find /var/log/journal -name '*@*.journal' -printf '%p %b\\n' | sort"


def relieve(fleet: Fleet, host: str, *extra: str, **args: Any) -> dict[str, Any]:
    """Run the module on one host with ad-hoc ansible; its result as JSON."""
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
    }
    done = subprocess.run(
        [
            str(BIN / "ansible"),
            host,
            "-i",
            str(fleet.inventory),
            "-m",
            "fix502.gateway.disk_relief",
            "-a",
            json.dumps(args),
            *extra,
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.stdout.strip(), done.stderr
    result: dict[str, Any] = json.loads(done.stdout)["plays"][0]["tasks"][0]["hosts"][host]
    return result


@pytest.mark.fleet
def test_journal_is_vacuumed_to_the_limit_and_only_archived_files_go(fleet: Fleet) -> None:
    host = fleet.names[-1]
    # The journal, with a few archived files of a few MB each.
    fleet.sh(
        host,
        "for i in 1 2 3 4 5; do "
        "head -c 600000 /dev/urandom | base64 | systemd-cat -t fix502-fill; journalctl --rotate; done",
        check=True,
        timeout=120,
    )
    archived = fleet.sh(host, ARCHIVED, check=True).stdout
    assert len(archived.splitlines()) >= 5, archived
    args = {"filesystems": ["/var/log/journal"], "log_dirs": [], "journal_max_size": "1M"}

    dry = relieve(fleet, host, "--check", **args)
    assert dry.get("failed") is not True, dry
    assert fleet.sh(host, ARCHIVED).stdout == archived, "--check removed journal files"
    [would] = dry["actions"]
    assert would["action"] == "vacuum_journal" and would["path"] == "/var/log/journal"
    assert would["estimated"] is True and would["freed_bytes"] > 1_000_000

    done = relieve(fleet, host, **args)
    assert done.get("failed") is not True, done
    assert done["changed"] is True
    [vacuum] = done["actions"]
    gone = fleet.sh(host, ARCHIVED).stdout
    freed = sum(int(line.split()[1]) * 512 for line in archived.splitlines() if line not in gone.splitlines())
    assert vacuum["freed_bytes"] == freed > 1_000_000
    assert done["filesystems"][0]["freed_bytes"] == freed
    # The active journal is kept and journald still writes to it.
    assert (
        fleet.sh(host, "test -s /var/log/journal/*/system.journal && logger fix502-still-logging").returncode
        == 0
    )

    again = relieve(fleet, host, **args)
    assert again["changed"] is False, again
