"""The functions that judge collected evidence, one module per category of the catalogue."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from fix502.checks.context import HostContext
from fix502.model import Evidence, Severity


@dataclass(frozen=True)
class Hit:
    """One problem a check saw: the values its texts need and where it was seen."""

    check_id: str
    values: dict[str, str]
    evidence: Evidence
    severity: Severity | None = None
    autofix: bool | None = None


CheckFunction = Callable[[HostContext], Iterable[Hit]]

REGISTRY: dict[str, CheckFunction] = {}


def judges(check_id: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register a function as the judge of one catalogue ID."""

    def register(func: CheckFunction) -> CheckFunction:
        if check_id in REGISTRY:
            raise RuntimeError(f"check {check_id} has two judges")
        REGISTRY[check_id] = func
        return func

    return register


def load_all() -> dict[str, CheckFunction]:
    # importing them registers the judges
    from fix502.checks import (  # noqa: F401
        container,
        errorlog,
        firewall,
        host_resources,
        nginx,
        php,
        resources,
        rotation,
        service,
        upstream,
        upstream_live,
    )

    return REGISTRY
