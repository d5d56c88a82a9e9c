"""A site on (moto's) AWS: a web tier, a backend tier, a database, an ALB — and what is wrong with it.

Broken on purpose:
* the web tier's group allows 443 but not 80 (CLD001 for 80 from 0.0.0.0/0 and ::/0);
* the backend's group opens 8080 to 0.0.0.0/0 instead of to the web tier (CLD002 + CLD003, fixable);
* the database's group opens 5432 to 0.0.0.0/0 (CLD003, not fixable automatically);
* the target group health-checks port 9000 while traffic goes to 8080 (CLD006);
* the ALB keeps idle connections 120s, longer than the backend's keep-alive of 60s (CLD008).
The backend also allows SSH (22) from 10.0.0.0/8: nothing may touch it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

BACKEND_PORT = 8080
REGION = "eu-west-1"


@dataclass
class Aws:
    """boto3 clients on moto's server at ``url``."""

    url: str
    ec2: Any
    elbv2: Any


@dataclass
class Site:
    vpc: str
    web: str
    app: str
    db: str
    web_instance: str
    app_instance: str
    lb_arn: str
    tg_arn: str


def _group(ec2: Any, vpc: str, name: str) -> str:
    group_id: str = ec2.create_security_group(GroupName=name, Description=f"fix502 test {name}", VpcId=vpc)[
        "GroupId"
    ]
    return group_id


def _allow(ec2: Any, group: str, port: int, cidr: str | None = None, v6: str | None = None) -> None:
    perm: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
    if cidr:
        perm["IpRanges"] = [{"CidrIp": cidr, "Description": "by hand"}]
    if v6:
        perm["Ipv6Ranges"] = [{"CidrIpv6": v6}]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[perm])


def _instance(ec2: Any, subnet: str, group: str, tier: str) -> str:
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    reservation = ec2.run_instances(
        ImageId=image,
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.micro",
        SubnetId=subnet,
        SecurityGroupIds=[group],
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "tier", "Value": tier}]}],
    )
    instance_id: str = reservation["Instances"][0]["InstanceId"]
    return instance_id


def build_site(ec2: Any, elbv2: Any) -> Site:
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"eu-west-1{z}")["Subnet"][
            "SubnetId"
        ]
        for i, z in ((1, "a"), (2, "b"))
    ]
    web, app, db = (_group(ec2, vpc, name) for name in ("web", "app", "db"))
    _allow(ec2, web, 443, "0.0.0.0/0", "::/0")
    _allow(ec2, app, BACKEND_PORT, "0.0.0.0/0")
    _allow(ec2, app, 22, "10.0.0.0/8")
    _allow(ec2, db, 5432, "0.0.0.0/0")
    web_instance = _instance(ec2, subnets[0], web, "web")
    app_instance = _instance(ec2, subnets[0], app, "app")
    lb = elbv2.create_load_balancer(Name="site", Subnets=subnets, SecurityGroups=[web], Type="application")
    lb_arn = lb["LoadBalancers"][0]["LoadBalancerArn"]
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=lb_arn, Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": "120"}]
    )
    tg = elbv2.create_target_group(
        Name="app",
        Protocol="HTTP",
        Port=BACKEND_PORT,
        VpcId=vpc,
        HealthCheckProtocol="HTTP",
        HealthCheckPort="9000",
        TargetType="instance",
    )
    tg_arn = tg["TargetGroups"][0]["TargetGroupArn"]
    elbv2.register_targets(TargetGroupArn=tg_arn, Targets=[{"Id": app_instance, "Port": BACKEND_PORT}])
    elbv2.create_listener(
        LoadBalancerArn=lb_arn,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}],
    )
    return Site(vpc, web, app, db, web_instance, app_instance, lb_arn, tg_arn)


def write_config(path: Path, site: Site, endpoint_url: str, region: str) -> Path:
    config = {
        "provider": "aws",
        "regions": [region],
        "endpoint_url": endpoint_url,
        "groups": [site.db],
        "tiers": {
            "web": {"instance_tags": {"tier": "web"}},
            "backend": {"instance_tags": {"tier": "app"}},
        },
        "backend_ports": [BACKEND_PORT],
        "backend_keepalive_seconds": 60,
        "retry": {"max_attempts": 4, "base_seconds": 0.01, "cap_seconds": 0.05},
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def describe_state(ec2: Any) -> Any:
    """Every group with its rules and every rule with its tags: what "unchanged" is compared on."""
    groups = sorted(ec2.describe_security_groups()["SecurityGroups"], key=lambda g: g["GroupId"])
    rules = sorted(
        ec2.describe_security_group_rules()["SecurityGroupRules"], key=lambda r: r["SecurityGroupRuleId"]
    )
    return {"groups": groups, "rules": rules}
