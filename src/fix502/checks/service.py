"""Services: the systemd units of the backends, from the properties the collector read.

The backends are the declared ones (``fix502_backend_services``) and, for the targets of nginx no
declaration covers, the services owning their listening sockets (fix502.discovery), named by unit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fix502.checks import Hit, judges
from fix502.checks.context import HostContext
from fix502.model import Evidence, Severity

# A unit restarted this often since boot is crash-looping rather than unlucky.
CRASH_LOOP_RESTARTS = 3
_ENABLED = ("enabled", "enabled-runtime", "static", "alias", "indirect", "generated", "transient")


def systemd_backends(ctx: HostContext) -> Iterator[tuple[dict[str, Any], dict[str, str]]]:
    """Backends run by systemd whose unit properties were collected: declared ones, then discovered ones."""
    for service in [*(ctx.collected.get("backend_services") or []), *ctx.discovery.services]:
        properties = service.get("properties") or {}
        if service.get("manager", "systemd") == "systemd" and properties.get("LoadState") == "loaded":
            yield service, {str(k): str(v) for k, v in properties.items()}


def is_crash_looping(properties: dict[str, str]) -> bool:
    """Restarted again and again without staying up, or stopped by its start limit."""
    restarts = int(properties.get("NRestarts", "0") or 0)
    looping = restarts >= CRASH_LOOP_RESTARTS and properties.get("ActiveState") != "active"
    return looping or properties.get("Result") == "start-limit-hit"


def _evidence(service: dict[str, Any], properties: dict[str, str], *keys: str) -> Evidence:
    values = [(k, properties.get(k, "")) for k in keys]
    if service.get("discovered"):
        values.append(("discovered_listening_on", ", ".join(service.get("listens") or [])))
    return Evidence(unit=str(service.get("unit")), values=tuple(values))


@judges("SVC001")
def no_restart_policy(ctx: HostContext) -> Iterator[Hit]:
    for service, properties in systemd_backends(ctx):
        restart = properties.get("Restart", "no")
        if restart in ("no", ""):
            yield Hit(
                "SVC001",
                {"unit": str(service["unit"]), "name": str(service["name"]), "restart": restart or "no"},
                _evidence(service, properties, "Restart"),
            )


@judges("SVC002")
def not_enabled(ctx: HostContext) -> Iterator[Hit]:
    for service, properties in systemd_backends(ctx):
        state = properties.get("UnitFileState", "")
        if state and state not in _ENABLED:
            yield Hit(
                "SVC002",
                {"unit": str(service["unit"]), "name": str(service["name"]), "state": state},
                _evidence(service, properties, "UnitFileState"),
            )


@judges("SVC003")
def crash_loop(ctx: HostContext) -> Iterator[Hit]:
    for service, properties in systemd_backends(ctx):
        restarts = int(properties.get("NRestarts", "0") or 0)
        state = f"{properties.get('ActiveState', '')}/{properties.get('SubState', '')}"
        if is_crash_looping(properties):
            yield Hit(
                "SVC003",
                {
                    "unit": str(service["unit"]),
                    "name": str(service["name"]),
                    "restarts": str(restarts),
                    "state": state,
                },
                _evidence(service, properties, "NRestarts", "ActiveState", "SubState", "Result"),
                severity=Severity.CRITICAL if properties.get("ActiveState") != "active" else None,
            )


@judges("SVC004")
def oom_killed(ctx: HostContext) -> Iterator[Hit]:
    for service, properties in systemd_backends(ctx):
        if properties.get("Result") == "oom-kill":
            yield Hit(
                "SVC004",
                {"unit": str(service["unit"]), "name": str(service["name"]), "result": "oom-kill"},
                _evidence(service, properties, "Result", "ActiveState"),
            )
