"""The fleet's cloud side from the same entry point: ``ansible-playbook fix-502.yml`` with an inventory whose
host variables name the instances, against moto; and ``fix502 cloud -i`` taking the backend ports from the
host audit.

The host is a real nginx on loopback (the demo site) that also proxies ``/app/`` to ``10.20.1.50:8080``,
a backend in the site's VPC: the host audit lists that backend, and the cloud side must let the web tier's
group reach port 8080 on the backend's group. The inventory names the web instance in the host's
variables and the backend's group in the plain list of groups (group vars); nothing names the port.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from aws_site import BACKEND_PORT, REGION, Aws, Site, build_site, describe_state
from cloud_tools import (
    expected_findings,
    expected_fix,
    found,
    inventory_cloud_config,
    read_report,
    rule_set,
    run_ansible,
    run_cli,
)

from fix502.demo import DemoSite, find_nginx, http_status

pytestmark = [pytest.mark.slow, pytest.mark.nginx]

REMOTE_BACKEND = "10.20.1.50"


@pytest.fixture
def web_site(tmp_path: Path) -> Iterator[DemoSite]:
    """The demo site, with a location proxied to a backend on another machine of the VPC."""
    if os.geteuid() != 0:
        pytest.fail("the end-to-end tests run the system nginx as root, as CI does")
    root = tmp_path / "site"
    root.mkdir(mode=0o755)
    os.chmod(tmp_path, 0o755)
    demo = DemoSite(root, find_nginx())
    demo.write()
    conf = demo.conf.read_text(encoding="utf-8")
    conf = conf.replace(
        "    server {\n",
        f"    upstream app {{\n        server {REMOTE_BACKEND}:{BACKEND_PORT};\n    }}\n\n    server {{\n",
        1,
    )
    conf = conf.replace(
        "        location / {",
        "        location /app/ {\n            proxy_pass http://app;\n        }\n\n        location / {",
        1,
    )
    demo.conf.write_text(conf, encoding="utf-8")
    demo.start()
    try:
        yield demo
    finally:
        demo.stop()


@pytest.fixture
def fleet(aws: Aws, web_site: DemoSite, tmp_path: Path) -> tuple[Site, Path]:
    site = build_site(aws.ec2, aws.elbv2)
    config = inventory_cloud_config(aws.url, site)
    (web_site.tmp / "cloud.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    inventory = yaml.safe_load(web_site.inventory().read_text(encoding="utf-8"))
    inventory["all"]["hosts"]["demo-site"].update(
        fix502_cloud_instance_id=site.web_instance, fix502_cloud_region=REGION
    )
    inventory["all"]["vars"] = {
        "fix502_cloud_config": "cloud.yml",  # next to the inventory
        "fix502_cloud_security_groups": [{"id": site.app, "tier": "backend"}],
    }
    path = web_site.inventory()
    path.write_text(yaml.safe_dump(inventory), encoding="utf-8")
    return site, path


def recap(output: str, host: str) -> dict[str, int]:
    match = re.search(rf"^{re.escape(host)}\s*:\s*(.*)$", output, re.MULTILINE)
    assert match, output[-3000:]
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", match.group(1))}


def test_cloud_command_takes_the_backend_ports_from_the_host_audit(
    fleet: tuple[Site, Path], tmp_path: Path
) -> None:
    site, inventory = fleet
    done = run_cli("cloud", "-i", str(inventory), "--format", "json", "-o", str(tmp_path / "cloud.json"))
    assert done.returncode == 1, done.stderr
    assert found(read_report(tmp_path / "cloud.json")) == expected_findings(site)

    host_audit = run_cli("audit", "-i", str(inventory), "--format", "json", "-o", str(tmp_path / "host.json"))
    assert host_audit.returncode in (0, 1), host_audit.stderr
    [host] = read_report(tmp_path / "host.json")["hosts"]
    assert {"address": REMOTE_BACKEND, "port": BACKEND_PORT, "local": False} in host["backends"]
    assert all(b["local"] for b in host["backends"] if b["address"] != REMOTE_BACKEND)

    done = run_cli(
        "cloud",
        "-i",
        str(inventory),
        "--host-report",
        str(tmp_path / "host.json"),
        "--format",
        "json",
        "-o",
        str(tmp_path / "again.json"),
    )
    assert done.returncode == 1, done.stderr
    assert found(read_report(tmp_path / "again.json")) == expected_findings(site)


def test_fix_502_playbook_audits_and_fixes_the_security_groups(
    aws: Aws, fleet: tuple[Site, Path], web_site: DemoSite, tmp_path: Path
) -> None:
    site, inventory = fleet
    playbook = (
        "ansible-playbook",
        "fix-502.yml",
        "-i",
        str(inventory),
        "-e",
        "fix502_cloud_remove_world_open=true",
    )
    state = json.dumps(describe_state(aws.ec2), sort_keys=True, default=str)

    dry = run_ansible(*playbook, "--check", "--diff", timeout=600)
    assert dry.returncode == 0, dry.stdout[-5000:] + dry.stderr
    assert "PLAY [Cloud security groups in front of the site]" in dry.stdout
    assert "+ingress allow tcp 80 from 0.0.0.0/0" in dry.stdout
    assert f"+ingress allow tcp {BACKEND_PORT} from group {site.web}" in dry.stdout
    assert f"-ingress allow tcp {BACKEND_PORT} from 0.0.0.0/0" in dry.stdout
    assert json.dumps(describe_state(aws.ec2), sort_keys=True, default=str) == state

    rules_before = rule_set(aws.ec2)
    first = run_ansible(*playbook, timeout=600)
    assert first.returncode == 0, first.stdout[-5000:] + first.stderr
    assert "every site answers" in first.stdout
    recap_text = first.stdout[first.stdout.index("TASK [Recap the cloud side before and after]") :]
    fixed = yaml.safe_load(recap_text[recap_text.index("fixed:") : recap_text.index("left_for_you:")])[
        "fixed"
    ]
    assert fixed == ["CLD001", "CLD002"]  # CLD003 stays: the database's 5432 is not auto-fixable
    rules_after = rule_set(aws.ec2)
    assert (rules_after - rules_before, rules_before - rules_after) == expected_fix(site)
    assert http_status(web_site.url) == 200

    second = run_ansible(*playbook, timeout=600)
    assert second.returncode == 0, second.stdout[-5000:] + second.stderr
    assert recap(second.stdout, "demo-site")["changed"] == 0
    assert rule_set(aws.ec2) == rules_after

    left = run_cli("cloud", "-i", str(inventory), "--format", "json", "-o", str(tmp_path / "after.json"))
    assert left.returncode == 1, left.stderr
    assert found(read_report(tmp_path / "after.json")) == {
        ("CLD003", "ingress allow tcp 5432 from 0.0.0.0/0"),
        ("CLD006", f"traffic HTTP:{BACKEND_PORT}, health check HTTP:9000"),
        ("CLD008", "idle_timeout.timeout_seconds=120 >= backend keep-alive 60s"),
    }
