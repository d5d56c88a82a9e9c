"""Running the collection's playbooks through ansible-runner and reading their events."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ansible_runner

from fix502.errors import RunError


@dataclass
class HostOutcome:
    """What one host's run of a task said: its result, or why there is none."""

    result: dict[str, Any] | None = None
    unreachable: str | None = None
    failed: str | None = None


@dataclass
class PlaybookRun:
    rc: int
    status: str
    outcomes: dict[str, dict[str, HostOutcome]] = field(default_factory=dict)
    stats: dict[str, dict[str, int]] = field(default_factory=dict)
    stdout: str = ""

    def outcome(self, task_action: str, host: str) -> HostOutcome | None:
        return self.outcomes.get(task_action, {}).get(host)


Progress = Callable[[str, str, str], None]


def _message(res: dict[str, Any]) -> str:
    text = str(res.get("msg") or res.get("stderr") or res.get("exception") or "no message").strip()
    return " ".join(text.split())[:500]


def run_playbook(
    root: Path,
    playbook: str,
    inventories: list[str],
    env: dict[str, str],
    *,
    limit: str | None = None,
    extravars: dict[str, Any] | None = None,
    cmdline: list[str] | None = None,
    progress: Progress | None = None,
    echo: bool = False,
    tmp_root: str | None = None,
) -> PlaybookRun:
    """Run ``playbook`` (relative to the collection root) and collect per-task, per-host outcomes.

    Outcomes are keyed by the task's action name (e.g. ``fix502.gateway.audit``); ``progress`` is
    called with (host, task action, state) as hosts finish each task; ``echo`` streams ansible's own output.
    """
    outcomes: dict[str, dict[str, HostOutcome]] = {}
    stats: dict[str, Any] = {}

    def on_event(event: dict[str, Any]) -> bool:
        data = event.get("event_data") or {}
        if event.get("event") == "playbook_on_stats":
            stats.update(data)
        host = data.get("host")
        action = str(data.get("task_action") or "")
        name = event.get("event", "")
        if echo and event.get("stdout"):
            sys.stdout.write(str(event["stdout"]) + "\n")
            sys.stdout.flush()
        if not host:
            return True
        res = data.get("res") or {}
        slot = outcomes.setdefault(action, {})
        if name == "runner_on_ok":
            slot[host] = HostOutcome(result=res)
        elif name == "runner_on_unreachable":
            slot[host] = HostOutcome(unreachable=_message(res))
        elif name == "runner_on_failed" and not data.get("ignore_errors"):
            slot[host] = HostOutcome(failed=_message(res))
        else:
            return True
        if progress:
            progress(host, action, name.removeprefix("runner_on_"))
        return True

    private = tempfile.mkdtemp(prefix="fix502-run-", dir=tmp_root)
    try:
        runner = ansible_runner.run(
            private_data_dir=private,
            project_dir=str(root),
            playbook=str(root / playbook),
            inventory=[str(Path(i).resolve()) if Path(i).exists() else i for i in inventories],
            limit=limit,
            extravars=extravars or {},
            envvars=env,
            cmdline=" ".join(cmdline or []) or None,
            quiet=True,
            event_handler=on_event,
        )
        stdout = runner.stdout.read() if runner.stdout else ""
    except Exception as exc:  # ansible-runner raises bare exceptions for setup problems
        raise RunError(f"ansible-runner could not run {playbook}: {exc}") from exc
    finally:
        shutil.rmtree(private, ignore_errors=True)
    if runner.status not in ("successful", "failed"):
        raise RunError(f"{playbook}: ansible-runner ended with status {runner.status} (rc {runner.rc})")
    per_host: dict[str, dict[str, int]] = {}
    for key in ("ok", "changed", "failures", "dark", "skipped", "rescued", "ignored"):
        for host, count in (stats.get(key) or {}).items():
            per_host.setdefault(host, {})[key] = int(count)
    return PlaybookRun(
        rc=int(runner.rc), status=str(runner.status), outcomes=outcomes, stats=per_host, stdout=stdout
    )
