"""fix502.gateway.security_group_rule through ansible-playbook against the Alibaba Cloud and Tencent Cloud
emulators: check mode changes nothing, the fix is visible to the next read, a second run changes nothing."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cloud_emulators._server import Emulator
from cloud_emulators.aliyun_ecs import AliyunEcsEmulator
from cloud_emulators.tencent import TencentEmulator
from conftest import run_ansible

REGIONS = {"aliyun": "cn-hangzhou", "tencent": "ap-guangzhou"}

pytestmark = pytest.mark.slow


@pytest.fixture(params=["aliyun", "tencent"])
def api(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Emulator]]:
    key_id, secret = "KEYmod" + secrets.token_hex(6), secrets.token_hex(16)
    for name in list(os.environ):
        if name.startswith(("ALIBABA_CLOUD_", "ALICLOUD_", "ALIYUN_", "TENCENTCLOUD_")):
            monkeypatch.delenv(name)
    if request.param == "aliyun":
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", key_id)
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", secret)
        emulator: Emulator = AliyunEcsEmulator({key_id: secret})
    else:
        monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", key_id)
        monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", secret)
        emulator = TencentEmulator({key_id: secret})
    with emulator:
        yield request.param, emulator


def play(tmp_path: Path, provider: str, url: str, group: str, *extra: str) -> dict[str, object]:
    playbook = tmp_path / "rule.yml"
    playbook.write_text(
        f"""---
- name: One least-privilege rule
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{{{ ansible_playbook_python }}}}"
  tasks:
    - name: Let the proxy network reach the backend port
      fix502.gateway.security_group_rule:
        provider: {provider}
        region: {REGIONS[provider]}
        endpoint_url: {url}
        group_id: {group}
        port: 8080
        cidr: 10.0.1.0/24
      register: result

    - name: Show the result
      ansible.builtin.copy:
        content: "{{{{ result | to_json }}}}"
        dest: {tmp_path / "result.json"}
      check_mode: false
"""
    )
    proc = run_ansible("ansible-playbook", "-i", "localhost,", str(playbook), *extra, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result: dict[str, object] = json.loads((tmp_path / "result.json").read_text())
    return result


def test_check_fix_and_idempotence(api: tuple[str, Emulator], tmp_path: Path) -> None:
    provider, emulator = api
    region = REGIONS[provider]
    group = emulator.add_group(region)  # type: ignore[attr-defined]
    before = emulator.snapshot()

    checked = play(tmp_path, provider, emulator.url, group, "--check", "--diff")
    assert checked["changed"] is True
    assert emulator.snapshot() == before

    applied = play(tmp_path, provider, emulator.url, group)
    assert applied["changed"] is True
    if provider == "aliyun":
        rules = emulator.rules(region, group)  # type: ignore[attr-defined]
        assert [(r["PortRange"], r["SourceCidrIp"], r["Policy"]) for r in rules] == [
            ("8080/8080", "10.0.1.0/24", "Accept")
        ]
        assert "managed-by: fix502" in rules[0]["Description"]
    else:
        rules = emulator.policies(region, group)  # type: ignore[attr-defined]
        assert [(r["Port"], r["CidrBlock"], r["Action"]) for r in rules] == [
            ("8080", "10.0.1.0/24", "ACCEPT")
        ]
        assert "managed-by: fix502" in rules[0]["PolicyDescription"]

    after = emulator.snapshot()
    again = play(tmp_path, provider, emulator.url, group)
    assert again["changed"] is False
    assert emulator.snapshot() == after


def test_the_module_refuses_credentials_of_another_account(api: tuple[str, Emulator]) -> None:
    """With ``account``, the caller's account (STS GetCallerIdentity) must be that one before any change."""
    provider, emulator = api
    region = REGIONS[provider]
    group = emulator.add_group(region)  # type: ignore[attr-defined]
    before = emulator.snapshot()
    real = emulator.account_id  # type: ignore[attr-defined]

    def module(account: str) -> subprocess.CompletedProcess[str]:
        return run_ansible(
            "ansible",
            "localhost",
            "-c",
            "local",
            "-m",
            "fix502.gateway.security_group_rule",
            "-a",
            f"provider={provider} region={region} endpoint_url={emulator.url} account={account} "
            f"group_id={group} port=8080 cidr=10.0.1.0/24",
            "-e",
            "ansible_python_interpreter={{ ansible_playbook_python }}",
            timeout=300,
        )

    refused = module("999000000001")
    assert refused.returncode != 0
    assert (
        f"{provider} {region}: refusing to change anything: the credentials (the default credential chain) "
        f"belong to account {real}, not to account 999000000001 that the change is for" in refused.stdout
    ), refused.stdout
    assert emulator.snapshot() == before

    applied = module(real)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "localhost | CHANGED" in applied.stdout
