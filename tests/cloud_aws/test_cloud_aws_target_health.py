"""CLD007 end to end on moto: what moto's ELBv2 reports of a target's health, and what the audit makes of it.

moto runs no health checks: DescribeTargetHealth says "healthy" of every registered target of a running
instance, whatever listens on its port; it never says "unhealthy". The one state it derives from the world
is AWS's own for a registered instance that is stopped: "unused" with reason Target.InvalidState. A target
that takes no traffic is a CLD007 finding, so that state is tested here; "unhealthy" only in the unit tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_site import REGION, Aws, Site, build_site, write_config

from fix502.catalogue import select
from fix502.cloud.audit import CloudAuditRequest, run_cloud_audit
from fix502.cloud.config import load_config

pytestmark = pytest.mark.slow


@pytest.fixture
def site(aws: Aws) -> Site:
    return build_site(aws.ec2, aws.elbv2)


def cld007(config: Path) -> list[dict[str, str]]:
    audit = run_cloud_audit(CloudAuditRequest(config=load_config(str(config)), checks=select(["CLD007"])))
    [host] = audit.report.hosts
    return [
        dict(f.evidence.values) | {"rule": f.evidence.rule or "", "cause": f.cause} for f in host.findings
    ]


def test_a_stopped_backend_instance_is_a_target_that_takes_no_traffic(
    aws: Aws, site: Site, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "cloud.yml", site, aws.url, REGION)
    # a target on a port where nothing listens is "healthy" to moto: no finding
    aws.elbv2.register_targets(TargetGroupArn=site.tg_arn, Targets=[{"Id": site.web_instance, "Port": 1}])
    health = aws.elbv2.describe_target_health(TargetGroupArn=site.tg_arn)["TargetHealthDescriptions"]
    assert {d["TargetHealth"]["State"] for d in health} == {"healthy"}
    assert cld007(config) == []

    aws.ec2.stop_instances(InstanceIds=[site.app_instance])
    health = aws.elbv2.describe_target_health(TargetGroupArn=site.tg_arn)["TargetHealthDescriptions"]
    stopped = {d["Target"]["Id"]: d["TargetHealth"] for d in health}[site.app_instance]
    assert (stopped["State"], stopped["Reason"]) == ("unused", "Target.InvalidState")

    [finding] = cld007(config)
    assert finding["target_group"] == "app"
    assert finding["unhealthy"] == f"{site.app_instance}:8080"
    assert "1 target(s) of 2 that take no traffic" in finding["cause"]

    aws.ec2.start_instances(InstanceIds=[site.app_instance])
    assert cld007(config) == []
