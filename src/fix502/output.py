"""Writing a report where the user asked: stdout, or a file replaced in one step."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from fix502.errors import UsageError


def check_writable(path: str) -> None:
    """Fail before any work when ``path`` cannot be written, naming it."""
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"--output {path}: is a directory")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"--output {path}: directory {parent} does not exist")
    if target.exists() and not os.access(target, os.W_OK):
        raise UsageError(f"--output {path}: not writable")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"--output {path}: directory {parent} is not writable")


def write(text: str, path: str | None) -> None:
    """Print ``text``, or write it to ``path`` atomically: the old file stays whole on failure."""
    if path is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent if str(target.parent) else ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text if text.endswith("\n") else text + "\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UsageError(f"--output {path}: {exc.strerror or exc}") from None
