"""Reading an inventory the way ansible will, before a run, so mistakes stop it early."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fix502.errors import InventoryError

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class Inventory:
    sources: list[str]
    hosts: list[str]
    hostvars: dict[str, dict[str, Any]]


def _first_error(stderr: str) -> str:
    lines = [_ANSI.sub("", line).strip() for line in stderr.splitlines()]
    errors = [line for line in lines if line.startswith(("[ERROR]", "ERROR"))]
    warnings = [line for line in lines if line.startswith("[WARNING]") and "parse" in line.lower()]
    picked = (errors or warnings or [line for line in lines if line] or ["ansible-inventory failed"])[0]
    return re.sub(r"^\[?(ERROR|WARNING)\]?:?\s*", "", picked)


def load(sources: list[str], limit: str | None, env: dict[str, str]) -> Inventory:
    """Parse the inventory sources with ansible-inventory; InventoryError names the source at fault."""
    for source in sources:
        if "," not in source and not Path(source).exists():
            raise InventoryError(f"inventory {source}: no such file or directory")
    command = [sys.executable, "-m", "ansible.cli.inventory", "--list"]
    for source in sources:
        command += ["-i", source]
    if limit:
        command += ["--limit", limit]
    completed = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, **env}, timeout=300, check=False
    )
    if completed.returncode != 0:
        raise InventoryError(f"inventory {', '.join(sources)}: {_first_error(completed.stderr)}")
    try:
        data = json.loads(completed.stdout)
    except json.JSONDecodeError as exc:
        raise InventoryError(
            f"inventory {', '.join(sources)}: unreadable ansible-inventory output ({exc})"
        ) from None
    hostvars: dict[str, dict[str, Any]] = data.get("_meta", {}).get("hostvars", {})
    hosts = sorted(_hosts_of(data, "all", set()))
    if not hosts:
        where = f" matches --limit {limit}" if limit else ""
        raise InventoryError(f"inventory {', '.join(sources)}: no host{where}")
    return Inventory(sources=sources, hosts=hosts, hostvars={h: hostvars.get(h, {}) for h in hosts})


def _hosts_of(data: dict[str, Any], group: str, seen: set[str]) -> set[str]:
    if group in seen:
        return set()
    seen.add(group)
    entry = data.get(group, {})
    hosts = set(entry.get("hosts", []))
    for child in entry.get("children", []):
        hosts |= _hosts_of(data, child, seen)
    return hosts
