"""fix-502.yml end to end on a real nginx whose backend died: dry run, fix, verify, second run."""

from __future__ import annotations

import re
import subprocess

from conftest import run_ansible, run_cli

from fix502.demo import DemoSite, http_status


def recap(output: str, host: str) -> dict[str, int]:
    match = re.search(rf"^{re.escape(host)}\s*:\s*(.*)$", output, re.MULTILINE)
    assert match, output[-2000:]
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", match.group(1))}


def backend_listening(site: DemoSite) -> bool:
    done = subprocess.run(
        ["ss", "-Hltn", f"sport = :{site.backend_port}"], capture_output=True, text=True, check=True
    )
    return bool(done.stdout.strip())


def test_check_mode_changes_nothing_and_reports_drift(broken_site: DemoSite) -> None:
    inventory = str(broken_site.inventory())
    before = sorted(p.name for p in broken_site.tmp.rglob("*"))

    result = run_cli("fix", "--check", "-i", inventory)

    assert result.returncode == 1, result.stdout[-3000:]
    assert "would change demo-site" in result.stderr
    assert recap(result.stdout, "demo-site")["changed"] >= 1
    assert not backend_listening(broken_site)
    assert http_status(broken_site.url) == 502
    assert sorted(p.name for p in broken_site.tmp.rglob("*")) == before


def test_playbook_fixes_verifies_and_second_run_changes_nothing(broken_site: DemoSite) -> None:
    inventory = str(broken_site.inventory())

    first = run_ansible("ansible-playbook", "fix-502.yml", "-i", inventory)

    assert first.returncode == 0, first.stdout[-4000:]
    assert recap(first.stdout, "demo-site")["changed"] >= 1
    assert "every site answers" in first.stdout
    assert "UPS001" in first.stdout
    assert http_status(broken_site.url) == 200

    second = run_cli("fix", "-i", inventory)
    assert second.returncode == 0, second.stdout[-3000:]
    assert recap(second.stdout, "demo-site")["changed"] == 0
    assert run_cli("fix", "--check", "-i", inventory).returncode == 0
    assert run_cli("audit", "-i", inventory, "--checks", "upstream", "--format", "json").returncode == 0
