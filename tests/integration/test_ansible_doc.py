"""Every module and plugin of the collection shows its documentation with ansible-doc."""

from __future__ import annotations

import json
import subprocess

import pytest
from conftest import REPO, run_ansible

PLUGINS = [
    ("module", "fix502.gateway.collect", "Gather the evidence"),
    ("module", "fix502.gateway.audit", "Find the causes of HTTP 502"),
    ("module", "fix502.gateway.backend_process", "Make sure a backend"),
    ("module", "fix502.gateway.container_restart_policy", "Give a Docker or podman container a restart"),
    ("filter", "fix502.gateway.start_order", "Backend services to start, dependencies first"),
    ("module", "fix502.gateway.nginx_edit", "Change single statements of an nginx configuration file"),
    ("module", "fix502.gateway.firewall_rule", "Let one TCP port through the host firewall"),
    ("module", "fix502.gateway.disk_relief", "Free space on full filesystems by compressing logs"),
    ("filter", "fix502.gateway.nginx_proxy_plan", "The files the role nginx_proxy writes or edits"),
    ("filter", "fix502.gateway.logrotate_rules", "The logrotate rule files that give the logs"),
    ("module", "fix502.gateway.security_group_rule", "Ensure one least-privilege ingress rule"),
    ("module", "fix502.gateway.cloud_audit", "Audit the cloud security groups in front of the site"),
    ("inventory", "fix502.gateway.aliyun_ecs", "Alibaba Cloud ECS instances as inventory hosts"),
    ("inventory", "fix502.gateway.tencent_cvm", "Tencent Cloud CVM instances as inventory hosts"),
]


def ansible_doc(*args: str) -> subprocess.CompletedProcess[str]:
    return run_ansible("ansible-doc", *args, timeout=120)


@pytest.mark.parametrize(("kind", "name", "summary"), PLUGINS, ids=[p[1] for p in PLUGINS])
def test_ansible_doc_shows_real_documentation(kind: str, name: str, summary: str) -> None:
    shown = ansible_doc("-t", kind, name)
    assert shown.returncode == 0, shown.stderr
    assert "OPTIONS" in shown.stdout and "EXAMPLES" in shown.stdout

    as_json = ansible_doc("-t", kind, "--json", name)
    assert as_json.returncode == 0, as_json.stderr
    entry = json.loads(as_json.stdout)[name]
    assert entry["doc"]["short_description"].startswith(summary)
    assert entry["doc"]["description"] and entry["doc"]["options"]
    assert entry["examples"].strip()
    if kind == "module":
        assert entry["return"]
        assert "RETURN VALUES" in shown.stdout


def test_every_module_file_is_covered() -> None:
    modules = {f"fix502.gateway.{p.stem}" for p in (REPO / "plugins" / "modules").glob("*.py")}
    assert modules == {name for kind, name, _ in PLUGINS if kind == "module"}
