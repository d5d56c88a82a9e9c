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
    )


def all_cases() -> list[Path]:
    return sorted(CASES_DIR.glob("*.yml"))
