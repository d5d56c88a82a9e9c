"""``fix502 cloud -i INVENTORY`` against moto: the tiers from a static inventory's host variables and from
amazon.aws.aws_ec2 (the real inventory plugin, pointed at moto), and the one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from aws_site import BACKEND_PORT, REGION, Aws, Site, build_site
from cloud_tools import expected_findings, found, inventory_cloud_config, read_report, run_cli

pytestmark = pytest.mark.slow


@pytest.fixture
def site(aws: Aws) -> Site:
    return build_site(aws.ec2, aws.elbv2)


def cloud_config(tmp_path: Path, aws: Aws, site: Site) -> Path:
    """No region and no tier: those come from the inventory."""
    path = tmp_path / "cloud.yml"
    path.write_text(yaml.safe_dump(inventory_cloud_config(aws.url, site)), encoding="utf-8")
    return path


def write_inventory(path: Path, hosts: dict[str, dict[str, Any]], **group_vars: Any) -> Path:
    path.write_text(yaml.safe_dump({"all": {"hosts": hosts, "vars": group_vars}}), encoding="utf-8")
    return path


def audit(*args: str, out: Path) -> dict[str, Any]:
    done = run_cli("cloud", *args, "--format", "json", "-o", str(out))
    assert done.returncode == 1, done.stderr  # high findings
    report = read_report(out)
    assert [h["status"] for h in report["hosts"]] == ["ok"], report["hosts"]
    return report


def audit_inventory(inventory: Path, config: Path, out: Path) -> dict[str, Any]:
    """``fix502 cloud -i INVENTORY --config CONFIG`` with the site's backend port."""
    return audit("-i", str(inventory), "--config", str(config), "--backend-port", str(BACKEND_PORT), out=out)


def test_tiers_from_a_static_inventory_s_host_variables(aws: Aws, site: Site, tmp_path: Path) -> None:
    inventory = write_inventory(
        tmp_path / "hosts.yml",
        {
            "web-1": {"fix502_cloud_instance_id": site.web_instance, "fix502_cloud_region": REGION},
            "app-1": {
                "fix502_cloud_instance_id": site.app_instance,
                "fix502_cloud_region": REGION,
                "fix502_cloud_tier": "backend",
            },
        },
    )
    report = audit_inventory(inventory, cloud_config(tmp_path, aws, site), tmp_path / "r.json")
    assert found(report) == expected_findings(site)
    assert report["hosts"][0]["name"] == f"aws:123456789012/{REGION}"


def test_the_plain_list_of_groups_names_the_backend_tier(aws: Aws, site: Site, tmp_path: Path) -> None:
    inventory = write_inventory(
        tmp_path / "hosts.yml",
        {"web-1": {"fix502_cloud_instance_id": site.web_instance}, "web-2": {}},
        fix502_cloud_region=REGION,
        fix502_cloud_config="cloud.yml",  # relative: found next to the inventory
        fix502_cloud_security_groups=[{"id": site.app, "tier": "backend"}],
    )
    cloud_config(tmp_path, aws, site)
    report = audit("-i", str(inventory), "--backend-port", str(BACKEND_PORT), out=tmp_path / "r.json")
    assert found(report) == expected_findings(site)


def test_amazon_aws_ec2_inventory_plugin_hosts(aws: Aws, site: Site, tmp_path: Path) -> None:
    inventory = tmp_path / "site.aws_ec2.yml"
    inventory.write_text(
        yaml.safe_dump(
            {
                "plugin": "amazon.aws.aws_ec2",
                "regions": [REGION],
                "endpoint_url": aws.url,
                "hostnames": ["instance-id"],
                # the backend instances are the backend tier; the others run nginx
                "compose": {"fix502_cloud_tier": "'backend' if tags.tier == 'app' else 'web'"},
            }
        ),
        encoding="utf-8",
    )
    report = audit_inventory(inventory, cloud_config(tmp_path, aws, site), tmp_path / "r.json")
    assert found(report) == expected_findings(site)


def test_an_instance_the_provider_does_not_have_is_named_with_its_host(
    aws: Aws, site: Site, tmp_path: Path
) -> None:
    inventory = write_inventory(
        tmp_path / "hosts.yml",
        {"web-1": {"fix502_cloud_instance_id": "i-0123456789abcdef0", "fix502_cloud_region": REGION}},
    )
    config = cloud_config(tmp_path, aws, site)
    done = run_cli("cloud", "-i", str(inventory), "--config", str(config), "--no-host-audit")
    assert done.returncode == 2, done.stdout + done.stderr
    assert (
        "instances not found in any audited account/region: "
        "i-0123456789abcdef0 (web-1: fix502_cloud_instance_id)" in done.stderr
    )


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"fix502_cloud_tier": "database"}, "web-1: fix502_cloud_tier: 'database' is not a tier"),
        ({"fix502_cloud_instance_id": "i-1"}, "web-1: fix502_cloud_instance_id: no region for aws"),
    ],
)
def test_bad_host_variables_stop_the_run_with_one_line(
    tmp_path: Path, variables: dict[str, Any], message: str
) -> None:
    inventory = write_inventory(tmp_path / "hosts.yml", {"web-1": variables})
    done = run_cli("cloud", "-i", str(inventory))
    assert done.returncode == 2
    assert done.stderr.startswith(f"fix502: error: {message}"), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
