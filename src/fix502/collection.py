"""Where the fix502.gateway collection lives: its playbooks and ansible.cfg."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from fix502.errors import CollectionNotFoundError

ENV_ROOT = "FIX502_COLLECTION_ROOT"


def _is_collection(path: Path) -> bool:
    return (path / "galaxy.yml").is_file() and (path / "fix-502.yml").is_file()


def collection_root() -> Path:
    """The checkout (or installed copy) of the collection this package drives.

    Looked up in order: $FIX502_COLLECTION_ROOT, the checkout this package was installed from
    (``pip install -e .``), then ansible_collections/fix502/gateway in the usual collection paths.
    """
    explicit = os.environ.get(ENV_ROOT)
    if explicit:
        path = Path(explicit).resolve()
        if not _is_collection(path):
            raise CollectionNotFoundError(f"{ENV_ROOT}={explicit}: no galaxy.yml and fix-502.yml there")
        return path
    for parent in Path(__file__).resolve().parents:
        if _is_collection(parent):
            return parent
    search = [Path.home() / ".ansible/collections", Path("/usr/share/ansible/collections")]
    for base in search:
        candidate = base / "ansible_collections" / "fix502" / "gateway"
        if _is_collection(candidate):
            return candidate
    raise CollectionNotFoundError(
        f"cannot find the fix502.gateway collection: set {ENV_ROOT} to its directory "
        "(the checkout holding galaxy.yml and fix-502.yml)"
    )


def ansible_env(root: Path) -> dict[str, str]:
    """Environment for ansible commands run on behalf of the CLI."""
    scripts = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    env = {
        # ansible's own commands from the environment fix502 runs in, even when it is not activated
        "PATH": path if path.split(os.pathsep)[0] == scripts else os.pathsep.join([scripts, path]),
        "ANSIBLE_CONFIG": str(root / "ansible.cfg"),
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True",
        "ANSIBLE_NOCOLOR": "True",
        "ANSIBLE_DEPRECATION_WARNINGS": "False",
    }
    return env
