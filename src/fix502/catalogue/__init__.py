"""The one catalogue of checks: every finding fix502 reports is defined once, in this package.

Each category has its own module (resources.py, upstream.py, ...) holding its definitions: stable
ID, default severity, title, and cause and fix in plain English and Chinese. Cause and fix are
templates: the engine fills the ``{placeholders}`` from what it saw on the host. docs/checks.md is
generated from here.
"""

from __future__ import annotations

from fix502.catalogue import (
    cloud,
    container,
    errorlog,
    firewall,
    nginx,
    php,
    resources,
    rotation,
    service,
    upstream,
)
from fix502.catalogue.text import CheckDef, Text

LANGS = ("en", "zh")

# Root causes first: among findings of one severity, a report lists a dead unit before the
# backend nginx cannot reach, and both before the error-log lines that are their symptom.
_MODULES = (service, container, php, upstream, firewall, resources, nginx, errorlog, rotation, cloud)

CATEGORIES: dict[str, tuple[str, str]] = {
    m.CATEGORY[0]: (m.CATEGORY[1].en, m.CATEGORY[1].zh) for m in _MODULES
}

CHECKS: tuple[CheckDef, ...] = tuple(check for m in _MODULES for check in m.CHECKS)

# Position of each check in the catalogue: the order findings of equal severity are listed in.
ORDER: dict[str, int] = {check.id: index for index, check in enumerate(CHECKS)}

BY_ID: dict[str, CheckDef] = {c.id: c for c in CHECKS}

# Categories judged from a cloud provider's API by ``fix502 cloud``, not from a host: a host audit leaves
# them out unless they are named.
CLOUD_CATEGORIES = ("cloud",)

__all__ = [
    "BY_ID",
    "CATEGORIES",
    "CHECKS",
    "CLOUD_CATEGORIES",
    "LANGS",
    "ORDER",
    "CheckDef",
    "Text",
    "select",
]


def select(selectors: list[str] | None) -> list[CheckDef]:
    """Checks named by ID or category; every host check (not the cloud ones) when ``selectors`` is empty.

    Raises ValueError naming the first selector that is neither an ID nor a category.
    """
    if not selectors:
        return [c for c in CHECKS if c.category not in CLOUD_CATEGORIES]
    chosen: dict[str, CheckDef] = {}
    for raw in selectors:
        for item in (part.strip() for part in raw.split(",")):
            if not item:
                continue
            if item.upper() in BY_ID:
                chosen[item.upper()] = BY_ID[item.upper()]
            elif item.lower() in CATEGORIES:
                chosen.update({c.id: c for c in CHECKS if c.category == item.lower()})
            else:
                known = ", ".join([*BY_ID, *CATEGORIES])
                raise ValueError(f"unknown check or category {item!r} (known: {known})")
    return [c for c in CHECKS if c.id in chosen]
