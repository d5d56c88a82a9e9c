"""A real site for the end-to-end tests: the system nginx on loopback in front of a real backend."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fix502.demo import DemoSite, find_nginx

REPO = Path(__file__).resolve().parents[2]


def site_dir(tmp_path: Path) -> Path:
    """The directory of a test site, readable by nginx's workers; the system nginx needs root."""
    if os.geteuid() != 0:
        pytest.fail("the end-to-end tests run the system nginx as root, as CI does")
    root = tmp_path / "site"
    root.mkdir(mode=0o755)
    os.chmod(tmp_path, 0o755)
    return root


@pytest.fixture
def site(tmp_path: Path) -> Iterator[DemoSite]:
    """A healthy site: nginx on a free loopback port proxying to a running backend."""
    demo = DemoSite(site_dir(tmp_path), find_nginx())
    demo.write()
    demo.start()
    try:
        yield demo
    finally:
        demo.stop()


@pytest.fixture
def broken_site(site: DemoSite) -> DemoSite:
    """The same site after its backend was killed with SIGKILL: nginx answers 502."""
    site.kill_backend()
    return site


def run_ansible(command: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """An ansible command of this venv (ansible-playbook, ansible-doc, ...) run from the checkout."""
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "ANSIBLE_NOCOLOR": "1",
    }
    return subprocess.run(
        [command, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m fix502 ARGS`` as a user runs it, from a directory outside the checkout."""
    return subprocess.run(
        [sys.executable, "-m", "fix502", *args],
        capture_output=True,
        text=True,
        cwd=cwd or Path("/"),
        timeout=300,
        check=False,
    )
