"""journald's settings from the raw files the collector read, merged the way systemd merges them.

The main file is the first of /etc/systemd/journald.conf, /run/..., /usr/local/lib/..., /usr/lib/...
that exists; then the drop-ins (``journald.conf.d/*.conf`` in the same four places, a name in an earlier
place hiding the same name in a later one, a link to /dev/null hiding it altogether) in the order of their
names. In the ``[Journal]`` section a later assignment wins, and an empty one puts the default back.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MAIN_FILES = (
    "/etc/systemd/journald.conf",
    "/run/systemd/journald.conf",
    "/usr/local/lib/systemd/journald.conf",
    "/usr/lib/systemd/journald.conf",
)
DROPIN_DIRS = (
    "/etc/systemd/journald.conf.d",
    "/run/systemd/journald.conf.d",
    "/usr/local/lib/systemd/journald.conf.d",
    "/usr/lib/systemd/journald.conf.d",
)
PERSISTENT_DIR = "/var/log/journal"
VOLATILE_DIR = "/run/log/journal"
_FACTORS = {"": 1, "B": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4, "P": 1024**5, "E": 1024**6}


@dataclass(frozen=True)
class Setting:
    value: str
    file: str
    line: int


@dataclass
class Journald:
    settings: dict[str, Setting] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    usage_bytes: int = 0
    dirs: dict[str, bool] = field(default_factory=dict)

    def get(self, key: str) -> Setting | None:
        return self.settings.get(key)

    @property
    def storage(self) -> str:
        setting = self.get("Storage")
        return setting.value if setting else "auto"

    @property
    def persistent(self) -> bool:
        """Whether the journal is kept on disk (Storage=persistent, or auto with /var/log/journal)."""
        return self.storage == "persistent" or (
            self.storage == "auto" and self.dirs.get(PERSISTENT_DIR, False)
        )


def parse_bytes(value: str) -> int | None:
    """Bytes of a systemd size (``500M``, ``1G``, ``4096``); None when it is not one."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGTPE]?)B?\s*", value, re.I)
    if match is None:
        return None
    return int(float(match.group(1)) * _FACTORS[match.group(2).upper()])


def _assignments(text: str) -> list[tuple[int, str, str]]:
    found = []
    section = ""
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        if section != "Journal" or "=" not in line:
            continue
        key, value = line.split("=", 1)
        found.append((number, key.strip(), value.strip()))
    return found


def merge(config_files: Sequence[Mapping[str, Any]]) -> tuple[list[Mapping[str, Any]], list[str]]:
    """The files systemd reads, in order (main file, then drop-ins by name), and the paths it skips."""
    by_path = {str(f.get("path")): f for f in config_files}
    ordered: list[Mapping[str, Any]] = []
    skipped: list[str] = []
    main = next((path for path in MAIN_FILES if path in by_path), None)
    if main is not None:
        ordered.append(by_path[main])
    dropins: dict[str, Mapping[str, Any]] = {}
    for directory in DROPIN_DIRS:
        for path, entry in by_path.items():
            if posixpath.dirname(path) != directory or not path.endswith(".conf"):
                continue
            name = posixpath.basename(path)
            if name in dropins:
                skipped.append(path)
            else:
                dropins[name] = entry
    for name in sorted(dropins):
        entry = dropins[name]
        if entry.get("masked"):
            skipped.append(str(entry.get("path")))
        else:
            ordered.append(entry)
    return ordered, skipped


def from_collected(collected: Mapping[str, Any]) -> Journald | None:
    """journald's effective settings from ``collected["journald"]``; None when nothing was collected."""
    if not collected:
        return None
    files, _skipped = merge(collected.get("config_files") or [])
    result = Journald(
        usage_bytes=int(collected.get("disk_usage_bytes") or 0),
        dirs={str(d.get("path")): bool(d.get("exists")) for d in collected.get("journal_dirs") or []},
    )
    for entry in files:
        path = str(entry.get("path"))
        result.files.append(path)
        for number, key, value in _assignments(str(entry.get("text") or "")):
            if value == "":
                result.settings.pop(key, None)
            else:
                result.settings[key] = Setting(value, path, number)
    return result
