"""``fix502 audit``: run the audit play over an inventory and build one report of every host."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fix502 import inventory
from fix502.catalogue import CheckDef
from fix502.collection import ansible_env, collection_root
from fix502.engine import new_report
from fix502.model import HostReport, HostStatus, Report
from fix502.runner import run_playbook

AUDIT_PLAYBOOK = "playbooks/audit.yml"
AUDIT_ACTION = "fix502.gateway.audit"


@dataclass
class AuditRequest:
    inventories: list[str]
    limit: str | None
    checks: Sequence[CheckDef]
    lang: str
    thresholds: dict[str, str]
    progress: bool
    env: dict[str, str] = field(default_factory=dict)
    tmp_root: str | None = None


class _Progress:
    """One self-overwriting line on a terminal: how many hosts are done."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total = total
        self.done: set[str] = set()
        self.enabled = enabled

    def __call__(self, host: str, action: str, state: str) -> None:
        if not self.enabled or (action != AUDIT_ACTION and state != "unreachable"):
            return
        self.done.add(host)
        sys.stderr.write(f"\r\033[Kaudited {len(self.done)}/{self.total} hosts (last: {host}, {state})")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled and self.done:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def run_audit(request: AuditRequest, root: Path | None = None) -> Report:
    root = root or collection_root()
    env = ansible_env(root) | request.env
    inv = inventory.load(request.inventories, request.limit, env)
    progress = _Progress(len(inv.hosts), request.progress)
    extravars: dict[str, object] = {
        "fix502_checks": [c.id for c in request.checks],
        "fix502_lang": request.lang,
    }
    if request.thresholds:
        extravars["fix502_cli_thresholds"] = request.thresholds
    try:
        run = run_playbook(
            root,
            AUDIT_PLAYBOOK,
            request.inventories,
            env,
            limit=request.limit,
            extravars=extravars,
            progress=progress,
        )
    finally:
        progress.close()
    hosts: list[HostReport] = []
    for host in inv.hosts:
        outcome = run.outcome(AUDIT_ACTION, host)
        if outcome is None:
            hosts.append(
                HostReport(name=host, status=HostStatus.FAILED, message="the audit did not run on this host")
            )
        elif outcome.unreachable is not None:
            hosts.append(HostReport(name=host, status=HostStatus.UNREACHABLE, message=outcome.unreachable))
        elif outcome.failed is not None:
            hosts.append(HostReport(name=host, status=HostStatus.FAILED, message=outcome.failed))
        else:
            assert outcome.result is not None
            hosts.append(HostReport.from_dict(outcome.result["report"]))
    return new_report(hosts, request.checks, request.lang)
