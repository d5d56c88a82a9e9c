"""Make the checkout importable as the collection: ansible_collections.fix502.gateway.*.

The repository root is the collection; collections/ansible_collections/fix502/gateway links
back to it, so putting <repo>/collections on sys.path is enough.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COLLECTIONS = REPO / "collections"

if not (COLLECTIONS / "ansible_collections" / "fix502" / "gateway" / "galaxy.yml").exists():
    raise RuntimeError(f"{COLLECTIONS}/ansible_collections/fix502/gateway does not lead to the repo root")
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
