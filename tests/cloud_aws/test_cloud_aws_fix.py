"""Audit → fix (the role and module through ansible-playbook) → audit again, against moto over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_site import BACKEND_PORT, REGION, Aws, Site, build_site, describe_state, write_config
from cloud_tools import REPO, cloud_report, expected_fix, found, rule_set, run_ansible

PLAYBOOK = REPO / "playbooks" / "cloud_fix.yml"

pytestmark = pytest.mark.slow


def cloud_audit(config: Path, report: Path) -> dict[str, Any]:
    data = cloud_report(config, report)
    assert [h["status"] for h in data["hosts"]] == ["ok"], data["hosts"]
    return data


def fix(aws: Aws, report: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_ansible(
        "ansible-playbook",
        str(PLAYBOOK),
        "-e",
        f"fix502_cloud_report={report}",
        "-e",
        f"cloud_security_group_endpoint_url={aws.url}",
        *extra,
    )


@pytest.fixture
def site(aws: Aws) -> Site:
    return build_site(aws.ec2, aws.elbv2)


def test_audit_fix_audit_removes_the_findings_and_touches_nothing_else(
    aws: Aws, site: Site, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "cloud.yml", site, aws.url, REGION)
    before = cloud_audit(config, tmp_path / "before.json")
    assert found(before) == {
        ("CLD001", "ingress allow tcp 80 from 0.0.0.0/0"),
        ("CLD001", "ingress allow tcp 80 from ::/0"),
        ("CLD002", f"ingress allow tcp {BACKEND_PORT} from group {site.web}"),
        ("CLD003", f"ingress allow tcp {BACKEND_PORT} from 0.0.0.0/0"),
        ("CLD003", "ingress allow tcp 5432 from 0.0.0.0/0"),
        ("CLD006", "traffic HTTP:8080, health check HTTP:9000"),
        ("CLD008", "idle_timeout.timeout_seconds=120 >= backend keep-alive 60s"),
    }
    rules_before = rule_set(aws.ec2)

    run = fix(aws, tmp_path / "before.json", "-e", "fix502_cloud_remove_world_open=true")
    assert run.returncode == 0, run.stdout + run.stderr

    after = cloud_audit(config, tmp_path / "after.json")
    assert found(after) == {
        ("CLD003", "ingress allow tcp 5432 from 0.0.0.0/0"),  # not fixable: no replacement is known
        ("CLD006", "traffic HTTP:8080, health check HTTP:9000"),
        ("CLD008", "idle_timeout.timeout_seconds=120 >= backend keep-alive 60s"),
    }
    rules_after = rule_set(aws.ec2)
    assert (rules_after - rules_before, rules_before - rules_after) == expected_fix(site)
    assert (site.app, False, "tcp", 22, 22, "10.0.0.0/8") in rules_after

    descriptions = {}
    for group in describe_state(aws.ec2)["groups"]:
        for perm in group["IpPermissions"]:
            for key, peer_key in (
                ("IpRanges", "CidrIp"),
                ("Ipv6Ranges", "CidrIpv6"),
                ("UserIdGroupPairs", "GroupId"),
            ):
                for peer in perm[key]:
                    rule = (
                        group["GroupId"],
                        False,
                        perm["IpProtocol"],
                        perm["FromPort"],
                        perm["ToPort"],
                        peer[peer_key],
                    )
                    descriptions[rule] = peer.get("Description", "")
    assert all(descriptions[r].startswith("managed-by: fix502") for r in rules_after - rules_before)
    assert descriptions[(site.app, False, "tcp", 22, 22, "10.0.0.0/8")] == "by hand"
    tags = {
        r["SecurityGroupRuleId"]: r["Tags"]
        for r in describe_state(aws.ec2)["rules"]
        if r.get("CidrIpv4") or r.get("CidrIpv6") or r.get("ReferencedGroupInfo")
    }
    managed = [t for t in tags.values() if {"Key": "managed-by", "Value": "fix502"} in t]
    assert len(managed) == 3

    again = fix(aws, tmp_path / "before.json", "-e", "fix502_cloud_remove_world_open=true")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "changed=0" in again.stdout, again.stdout
    assert rule_set(aws.ec2) == rules_after


def test_check_mode_leaves_the_state_byte_for_byte_equal(aws: Aws, site: Site, tmp_path: Path) -> None:
    config = write_config(tmp_path / "cloud.yml", site, aws.url, REGION)
    cloud_audit(config, tmp_path / "report.json")
    state = json.dumps(describe_state(aws.ec2), sort_keys=True, default=str)

    run = fix(
        aws,
        tmp_path / "report.json",
        "--check",
        "--diff",
        "-e",
        "fix502_cloud_remove_world_open=true",
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "+ingress allow tcp 80 from 0.0.0.0/0" in run.stdout
    assert f"-ingress allow tcp {BACKEND_PORT} from 0.0.0.0/0" in run.stdout
    assert json.dumps(describe_state(aws.ec2), sort_keys=True, default=str) == state


def test_a_world_open_backend_rule_stays_unless_removal_is_turned_on(
    aws: Aws, site: Site, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "cloud.yml", site, aws.url, REGION)
    cloud_audit(config, tmp_path / "report.json")
    run = fix(aws, tmp_path / "report.json")
    assert run.returncode == 0, run.stdout + run.stderr
    rules = rule_set(aws.ec2)
    assert (site.app, False, "tcp", BACKEND_PORT, BACKEND_PORT, "0.0.0.0/0") in rules
    assert (site.app, False, "tcp", BACKEND_PORT, BACKEND_PORT, site.web) in rules
    assert ("CLD003", f"ingress allow tcp {BACKEND_PORT} from 0.0.0.0/0") in found(
        cloud_audit(config, tmp_path / "after.json")
    )


def _module(
    aws: Aws, args: str, *extra: str, python: str = sys.executable
) -> subprocess.CompletedProcess[str]:
    return run_ansible(
        "ansible",
        "localhost",
        "-c",
        "local",
        "-m",
        "fix502.gateway.security_group_rule",
        "-a",
        f"provider=aws region={REGION} endpoint_url={aws.url} {args}",
        "-e",
        f"ansible_python_interpreter={python}",
        *extra,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (f"port={BACKEND_PORT} cidr=0.0.0.0/0", f"refusing to open port {BACKEND_PORT} to 0.0.0.0/0"),
        ("port=5432 cidr=::/0", "refusing to open port 5432 to ::/0"),
        ("port=22 cidr=10.0.0.0/8", "refusing to change a rule for port 22 (SSH)"),
        ("port=3389 source_group=sg-12345678 state=absent", "refusing to change a rule for port 3389 (RDP)"),
        ("port=80 to_port=8080 cidr=0.0.0.0/0", "refusing to change a rule for port 3389 (RDP)"),
        ("port=1 to_port=100 cidr=10.0.0.0/8", "refusing to change a rule for port 22 (SSH)"),
    ],
)
def test_the_module_refuses_world_open_backend_ports_and_ssh_rdp(
    aws: Aws, site: Site, args: str, message: str
) -> None:
    state = describe_state(aws.ec2)
    run = _module(aws, f"group_id={site.app} {args}")
    assert run.returncode != 0
    assert message in run.stdout, run.stdout
    assert describe_state(aws.ec2) == state


def test_the_module_is_idempotent_and_hides_credentials(aws: Aws, site: Site) -> None:
    secret = "wJalrXUtnFEMI-fix502-test-secret"
    args = (
        f"group_id={site.app} port={BACKEND_PORT} source_group={site.web} "
        f"access_key=AKIAFIX502TEST secret_key={secret}"
    )
    first = _module(aws, args, "-vvv")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "localhost | CHANGED" in first.stdout
    second = _module(aws, args, "-vvv")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "localhost | SUCCESS" in second.stdout
    for out in (first, second):
        assert secret not in out.stdout + out.stderr


def test_the_module_fails_cleanly_without_fix502(aws: Aws, site: Site, tmp_path: Path) -> None:
    # a Python with neither fix502 nor boto3: a venv of its own, without site-packages
    venv = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    run = _module(
        aws,
        f"group_id={site.app} port={BACKEND_PORT} source_group={site.web}",
        python=str(venv / "bin/python"),
    )
    assert run.returncode != 0
    assert "Failed to import the required Python library (fix502" in run.stdout, run.stdout
