"""``fix502 fix``: run fix-502.yml (audit, fix, verify) and say what the run means."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fix502 import inventory
from fix502.collection import ansible_env
from fix502.runner import PlaybookRun, run_playbook

FIX_PLAYBOOK = "fix-502.yml"


@dataclass
class FixRequest:
    inventories: list[str]
    limit: str | None
    lang: str
    check: bool = False
    diff: bool = False
    echo: bool = True
    env: dict[str, str] = field(default_factory=dict)
    tmp_root: str | None = None


@dataclass
class FixOutcome:
    run: PlaybookRun
    unreachable: list[str]
    failed: list[str]
    changed: list[str]


def run_fix(request: FixRequest, root: Path) -> FixOutcome:
    env = ansible_env(root) | request.env
    inventory.load(request.inventories, request.limit, env)
    cmdline = [flag for flag, wanted in (("--check", request.check), ("--diff", request.diff)) if wanted]
    run = run_playbook(
        root,
        FIX_PLAYBOOK,
        request.inventories,
        env,
        limit=request.limit,
        extravars={"fix502_lang": request.lang},
        cmdline=cmdline,
        echo=request.echo,
        tmp_root=request.tmp_root,
    )
    return FixOutcome(
        run=run,
        unreachable=sorted(h for h, s in run.stats.items() if s.get("dark")),
        failed=sorted(h for h, s in run.stats.items() if s.get("failures")),
        changed=sorted(h for h, s in run.stats.items() if s.get("changed")),
    )
