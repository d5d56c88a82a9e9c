"""What the AWS tests run and compare: ansible commands and the CLI from the checkout, the findings of a
JSON report, and the rules of every group as one set."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from aws_site import BACKEND_PORT, Site, describe_state

REPO = Path(__file__).resolve().parents[2]


def run_ansible(command: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """An ansible command of this venv run from the checkout (the collection), as the other tests do."""
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "ANSIBLE_NOCOLOR": "1",
    }
    return subprocess.run(
        [command, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def run_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """``python -m fix502 ARGS`` from a directory outside the checkout, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "fix502", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd="/",
    )


def read_report(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def cloud_report(config: Path, report: Path) -> dict[str, Any]:
    """``fix502 cloud --config CONFIG`` as JSON into REPORT (exit 0 or 1), and the report it wrote."""
    proc = run_cli("cloud", "--config", str(config), "--format", "json", "-o", str(report), timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    return read_report(report)


def found(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f["id"], f["evidence"]["rule"]) for h in report["hosts"] for f in h["findings"]}


def rule_set(ec2: Any) -> set[tuple[Any, ...]]:
    out = set()
    for rule in describe_state(ec2)["rules"]:
        peer = (
            rule.get("CidrIpv4") or rule.get("CidrIpv6") or rule.get("ReferencedGroupInfo", {}).get("GroupId")
        )
        out.add(
            (rule["GroupId"], rule["IsEgress"], rule["IpProtocol"], rule["FromPort"], rule["ToPort"], peer)
        )
    return out


def expected_findings(site: Site) -> set[tuple[str, str]]:
    """What the broken site of aws_site.py shows once the web and backend tiers and the backend port are
    known (and the database's group is audited)."""
    return {
        ("CLD001", "ingress allow tcp 80 from 0.0.0.0/0"),
        ("CLD001", "ingress allow tcp 80 from ::/0"),
        ("CLD002", f"ingress allow tcp {BACKEND_PORT} from group {site.web}"),
        ("CLD003", f"ingress allow tcp {BACKEND_PORT} from 0.0.0.0/0"),
        ("CLD003", "ingress allow tcp 5432 from 0.0.0.0/0"),
        ("CLD006", f"traffic HTTP:{BACKEND_PORT}, health check HTTP:9000"),
        ("CLD008", "idle_timeout.timeout_seconds=120 >= backend keep-alive 60s"),
    }


def expected_fix(site: Site) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """The rules (as :func:`rule_set` gives them) the fix of CLD001 and CLD002 adds to the broken site of
    aws_site.py, and those it removes (the backend port open to the world, replaced by the web tier)."""
    added = {
        (site.web, False, "tcp", 80, 80, "0.0.0.0/0"),
        (site.web, False, "tcp", 80, 80, "::/0"),
        (site.app, False, "tcp", BACKEND_PORT, BACKEND_PORT, site.web),
    }
    return added, {(site.app, False, "tcp", BACKEND_PORT, BACKEND_PORT, "0.0.0.0/0")}


def inventory_cloud_config(endpoint_url: str, site: Site) -> dict[str, Any]:
    """A cloud.yml without region and tiers (an inventory names them); it also audits the database's
    group."""
    return {
        "endpoint_url": endpoint_url,
        "groups": [site.db],
        "backend_keepalive_seconds": 60,
        "retry": {"max_attempts": 4, "base_seconds": 0.01, "cap_seconds": 0.05},
    }
