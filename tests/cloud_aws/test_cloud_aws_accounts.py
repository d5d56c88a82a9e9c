"""Several accounts against moto: the fix signs in the way the audit did, and refuses another account.

moto names the account of a request by its access key: keys of an IAM user it created (or the temporary
keys of a role it let assume) belong to that user's (the role's) account; any other key to the default
account 123456789012 (unless the server has MOTO_ACCOUNT_ID, or the request an x-moto-account-id header).
So a temporary shared config with two profiles gives two accounts: ``prod`` (made-up keys, the default
account) and ``ops`` (the keys of an IAM user made in OPS). The site is built in OPS only; the
environment's credentials (the default chain) are those of the default account.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from aws_site import BACKEND_PORT, REGION, Aws, Site, build_site
from cloud_tools import REPO, cloud_report, rule_set, run_ansible

PLAYBOOK = REPO / "playbooks" / "cloud_fix.yml"
DEFAULT_ACCOUNT = "123456789012"
OPS = "210987654321"
FIXABLE = {"CLD001", "CLD002"}

pytestmark = pytest.mark.slow


def _user_keys(url: str, account: str) -> tuple[str, str]:
    """The access key of a new IAM user of ``account`` (moto's header picks the account)."""
    iam = boto3.client("iam", region_name=REGION, endpoint_url=url)

    def to_account(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = account

    iam.meta.events.register("before-sign.iam.*", to_account)
    iam.create_user(UserName="fix502")
    key = iam.create_access_key(UserName="fix502")["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


@pytest.fixture
def profiles(aws: Aws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Profiles ``prod`` (default account) and ``ops`` (OPS) in a temporary shared config and credentials
    file; their secrets live only there."""
    ops_key, ops_secret = _user_keys(aws.url, OPS)
    config = tmp_path / "aws-config"
    credentials = tmp_path / "aws-credentials"
    config.write_text(f"[profile prod]\nregion = {REGION}\n[profile ops]\nregion = {REGION}\n")
    credentials.write_text(
        "[prod]\naws_access_key_id = AKIAPRODFIX502\naws_secret_access_key = prod-secret-fix502\n"
        f"[ops]\naws_access_key_id = {ops_key}\naws_secret_access_key = {ops_secret}\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    return {"ops_secret": ops_secret}


def _ops_clients(aws: Aws) -> tuple[Any, Any]:
    session = boto3.session.Session(profile_name="ops", region_name=REGION)
    return (
        session.client("ec2", endpoint_url=aws.url),
        session.client("elbv2", endpoint_url=aws.url),
    )


def _write_config(path: Path, aws: Aws, site: Site, account: dict[str, str]) -> Path:
    config = {
        "provider": "aws",
        "regions": [REGION],
        "accounts": [account],
        "endpoint_url": aws.url,
        "groups": [site.db],
        "tiers": {"web": {"instance_tags": {"tier": "web"}}, "backend": {"instance_tags": {"tier": "app"}}},
        "backend_ports": [BACKEND_PORT],
        "retry": {"max_attempts": 4, "base_seconds": 0.01, "cap_seconds": 0.05},
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def _audit(config: Path, report: Path) -> dict[str, Any]:
    data = cloud_report(config, report)
    assert [(h["name"], h["status"]) for h in data["hosts"]] == [(f"aws:{OPS}/{REGION}", "ok")], data["hosts"]
    return data


def _values(report: dict[str, Any]) -> list[dict[str, str]]:
    return [f["evidence"]["values"] for h in report["hosts"] for f in h["findings"] if f["id"] in FIXABLE]


def _fix(report: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_ansible("ansible-playbook", str(PLAYBOOK), "-e", f"fix502_cloud_report={report}", *extra)


def test_the_fix_uses_the_audits_profile_and_refuses_another_account(
    aws: Aws, profiles: dict[str, str], tmp_path: Path
) -> None:
    ec2, elbv2 = _ops_clients(aws)
    site = build_site(ec2, elbv2)
    default_groups = {g["GroupId"] for g in aws.ec2.describe_security_groups()["SecurityGroups"]}
    assert not default_groups & {site.web, site.app, site.db}, "the default account must not see OPS's site"
    config = _write_config(tmp_path / "cloud.yml", aws, site, {"profile": "ops"})
    before = _audit(config, tmp_path / "before.json")
    values = _values(before)
    assert len(values) == 3
    for item in values:
        assert (item["account"], item["profile"], item["endpoint_url"]) == (OPS, "ops", aws.url)
        assert "assume_role_arn" not in item
    assert profiles["ops_secret"] not in (tmp_path / "before.json").read_text()
    rules_before = rule_set(ec2)

    # The wrong profile (the default account's) is refused before anything changes, naming both accounts.
    wrong = _fix(tmp_path / "before.json", "-e", "cloud_security_group_profile=prod")
    assert wrong.returncode != 0
    assert (
        f"the credentials (profile 'prod') belong to account {DEFAULT_ACCOUNT}, not to account {OPS} "
        "that the change is for" in wrong.stdout
    ), wrong.stdout
    assert rule_set(ec2) == rules_before

    # Without a profile of its own the role uses the finding's: the environment's (default) credentials
    # would be refused the same way.
    run = _fix(tmp_path / "before.json")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("changed: [localhost] => (item=") == 3, run.stdout
    for secret in (profiles["ops_secret"], "prod-secret-fix502"):
        assert secret not in run.stdout + run.stderr
    added = rule_set(ec2) - rules_before
    assert added == {
        (site.web, False, "tcp", 80, 80, "0.0.0.0/0"),
        (site.web, False, "tcp", 80, 80, "::/0"),
        (site.app, False, "tcp", BACKEND_PORT, BACKEND_PORT, site.web),
    }
    assert rules_before <= rule_set(ec2)
    assert _values(_audit(config, tmp_path / "after.json")) == []


def test_the_fix_assumes_the_audits_role(aws: Aws, profiles: dict[str, str], tmp_path: Path) -> None:
    ec2, elbv2 = _ops_clients(aws)
    site = build_site(ec2, elbv2)
    role = f"arn:aws:iam::{OPS}:role/fix502-audit"
    config = _write_config(tmp_path / "cloud.yml", aws, site, {"profile": "prod", "assume_role_arn": role})
    before = _audit(config, tmp_path / "before.json")
    values = _values(before)
    assert values and all(
        (v["account"], v["profile"], v["assume_role_arn"]) == (OPS, "prod", role) for v in values
    )
    rules_before = rule_set(ec2)

    run = _fix(tmp_path / "before.json")
    assert run.returncode == 0, run.stdout + run.stderr
    assert (site.app, False, "tcp", BACKEND_PORT, BACKEND_PORT, site.web) in rule_set(ec2) - rules_before
    assert _values(_audit(config, tmp_path / "after.json")) == []


def test_the_module_refuses_credentials_of_another_account(aws: Aws, profiles: dict[str, str]) -> None:
    ec2, elbv2 = _ops_clients(aws)
    site = build_site(ec2, elbv2)
    rules = rule_set(ec2)
    run = run_ansible(
        "ansible",
        "localhost",
        "-c",
        "local",
        "-m",
        "fix502.gateway.security_group_rule",
        "-a",
        f"provider=aws region={REGION} endpoint_url={aws.url} account={OPS} "
        f"group_id={site.app} port={BACKEND_PORT} source_group={site.web}",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
    )
    assert run.returncode != 0
    assert (
        f"the credentials (the default credential chain) belong to account {DEFAULT_ACCOUNT}, not to account "
        f"{OPS} that the change is for" in run.stdout
    ), run.stdout
    assert rule_set(ec2) == rules
