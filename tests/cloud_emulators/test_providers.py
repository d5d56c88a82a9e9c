"""The Alibaba Cloud and Tencent Cloud providers, on the real SDKs over HTTP, against the emulators."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloud_emulators._server import Emulator, Keys
from cloud_emulators.aliyun_ecs import AliyunEcsEmulator
from cloud_emulators.tencent import TencentEmulator
from fix502.catalogue import select
from fix502.cloud import (
    MANAGED_MARK,
    Action,
    CloudError,
    Credentials,
    Peer,
    ProviderConfig,
    RetryPolicy,
    Rule,
    ThrottledError,
    open_provider,
)
from fix502.cloud.audit import CloudAuditRequest, run_cloud_audit
from fix502.cloud.config import CloudConfig
from fix502.cloud.provider import Provider

FAST = RetryPolicy(max_attempts=5, base=0.001, cap=0.01)
MUTATING = {
    "AuthorizeSecurityGroup",
    "RevokeSecurityGroup",
    "CreateSecurityGroupPolicies",
    "DeleteSecurityGroupPolicies",
}
CREDENTIAL_ENV = (
    "ALIBABA_CLOUD_ACCESS_KEY_ID",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    "ALIBABA_CLOUD_SECURITY_TOKEN",
    "ALIBABA_CLOUD_PROFILE",
    "ALIBABA_CLOUD_CREDENTIALS_FILE",
    "ALIBABA_CLOUD_ECS_METADATA",
    "ALICLOUD_ACCESS_KEY",
    "ALICLOUD_SECRET_KEY",
    "ALIYUN_ACCESS_KEY_ID",
    "ALIYUN_ACCESS_KEY_SECRET",
    "TENCENTCLOUD_SECRET_ID",
    "TENCENTCLOUD_SECRET_KEY",
    "TENCENTCLOUD_SESSION_TOKEN",
    "TENCENTCLOUD_PROFILE",
)


@dataclasses.dataclass
class Cloud:
    """One provider's emulator with the few seeding calls the tests need, in neutral words."""

    name: str
    api: Emulator
    keys: Keys
    region: str
    # Page sizes the provider uses: groups and instances.
    group_page: int
    instance_page: int

    def config(self, **overrides: Any) -> ProviderConfig:
        return ProviderConfig(
            **{
                "provider": self.name,
                "region": self.region,
                "endpoint_url": self.api.url,
                "credentials": Credentials(self.keys.key_id, self.keys.secret),
                "retry": FAST,
                **overrides,
            }
        )

    def provider(self, **overrides: Any) -> Provider:
        return open_provider(self.config(**overrides))

    def group(self, tags: dict[str, str] | None = None) -> str:
        return str(self.api.add_group(self.region, tags=tags))  # type: ignore[attr-defined]

    def rule(self, group: str, port: int, cidr: str, *, deny: bool = False, priority: int = 1) -> None:
        if isinstance(self.api, AliyunEcsEmulator):
            self.api.add_rule(
                self.region,
                group,
                IpProtocol="tcp",
                PortRange=f"{port}/{port}",
                SourceCidrIp=cidr,
                Policy="drop" if deny else "accept",
                Priority=str(priority),
            )
        else:
            assert isinstance(self.api, TencentEmulator)
            self.api.add_policy(
                self.region,
                group,
                Protocol="TCP",
                Port=str(port),
                CidrBlock=cidr,
                Action="DROP" if deny else "ACCEPT",
            )

    def instance(self, groups: list[str], tags: dict[str, str]) -> str:
        return str(self.api.add_instance(self.region, group_ids=groups, tags=tags))  # type: ignore[attr-defined]

    def snapshot(self) -> str:
        return str(self.api.snapshot())  # type: ignore[attr-defined]


@pytest.fixture(params=["aliyun", "tencent"])
def cloud(
    request: pytest.FixtureRequest,
    aliyun_api: AliyunEcsEmulator,
    aliyun_keys: Keys,
    tencent_api: TencentEmulator,
    tencent_keys: Keys,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[Cloud]:
    for name in CREDENTIAL_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no profile file of the machine leaks in
    if request.param == "aliyun":
        yield Cloud("aliyun", aliyun_api, aliyun_keys, "cn-hangzhou", 50, 100)
    else:
        yield Cloud("tencent", tencent_api, tencent_keys, "ap-guangzhou", 100, 100)


def test_groups_are_listed_page_by_page(cloud: Cloud) -> None:
    count = cloud.group_page * 2 + 7
    ids = [cloud.group({"tier": "web" if n % 3 == 0 else "app"}) for n in range(count)]
    cloud.rule(ids[-1], 443, "0.0.0.0/0")
    provider = cloud.provider()
    groups = provider.list_groups()
    assert sorted(g.group_id for g in groups) == sorted(ids)
    assert provider.stats.by_operation["DescribeSecurityGroups"] == 3
    last = next(g for g in groups if g.group_id == ids[-1])
    assert [r.describe() for r in last.ingress] == [
        f"ingress allow tcp 443 from 0.0.0.0/0 (priority {1 if cloud.name == 'aliyun' else 0})"
    ]
    assert last.where == f"{cloud.name}:{provider.account}/{cloud.region}"
    web = provider.list_groups(tags={"tier": "web"})
    assert sorted(g.group_id for g in web) == sorted(ids[::3])
    some = provider.list_groups(group_ids=ids[5:8])
    assert sorted(g.group_id for g in some) == sorted(ids[5:8])


def test_instances_are_listed_page_by_page(cloud: Cloud) -> None:
    web, app = cloud.group(), cloud.group()
    made = [cloud.instance([web if n < 3 else app], {"tier": "web" if n < 3 else "app"}) for n in range(205)]
    provider = cloud.provider()
    instances = provider.list_instances()
    assert sorted(i.instance_id for i in instances) == sorted(made)
    assert provider.stats.by_operation["DescribeInstances"] == 3
    tiered = provider.list_instances(tags={"tier": "web"})
    assert sorted(i.instance_id for i in tiered) == sorted(made[:3])
    assert {i.group_ids for i in tiered} == {(web,)}


def test_throttling_is_retried_then_succeeds(cloud: Cloud) -> None:
    cloud.group()
    provider = cloud.provider()
    assert provider.account  # the account is asked once, before throttling starts
    cloud.api.throttle_next(3)
    assert len(provider.list_groups()) == 1
    assert provider.stats.retries == 3
    assert provider.stats.gave_up == []


def test_throttling_that_lasts_is_reported(cloud: Cloud) -> None:
    cloud.group()
    provider = cloud.provider(retry=RetryPolicy(max_attempts=3, base=0.001, cap=0.01))
    assert provider.account
    cloud.api.throttle_next(50)
    with pytest.raises(ThrottledError) as err:
        provider.list_groups()
    assert "DescribeSecurityGroups: still throttled after 3 attempts" in str(err.value)
    code = "Throttling" if cloud.name == "aliyun" else "RequestLimitExceeded"
    assert provider.stats.gave_up == [f"DescribeSecurityGroups ({code}, 3 attempts)"]


def test_ensure_ingress_is_idempotent(cloud: Cloud) -> None:
    group = cloud.group()
    cloud.rule(group, 22, "203.0.113.0/24")
    provider = cloud.provider()
    wanted = Rule.ingress("tcp", 8080, Peer.cidr("10.0.1.0/24"), description=MANAGED_MARK)
    first = provider.ensure_ingress(group, wanted)
    assert first.changed
    assert any("allow tcp 8080 from 10.0.1.0/24" in line for line in first.after)
    snapshot = cloud.snapshot()
    cloud.api.reset_calls()
    second = provider.ensure_ingress(group, wanted)
    assert not second.changed
    assert second.before == second.after == first.after
    assert cloud.snapshot() == snapshot
    assert not MUTATING & set(cloud.api.actions())
    # What the next audit sees: the new rule, marked as fix502's, and the SSH rule untouched.
    (seen,) = provider.list_groups(group_ids=[group])
    assert [r.managed for r in seen.ingress if r.port_from == 8080] == [True]
    assert [r.peer.value for r in seen.ingress if r.port_from == 22] == ["203.0.113.0/24"]


def test_check_mode_changes_nothing(cloud: Cloud) -> None:
    group = cloud.group()
    cloud.rule(group, 3306, "0.0.0.0/0")
    provider = cloud.provider()
    before = cloud.snapshot()
    added = provider.ensure_ingress(
        group, Rule.ingress("tcp", 443, Peer.cidr("0.0.0.0/0"), description=MANAGED_MARK), check_mode=True
    )
    removed = provider.revoke_ingress(
        group, Rule.ingress("tcp", 3306, Peer.cidr("0.0.0.0/0")), check_mode=True
    )
    assert added.changed and removed.changed
    assert added.check_mode and removed.check_mode
    assert len(added.after) == len(added.before) + 1
    assert removed.after == ()
    assert cloud.snapshot() == before
    assert not MUTATING & set(cloud.api.actions())


def test_revoke_ingress_removes_only_that_rule(cloud: Cloud) -> None:
    group = cloud.group()
    cloud.rule(group, 6379, "0.0.0.0/0")
    cloud.rule(group, 80, "0.0.0.0/0")
    provider = cloud.provider()
    change = provider.revoke_ingress(group, Rule.ingress("tcp", 6379, Peer.cidr("0.0.0.0/0")))
    assert change.changed
    (seen,) = provider.list_groups(group_ids=[group])
    assert [(r.port_from, r.peer.value) for r in seen.ingress] == [(80, "0.0.0.0/0")]
    again = provider.revoke_ingress(group, Rule.ingress("tcp", 6379, Peer.cidr("0.0.0.0/0")))
    assert not again.changed


def test_a_deny_rule_first_shadows_an_allow(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> None:
    group = cloud.group()
    # Alibaba Cloud: priority 1 beats priority 10. Tencent Cloud: the first rule (PolicyIndex 0) wins.
    cloud.rule(group, 443, "0.0.0.0/0", deny=True, priority=1)
    cloud.rule(group, 443, "0.0.0.0/0", priority=10)
    provider = cloud.provider()
    (seen,) = provider.list_groups(group_ids=[group])
    deny, allow = sorted(seen.ingress, key=lambda r: r.action is Action.ALLOW)
    assert (deny.action, allow.action) == (Action.DENY, Action.ALLOW)
    assert deny.priority is not None and allow.priority is not None and deny.priority < allow.priority
    config = CloudConfig(
        provider=cloud.name, regions=(cloud.region,), endpoint_url=cloud.api.url, groups=(group,)
    )
    audit = run_cloud_audit(
        CloudAuditRequest(
            config=config,
            checks=select(["CLD005"]),
            credentials=Credentials(cloud.keys.key_id, cloud.keys.secret),
        )
    )
    (host,) = audit.report.hosts
    assert host.message == "" and host.status.value == "ok"
    (finding,) = host.findings
    assert finding.id == "CLD005"
    assert finding.evidence.resource == group
    assert finding.evidence.rule == allow.describe()
    values = dict(finding.evidence.values)
    assert values["deny"] == deny.describe()
    assert (values["provider"], values["region"]) == (cloud.name, cloud.region)


def test_credentials_from_the_environment(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> None:
    cloud.group()
    if cloud.name == "aliyun":
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", cloud.keys.key_id)
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", cloud.keys.secret)
    else:
        monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", cloud.keys.key_id)
        monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", cloud.keys.secret)
    assert len(cloud.provider(credentials=None).list_groups()) == 1


def test_credentials_from_a_profile_file(cloud: Cloud, tmp_path: Path) -> None:
    cloud.group()
    if cloud.name == "aliyun":
        path = tmp_path / ".alibabacloud" / "credentials"
        body = (
            "[ops]\ntype = access_key\n"
            f"access_key_id = {cloud.keys.key_id}\naccess_key_secret = {cloud.keys.secret}\n"
        )
    else:
        path = tmp_path / ".tencentcloud" / "credentials"
        body = f"[ops]\nsecret_id = {cloud.keys.key_id}\nsecret_key = {cloud.keys.secret}\n"
    path.parent.mkdir()
    path.write_text(body)
    assert len(cloud.provider(credentials=None, profile="ops").list_groups()) == 1
    with pytest.raises(CloudError, match=r"\[nosuch\]|'nosuch'"):
        cloud.provider(credentials=None, profile="nosuch")


def test_no_credentials_is_one_clear_line(cloud: Cloud) -> None:
    with pytest.raises(CloudError) as err:
        cloud.provider(credentials=None)
    assert "no credentials" in str(err.value)
    assert "\n" not in str(err.value)


def test_rejected_credentials_never_show_the_key(cloud: Cloud) -> None:
    cloud.group()
    provider = cloud.provider(credentials=Credentials(cloud.keys.key_id, "not-the-secret"), account="audit")
    with pytest.raises(CloudError) as err:
        provider.list_groups()
    message = str(err.value)
    assert f"{cloud.name} audit/{cloud.region}: DescribeSecurityGroups:" in message
    assert "credentials were rejected" in message
    assert cloud.keys.key_id not in message and "not-the-secret" not in message
