"""``ansible-inventory --list`` with fix502.gateway.aliyun_ecs and tencent_cvm against the API emulators."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cloud_emulators.aliyun_ecs import AliyunEcsEmulator
from cloud_emulators.tencent import TencentEmulator
from conftest import run_ansible

ALIYUN_REGION = "cn-hangzhou"
TENCENT_REGION = "ap-guangzhou"
KEYED_GROUPS = """
keyed_groups:
  - key: tags
    prefix: tag
  - key: security_group_ids
    prefix: security_group
compose:
  ansible_host: public_ip_address | default(private_ip_address, true)
"""


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("ALIBABA_CLOUD_", "ALICLOUD_", "ALIYUN_", "TENCENTCLOUD_")):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))


@pytest.fixture
def aliyun() -> Iterator[tuple[AliyunEcsEmulator, str, str]]:
    key_id, secret = "LTAIinv" + secrets.token_hex(6), secrets.token_urlsafe(18)
    with AliyunEcsEmulator({key_id: secret}) as api:
        yield api, key_id, secret


@pytest.fixture
def tencent() -> Iterator[tuple[TencentEmulator, str, str]]:
    key_id, secret = "AKIDinv" + secrets.token_hex(8), secrets.token_hex(16)
    with TencentEmulator({key_id: secret}) as api:
        yield api, key_id, secret


def plain(value: Any) -> Any:
    """ansible-core 2.19 marks values an inventory plugin got from an API as untrusted in --list's JSON
    (``{"__ansible_unsafe": "..."}``); the tests compare the values themselves."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def inventory(path: Path) -> dict[str, Any]:
    result = run_ansible("ansible-inventory", "-i", str(path), "--list", timeout=120)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = plain(json.loads(result.stdout))
    return data


def members(data: dict[str, Any], group: str) -> list[str]:
    return sorted(data.get(group, {}).get("hosts", []))


def test_aliyun_ecs_inventory(
    aliyun: tuple[AliyunEcsEmulator, str, str],
    tmp_path: Path,
    clean_env: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api, key_id, secret = aliyun
    web = api.add_group(ALIYUN_REGION, name="web")
    app = api.add_group(ALIYUN_REGION, name="app")
    names = []
    for n in range(105):  # two pages of DescribeInstances
        tier = "web" if n < 2 else "app"
        names.append(f"{tier}-{n}")
        api.add_instance(
            ALIYUN_REGION,
            name=f"{tier}-{n}",
            group_ids=[web] if tier == "web" else [app],
            tags={"tier": tier},
            private_ip=f"172.16.{n // 200}.{n % 200 + 10}",
            public_ip="203.0.113.7" if n == 0 else None,
        )
    api.add_instance(ALIYUN_REGION, name="stopped-1", group_ids=[app], status="Stopped")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", secret)
    path = tmp_path / "prod.aliyun_ecs.yml"
    path.write_text(
        "plugin: fix502.gateway.aliyun_ecs\n"
        f"regions: [{ALIYUN_REGION}]\n"
        f"endpoint_url: {api.url}\n"
        "filters:\n  Status: Running\n"
        "hostnames: [instance_name, instance_id]\n" + KEYED_GROUPS
    )
    data = inventory(path)
    hostvars = data["_meta"]["hostvars"]
    assert sorted(hostvars) == sorted(names)
    assert members(data, "tag_tier_web") == ["web-0", "web-1"]
    assert len(members(data, "tag_tier_app")) == 103
    assert members(data, f"security_group_{web}".replace("-", "_")) == ["web-0", "web-1"]
    first = hostvars["web-0"]
    assert first["ansible_host"] == "203.0.113.7"
    assert hostvars["web-1"]["ansible_host"] == "172.16.0.11"
    assert first["tags"] == {"tier": "web"}
    assert first["security_group_ids"] == [web]
    assert first["vpc_attributes"]["vpc_id"] == "vpc-emu1"
    assert first["status"] == "Running"
    assert first["fix502_cloud_provider"] == "aliyun"
    assert first["fix502_cloud_security_groups"] == [web]
    assert api.actions().count("DescribeInstances") == 2
    assert secret not in json.dumps(data)


def test_tencent_cvm_inventory(
    tencent: tuple[TencentEmulator, str, str], tmp_path: Path, clean_env: None
) -> None:
    api, key_id, secret = tencent
    web = api.add_group(TENCENT_REGION, name="web")
    app = api.add_group(TENCENT_REGION, name="app")
    made = []
    for n in range(103):  # two pages of DescribeInstances
        tier = "web" if n < 3 else "app"
        made.append(
            api.add_instance(
                TENCENT_REGION,
                name=f"{tier}-{n}",
                group_ids=[web, app] if tier == "web" else [app],
                tags={"tier": tier, "app": "shop"},
                private_ip=f"10.0.{n // 200}.{n % 200 + 10}",
            )
        )
    api.add_instance(TENCENT_REGION, group_ids=[app], tags={"app": "other"})
    path = tmp_path / "prod.tencent_cvm.yml"
    path.write_text(
        "plugin: fix502.gateway.tencent_cvm\n"
        f"regions: [{TENCENT_REGION}]\n"
        f"endpoint_url: {api.url}\n"
        f"access_key: {key_id}\n"
        f"secret_key: {secret}\n"
        "filters:\n  tag:app: shop\n" + KEYED_GROUPS
    )
    data = inventory(path)
    hostvars = data["_meta"]["hostvars"]
    assert sorted(hostvars) == sorted(made)
    web_hosts = sorted(made[:3])
    assert members(data, "tag_tier_web") == web_hosts
    assert members(data, f"security_group_{web}".replace("-", "_")) == web_hosts
    assert len(members(data, f"security_group_{app}".replace("-", "_"))) == 103
    one = hostvars[made[0]]
    assert one["instance_name"] == "web-0"
    assert one["ansible_host"] == "10.0.0.10"
    assert one["placement"]["zone"] == one["zone"] == "ap-guangzhou-3"
    assert one["virtual_private_cloud"]["vpc_id"] == "vpc-emu00001"
    assert one["security_group_ids"] == [web, app]
    assert one["fix502_cloud_instance_id"] == made[0]
    assert api.actions().count("DescribeInstances") == 2


def test_a_wrong_secret_fails_in_one_line(
    tencent: tuple[TencentEmulator, str, str], tmp_path: Path, clean_env: None
) -> None:
    api, key_id, secret = tencent
    path = tmp_path / "bad.tencent_cvm.yml"
    path.write_text(
        "plugin: fix502.gateway.tencent_cvm\n"
        f"regions: [{TENCENT_REGION}]\n"
        f"endpoint_url: {api.url}\n"
        f"access_key: {key_id}\n"
        "secret_key: not-the-secret\n"
    )
    result = run_ansible("ansible-inventory", "-i", str(path), "--list", timeout=120)
    assert result.returncode != 0
    assert "AuthFailure.SignatureFailure: the credentials were rejected" in result.stderr
    assert "not-the-secret" not in result.stderr + result.stdout
    assert secret not in result.stderr + result.stdout
