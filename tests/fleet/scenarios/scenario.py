"""A fault-injection scenario, read from its YAML file in cases/: one cause, what it must look like."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

CASES_DIR = Path(__file__).resolve().parent / "cases"


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    inject: str
    status: int
    top_finding: str
    autofix: bool
    cause_contains: str | None
    fixed_status: int
    also_finds: tuple[str, ...]
    survives_kill: bool
    path: str
    # A shell command whose output `--check` must leave the same (beside the configuration and units).
    check_state: str | None = None
    # A shell command that must succeed after the fix (e.g. that no log content was lost).
    after_fix: str | None = None
    # At least this many bytes must be free on freed_on after the fix than before it.
    freed_bytes_min: int = 0
    freed_on: str = "/var/log"
    # Shell run on this machine, not the host, after inject (machine_inject) and before each
    # scenario and at its end (machine_reset): for what the host cannot do to itself, such as the
    # sysctls of its network namespace. Env: FIX502_HOST, FIX502_HOST_PID, FIX502_HOST_ADDRESS.
    machine_inject: str | None = None
    machine_reset: str | None = None
    # Shell run on the host that sends many requests and prints "STATUS COUNT" lines: after inject
    # its statuses must include the expected one, after the fix they must all be fixed_status.
    traffic: str | None = None
    # Shell run on the host after the audit, before the fix: waits out what no fix can undo.
    before_fix: str | None = None


def load(path: Path) -> Scenario:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    expect = data["expect"]
    return Scenario(
        name=path.stem,
        description=data["description"],
        inject=data["inject"],
        status=int(expect["status"]),
        top_finding=str(expect["top_finding"]),
        autofix=bool(expect["autofix"]),
        cause_contains=expect.get("cause_contains"),
        fixed_status=int(data.get("fixed_status", 200)),
        also_finds=tuple(expect.get("also_finds", ())),
        survives_kill=bool(data.get("survives_kill", False)),
        path=str(data.get("path", "/")),
        check_state=data.get("check_state"),
        after_fix=data.get("after_fix"),
        freed_bytes_min=int(expect.get("freed_bytes_min", 0)),
        freed_on=str(expect.get("freed_on", "/var/log")),
        machine_inject=data.get("machine_inject"),
        machine_reset=data.get("machine_reset"),
        traffic=data.get("traffic"),
        before_fix=data.get("before_fix"),
    )


def all_cases() -> list[Path]:
    return sorted(CASES_DIR.glob("*.yml"))
