"""The fleet's tests get the session fixture ``fleet`` (fleet.py) and the marker ``fleet``.

pytest puts this folder on sys.path before it imports this file (it is no package), so ``fleet``
imports as a module here and in the tests beside it.
"""

from __future__ import annotations

import pytest
from fleet import fleet

__all__ = ["fleet"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fleet: runs on the fleet test bed of real hosts (tests/fleet/up)")
