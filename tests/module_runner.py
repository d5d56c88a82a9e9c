"""What unit and integration tests share: running a module file the way Ansible does, a tmpfs of its own.

tests/ is on sys.path (tests/conftest.py lives there), so a test imports this as ``module_runner``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest


def run_module(
    module: Path,
    tmp_path: Path,
    args: dict[str, Any],
    *,
    check_mode: bool | None = None,
    diff: bool | None = None,
    timeout: float = 300,
) -> dict[str, Any]:
    """Run the module file in a child Python the way Ansible's old-style wrapper does: args in a JSON
    file. ``check_mode`` and ``diff``, when given, are passed as Ansible passes them."""
    payload = dict(args)
    if check_mode is not None:
        payload["_ansible_check_mode"] = check_mode
    if diff is not None:
        payload["_ansible_diff"] = diff
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": payload}))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    done = subprocess.run(
        [sys.executable, str(module), str(args_file)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )
    assert done.stdout.strip(), done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@contextmanager
def tmpfs(mount: Path, options: str, device: str) -> Iterator[Path]:
    """A tmpfs of its own mounted on the new directory ``mount`` (mount options ``options``, device
    name ``device``), unmounted at the end; the test is skipped when it cannot be mounted."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, device, str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def nginx_dump(nginx: str, conf: Path, prefix: Path) -> str:
    """``nginx -T -q`` of ``conf`` with the prefix ``prefix``: the dump the collector returns."""
    return subprocess.run(
        [nginx, "-T", "-q", "-c", str(conf), "-p", f"{prefix}/"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
