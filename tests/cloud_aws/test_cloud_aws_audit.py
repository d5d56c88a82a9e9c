"""The AWS provider and the cloud audit over HTTP: paging, tiers, egress, regions, throttling."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from aws_site import BACKEND_PORT, REGION, Aws, build_site, write_config
from throttle_proxy import ThrottleProxy

from fix502.catalogue import select
from fix502.cloud import Peer, ProviderConfig, RetryPolicy, Rule, ThrottledError, open_provider
from fix502.cloud.audit import CloudAuditRequest, run_cloud_audit
from fix502.cloud.config import load_config
from fix502.model import HostStatus

FAST = RetryPolicy(max_attempts=4, base=0.01, cap=0.05)


def provider(url: str, region: str = REGION, **options: str) -> Any:
    return open_provider(ProviderConfig("aws", region, endpoint_url=url, retry=FAST, options=options))


def make_groups(aws: Aws, count: int) -> tuple[str, list[str]]:
    vpc = aws.ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    ids = [
        aws.ec2.create_security_group(GroupName=f"g{i}", Description="paging", VpcId=vpc)["GroupId"]
        for i in range(count)
    ]
    return vpc, ids


def test_listing_pages_and_calls_grow_with_pages_not_groups(aws: Aws) -> None:
    vpc, ids = make_groups(aws, 23)
    p = provider(aws.url, page_size="5")
    groups = p.list_groups(vpc=vpc)
    assert sorted(g.group_id for g in groups) == sorted([*ids, *_default_group(aws, vpc)])
    assert p.stats.by_operation["DescribeSecurityGroups"] == 5  # 24 groups in pages of 5
    wanted = ids[:7]
    q = provider(aws.url, page_size="5")
    assert sorted(g.group_id for g in q.list_groups(group_ids=wanted)) == sorted(wanted)
    assert q.stats.by_operation["DescribeSecurityGroups"] == 2


def _default_group(aws: Aws, vpc: str) -> list[str]:
    filters = [{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
    return [g["GroupId"] for g in aws.ec2.describe_security_groups(Filters=filters)["SecurityGroups"]]


def test_rules_of_every_kind_come_back_in_the_neutral_model(aws: Aws) -> None:
    vpc, (a, b) = make_groups(aws, 2)
    aws.ec2.authorize_security_group_ingress(
        GroupId=a,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8010, "UserIdGroupPairs": [{"GroupId": b}]},
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "192.0.2.0/24", "Description": "office"}]},
            {
                "IpProtocol": "udp",
                "FromPort": 53,
                "ToPort": 53,
                "Ipv6Ranges": [{"CidrIpv6": "2001:db8::/32"}],
            },
        ],
    )
    group = provider(aws.url).list_groups(group_ids=[a])[0]
    assert group.vpc == vpc and group.account == "123456789012" and group.region == REGION
    assert sorted(r.describe() for r in group.ingress) == [
        "ingress allow all all ports from 192.0.2.0/24",
        f"ingress allow tcp 8000-8010 from group {b} (account 123456789012)",
        "ingress allow udp 53 from 2001:db8::/32",
    ]
    assert [r.describe() for r in group.egress] == ["egress allow all all ports to 0.0.0.0/0"]


def test_ensure_and_revoke_are_idempotent_and_check_mode_sends_nothing(aws: Aws) -> None:
    _, (a, b) = make_groups(aws, 2)
    p = provider(aws.url)
    rule = Rule.ingress("tcp", BACKEND_PORT, Peer.group(b), description="managed-by: fix502")
    dry = p.ensure_ingress(a, rule, check_mode=True)
    assert dry.changed and dry.after == (f"ingress allow tcp {BACKEND_PORT} from group {b}",)
    assert p.list_groups(group_ids=[a])[0].ingress == ()
    assert p.ensure_ingress(a, rule).changed
    assert not p.ensure_ingress(a, rule).changed
    assert p.revoke_ingress(a, rule, check_mode=True).changed
    assert len(p.list_groups(group_ids=[a])[0].ingress) == 1
    assert p.revoke_ingress(a, rule).changed
    assert not p.revoke_ingress(a, rule).changed


def _audit(config_path: Path, *ids: str) -> Any:
    config = load_config(str(config_path))
    checks = select(list(ids)) if ids else select(["cloud"])
    return run_cloud_audit(CloudAuditRequest(config=config, checks=checks))


def test_egress_that_stops_the_proxy_tier_is_found(aws: Aws, tmp_path: Path) -> None:
    site = build_site(aws.ec2, aws.elbv2)
    aws.ec2.revoke_security_group_egress(
        GroupId=site.web, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    aws.ec2.authorize_security_group_egress(
        GroupId=site.web,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        ],
    )
    audit = _audit(write_config(tmp_path / "cloud.yml", site, aws.url, REGION), "CLD004")
    [finding] = audit.report.findings()
    assert finding.id == "CLD004" and finding.evidence.resource == site.web
    assert finding.evidence.rule == f"egress allow tcp {BACKEND_PORT} to group {site.app}"
    assert not finding.autofix

    aws.ec2.authorize_security_group_egress(
        GroupId=site.web,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": BACKEND_PORT,
                "ToPort": BACKEND_PORT,
                "UserIdGroupPairs": [{"GroupId": site.app}],
            }
        ],
    )
    assert _audit(tmp_path / "cloud.yml", "CLD004").report.findings() == []


def test_regions_are_audited_concurrently_one_report_host_each(aws: Aws, tmp_path: Path) -> None:
    site = build_site(aws.ec2, aws.elbv2)
    path = write_config(tmp_path / "cloud.yml", site, aws.url, REGION)
    data = yaml.safe_load(path.read_text())
    data["regions"] = [REGION, "us-east-1", "ap-southeast-1"]
    path.write_text(yaml.safe_dump(data))
    audit = _audit(path)
    names = [h.name for h in audit.report.hosts]
    assert names == [f"aws:123456789012/{r}" for r in sorted(data["regions"])]
    assert all(h.status is HostStatus.OK for h in audit.report.hosts)
    by_region = {h.name.rsplit("/", 1)[1]: h for h in audit.report.hosts}
    assert by_region[REGION].findings and not by_region["us-east-1"].findings


def test_a_group_found_in_no_region_is_an_error(aws: Aws, tmp_path: Path) -> None:
    site = build_site(aws.ec2, aws.elbv2)
    path = write_config(tmp_path / "cloud.yml", site, aws.url, REGION)
    data = yaml.safe_load(path.read_text())
    data["groups"] = [site.db, "sg-0123456789abcdef0"]
    path.write_text(yaml.safe_dump(data))
    failed = _audit(path).report.failed()
    assert [h.message for h in failed] == [
        "security groups not found in any audited account/region: sg-0123456789abcdef0"
    ]


def test_throttling_is_retried_with_backoff(aws: Aws, tmp_path: Path) -> None:
    site = build_site(aws.ec2, aws.elbv2)
    with ThrottleProxy(aws.url, throttle=3) as proxy:
        path = write_config(tmp_path / "cloud.yml", site, proxy.url, REGION)
        audit = _audit(path)
    [host] = audit.report.hosts
    assert host.status is HostStatus.OK and host.message == "throttled: 3 call(s) retried"
    assert len(proxy.throttled) == 3
    assert audit.results[0].stats.retries == 3
    assert {f.id for f in host.findings} >= {"CLD001", "CLD002", "CLD003"}


def test_throttling_that_outlasts_the_retries_is_reported(aws: Aws, tmp_path: Path) -> None:
    site = build_site(aws.ec2, aws.elbv2)
    with ThrottleProxy(aws.url, throttle=-1) as proxy:
        p = provider(proxy.url)
        with pytest.raises(
            ThrottledError, match=r"GetCallerIdentity: still throttled after 4 attempts \(Throttling\)"
        ):
            _ = p.account
        assert p.stats.gave_up == ["GetCallerIdentity (Throttling, 4 attempts)"]
        q = open_provider(
            ProviderConfig("aws", REGION, account="123456789012", endpoint_url=proxy.url, retry=FAST)
        )
        with pytest.raises(ThrottledError, match="DescribeSecurityGroups: still throttled after 4 attempts"):
            q.list_groups()
        path = write_config(tmp_path / "cloud.yml", site, proxy.url, REGION)
        run = subprocess.run(
            [sys.executable, "-m", "fix502", "cloud", "--config", str(path), "--format", "json"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert run.returncode == 2
    [host] = json.loads(run.stdout)["hosts"]
    assert host["status"] == "failed"
    assert "still throttled after 4 attempts (Throttling); gave up" in host["message"]
    assert "gave up" in run.stderr


def test_cli_formats_fail_on_and_usage_errors(aws: Aws, tmp_path: Path) -> None:
    site = build_site(aws.ec2, aws.elbv2)
    path = write_config(tmp_path / "cloud.yml", site, aws.url, REGION)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "fix502", *args], capture_output=True, text=True, timeout=120, check=False
        )

    sarif = cli("cloud", "--config", str(path), "--format", "sarif")
    assert sarif.returncode == 1
    assert {r["ruleId"] for r in json.loads(sarif.stdout)["runs"][0]["results"]} >= {"CLD001", "CLD003"}
    assert cli("cloud", "--config", str(path), "--fail-on", "critical").returncode == 0
    zh = cli("cloud", "--config", str(path), "--lang", "zh", "--checks", "CLD001")
    assert "Web 层的安全组" in zh.stdout
    only = cli(
        "cloud",
        "--provider",
        "aws",
        "--region",
        REGION,
        "--endpoint-url",
        aws.url,
        "--groups",
        site.db,
        "--format",
        "json",
    )
    assert only.returncode == 1, only.stderr
    assert {f["id"] for h in json.loads(only.stdout)["hosts"] for f in h["findings"]} == {"CLD003", "CLD006"}
    host = cli("audit", "--checks", "CLD001")
    assert host.returncode == 2 and "run them with fix502 cloud" in host.stderr
    mixed = cli("cloud", "--region", REGION, "--checks", "UPS001")
    assert mixed.returncode == 2 and "judge hosts" in mixed.stderr
