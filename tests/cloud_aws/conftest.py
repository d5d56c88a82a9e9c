"""AWS over HTTP: moto's standalone server on 127.0.0.1 and a free port, boto3 pointed at it.

The server (moto_paging.py: moto with DescribeSecurityGroups paginated like EC2) starts once per test
session; each test starts from an empty state (moto's reset API). Credentials are moto's dummy ones,
given to boto3 through the environment: the SDK's standard chain, as in production.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from aws_site import REGION, Aws

boto3 = pytest.importorskip("boto3")

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode} before answering on {url}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answered on {url} within {timeout}s")


def start_moto(tmp_dir: Path) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    log = open(tmp_dir / "moto.log", "wb")  # noqa: SIM115 - kept open for the server's life
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "moto_paging.py"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/moto-api/", proc)
    return url, proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="session")
def aws_credentials(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """moto's dummy credentials in the environment; no shared config of this machine is read."""
    home = tmp_path_factory.mktemp("aws-home")
    saved = {k: os.environ.get(k) for k in _AWS_ENV}
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": str(home / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


_AWS_ENV = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_EC2_METADATA_DISABLED",
)


@pytest.fixture(scope="session")
def moto_url(aws_credentials: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, proc = start_moto(tmp_path_factory.mktemp("moto"))
    try:
        yield url
    finally:
        stop(proc)


@pytest.fixture
def aws(moto_url: str) -> Aws:
    """Clients on an emptied moto server."""
    request = urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=10):
        pass
    return Aws(
        url=moto_url,
        ec2=boto3.client("ec2", region_name=REGION, endpoint_url=moto_url),
        elbv2=boto3.client("elbv2", region_name=REGION, endpoint_url=moto_url),
    )
