"""The role fix502.gateway.nginx_proxy on a real nginx in front of a slow backend.

proxy_read_timeout 1s in the location and a backend that takes 2 s: the site answers 504. After
fix-502.yml it answers 200; a second run changes nothing; --check changes nothing; and a
snippet nginx refuses is rolled back with nginx still serving.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO, run_ansible, run_cli, site_dir
from test_fix_playbook import recap

from fix502.demo import DemoSite, find_nginx, free_port, terminate, wait_listening

pytestmark = [pytest.mark.nginx, pytest.mark.slow]

SLOW_BACKEND = """\
import os, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Slow(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        time.sleep(2)
        body = b"slow but fine\\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Slow)
open(sys.argv[2], "w").write(str(os.getpid()))
server.serve_forever()
"""

CONF = """\
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/logs/error.log;

events {{
    worker_connections 64;
}}

http {{
    access_log {tmp}/logs/access.log;
    client_body_temp_path {tmp}/temp/body;
    proxy_temp_path {tmp}/temp/proxy;
    fastcgi_temp_path {tmp}/temp/fastcgi;
    uwsgi_temp_path {tmp}/temp/uwsgi;
    scgi_temp_path {tmp}/temp/scgi;

    upstream slow {{
        server 127.0.0.1:{slow_port};
        keepalive 4;
    }}

    server {{
        listen 127.0.0.1:{site_port};
        server_name slow.fix502.test;

        location / {{
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 1s;
            proxy_pass http://slow;
        }}
    }}

    server {{
        listen 127.0.0.1:{fast_port};
        server_name fast.fix502.test;

        location / {{
            proxy_pass http://127.0.0.1:{backend_port};
        }}
    }}
}}
"""


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


class SlowSite(DemoSite):
    """The demo site's nginx, with a slow site and a fast one (fast_url, the demo backend)."""

    fast_url = ""


@pytest.fixture
def slow_site(tmp_path: Path) -> Iterator[SlowSite]:
    """nginx on loopback with a 1 s read timeout in front of a backend that takes 2 s: 504."""
    root = site_dir(tmp_path)
    site = SlowSite(root, find_nginx())
    site.write()
    slow_port, fast_port = free_port(), free_port()
    site.fast_url = f"http://127.0.0.1:{fast_port}/"
    site.conf.write_text(
        CONF.format(
            tmp=root,
            site_port=site.site_port,
            slow_port=slow_port,
            fast_port=fast_port,
            backend_port=site.backend_port,
        )
    )
    script, pidfile = root / "slow.py", root / "slow.pid"
    script.write_text(SLOW_BACKEND)
    subprocess.Popen(
        [sys.executable, str(script), str(slow_port), str(pidfile)],
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_listening(slow_port)
        site.start()
        yield site
    finally:
        site.stop()
        if pidfile.exists():
            terminate(int(pidfile.read_text()))


def config_state(site: DemoSite) -> dict[str, str]:
    """Every configuration file under the site's directory, with its hash."""
    return {
        str(path.relative_to(site.tmp)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(site.tmp.rglob("*.conf"))
        if path.parts[len(site.tmp.parts)] != "backups"
    }


def playbook(site: DemoSite, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_ansible("ansible-playbook", "fix-502.yml", "-i", str(site.inventory()), *extra)


def role_only(site: DemoSite) -> subprocess.CompletedProcess[str]:
    """Audit, then the role itself with what the audit found (whatever the playbook's condition)."""
    play = site.tmp / "role.yml"
    play.write_text(
        "- hosts: all\n"
        "  gather_facts: false\n"
        "  tasks:\n"
        f"    - ansible.builtin.include_tasks: {REPO}/playbooks/tasks/audit.yml\n"
        "    - ansible.builtin.include_role:\n"
        "        name: fix502.gateway.nginx_proxy\n"
        "      vars:\n"
        "        nginx_proxy_findings: '{{ fix502_audit_result.findings }}'\n"
        "        nginx_proxy_probes: '{{ fix502_audit_result.probes }}'\n"
        "        nginx_proxy_nginx_binary: '{{ fix502_nginx_binary }}'\n"
        "        nginx_proxy_nginx_config: '{{ fix502_nginx_config }}'\n"
        "        nginx_proxy_nginx_prefix: '{{ fix502_nginx_prefix }}'\n"
    )
    return run_ansible("ansible-playbook", str(play), "-i", str(site.inventory()))


def test_fix_turns_504_into_200_and_second_run_changes_nothing(slow_site: SlowSite) -> None:
    assert status(slow_site.url) == 504

    first = playbook(slow_site)

    assert first.returncode == 0, first.stdout[-5000:]
    assert recap(first.stdout, "demo-site")["changed"] >= 1
    assert "every site answers" in first.stdout
    assert status(slow_site.url) == 200
    conf = slow_site.conf.read_text()
    assert f"include {slow_site.tmp}/conf.d/fix502-proxy-tuning.conf;" in conf
    assert f"include {slow_site.tmp}/snippets/fix502-proxy-location.conf;" in conf
    assert "proxy_read_timeout 60s;  # fix502.gateway.nginx_proxy: was 1s" in conf
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in conf  # the rest is untouched
    snippet = (slow_site.tmp / "conf.d" / "fix502-proxy-tuning.conf").read_text()
    assert "proxy_http_version 1.1;" in snippet and "proxy_buffer_size 16k;" in snippet
    assert [p.name for p in (slow_site.tmp / "backups").rglob("nginx.conf.*")]

    after = run_cli("audit", "-i", str(slow_site.inventory()), "--checks", "nginx", "--format", "json")
    found = {f["id"] for h in json.loads(after.stdout)["hosts"] for f in h["findings"]}
    assert found.isdisjoint({"NGX001", "NGX007", "NGX008"}), found

    before = config_state(slow_site)
    second = role_only(slow_site)
    assert second.returncode == 0, second.stdout[-5000:]
    assert recap(second.stdout, "demo-site")["changed"] == 0
    assert config_state(slow_site) == before
    again = playbook(slow_site)
    assert again.returncode == 0, again.stdout[-5000:]
    assert recap(again.stdout, "demo-site")["changed"] == 0


def test_check_mode_changes_no_file(slow_site: SlowSite) -> None:
    before = config_state(slow_site)

    result = playbook(slow_site, "--check", "--diff")

    assert result.returncode == 0, result.stdout[-5000:]
    assert recap(result.stdout, "demo-site")["changed"] >= 1
    assert "proxy_read_timeout 60s;" in result.stdout  # the diff shows what would change
    assert config_state(slow_site) == before
    assert status(slow_site.url) == 504


def test_snippet_nginx_refuses_is_rolled_back_and_nginx_keeps_serving(slow_site: SlowSite) -> None:
    before = config_state(slow_site)

    result = playbook(slow_site, "-e", "nginx_proxy_buffer_size=16q")

    assert result.returncode != 0
    assert "nginx_proxy rolled back its change" in result.stdout
    assert '"proxy_buffer_size" directive invalid value' in result.stdout, result.stdout[-3000:]
    assert config_state(slow_site) == before
    assert not (slow_site.tmp / "conf.d" / "fix502-proxy-tuning.conf").exists()
    assert status(slow_site.url) == 504  # still the old configuration, still serving


def test_site_answering_worse_after_the_reload_is_rolled_back(slow_site: SlowSite) -> None:
    fast_url = slow_site.fast_url
    assert status(fast_url) == 200
    before = config_state(slow_site)

    # nginx -t accepts a one-byte header buffer, but no response fits in it: the fast site answers 502.
    result = playbook(slow_site, "-e", "nginx_proxy_buffer_size=1", "-e", "nginx_proxy_probe_retries=1")

    assert result.returncode != 0
    assert "nginx_proxy rolled back its change" in result.stdout, result.stdout[-3000:]
    assert "Ask each site again" in result.stdout
    assert config_state(slow_site) == before
    assert status(fast_url) == 200
    assert status(slow_site.url) == 504
