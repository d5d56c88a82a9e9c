"""The plan of the role nginx_proxy and the edits of the module nginx_edit, on real nginx -T output.

Applied the way the role applies them (snippets written, statements edited in place), the plan
must give a configuration nginx -t accepts, in which the findings the role owns are gone; planned
again, it changes nothing.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from ansible_collections.fix502.gateway.plugins.module_utils._nginx_edit import EditError, apply_edits
from nginx_cases import NGINX, assert_valid, write

from fix502 import catalogue
from fix502.engine import COLLECTED_SCHEMA, judge_host
from fix502.proxy_tuning import plan

OWNED = {"NGX001", "NGX003", "NGX007", "NGX008"}
SETTINGS = {
    "http_version": "1.1",
    "clear_connection_header": True,
    "connect_timeout": "5s",
    "read_timeout": "60s",
    "fastcgi_read_timeout": "60s",
    "buffer_size": "16k",
    "buffers": "8 16k",
    "fastcgi_buffer_size": "16k",
    "fastcgi_buffers": "8 16k",
    "next_upstream": "error timeout http_502 http_503",
    "next_upstream_tries": "2",
}

CONF = """\
http {
    proxy_read_timeout 2s;
    upstream pool { server 127.0.0.1:9001; server 127.0.0.1:9002 max_fails=3; keepalive 8; }
    server {
        listen 127.0.0.1:18080;
        proxy_set_header Host $host;
        location / { proxy_pass http://pool; }
        location /api/ {
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header Connection close;
            proxy_http_version 1.0;
            proxy_connect_timeout 100ms;
            proxy_buffer_size 2k;
            proxy_pass http://pool;
        }
        location /ws/ {
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_pass http://pool;
        }
    }
    map $http_upgrade $connection_upgrade { default upgrade; '' close; }
}
"""


def dump(conf: Path) -> str:
    done = subprocess.run(
        [NGINX, "-T", "-c", str(conf), "-p", f"{conf.parent}/"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def findings(text: str) -> list[dict[str, Any]]:
    checks = [c for c in catalogue.CHECKS if c.category == "nginx"]
    report = judge_host("t", {"schema": COLLECTED_SCHEMA, "nginx": {"dump": text}}, checks).report
    return [f.to_dict() for f in report.findings]


def apply(result: dict[str, Any]) -> int:
    """Do what the role does with a plan; how many files changed."""
    changed = 0
    for item in result["files"]:
        path = Path(item["path"])
        before = path.read_text() if path.exists() else None
        if "content" in item:
            after = item["content"]
        else:
            assert before is not None
            after, _ = apply_edits(before, item["edits"])
        if after != before:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(after)
            changed += 1
    return changed


def test_plan_fixes_owned_findings_and_is_stable(tmp_path: Path) -> None:
    conf = write(tmp_path, CONF)
    assert_valid(conf)
    before = findings(dump(conf))
    assert {f["id"] for f in before} >= OWNED

    first = plan(dump(conf), before, SETTINGS)
    assert apply(first) == 3  # snippet, location snippet, nginx.conf
    assert_valid(conf)

    text = conf.read_text()
    assert f"include {tmp_path}/conf.d/fix502-proxy-tuning.conf;" in text
    assert "proxy_read_timeout 60s;  # fix502.gateway.nginx_proxy: was 2s" in text
    assert "proxy_connect_timeout 5s;" in text and "proxy_buffer_size 16k;" in text
    assert "proxy_http_version 1.1;" in text and 'proxy_set_header Connection "";' in text
    assert text.count(f"include {tmp_path}/snippets/fix502-proxy-location.conf;") == 1  # the server block
    assert "proxy_set_header Connection $connection_upgrade;" in text  # WebSocket left alone

    after = findings(dump(conf))
    left = {(f["id"], f["evidence"]["line"]) for f in after if f["id"] in OWNED}
    ws_line = next(i for i, line in enumerate(text.splitlines(), 1) if "location /ws/" in line) + 3
    assert left == {("NGX001", ws_line)}, left

    second = plan(dump(conf), after, SETTINGS)
    assert apply(second) == 0
    assert [f for f in second["files"] if "edits" in f] == []


def test_an_existing_include_glob_gets_the_snippet_without_editing_nginx_conf(tmp_path: Path) -> None:
    conf = write(
        tmp_path,
        "http {\n    include conf.d/*.conf;\n"
        "    server { listen 127.0.0.1:18080; location / { proxy_pass http://127.0.0.1:9; } }\n}\n",
        files={"conf.d/other.conf": "gzip on;\n"},
    )
    result = plan(dump(conf), findings(dump(conf)), SETTINGS)
    assert [f["path"] for f in result["files"]] == [f"{tmp_path}/conf.d/fix502-proxy-tuning.conf"]
    apply(result)
    assert_valid(conf)


def test_user_settings_at_http_level_stay_theirs(tmp_path: Path) -> None:
    conf = write(
        tmp_path,
        "http {\n    proxy_buffer_size 8k;\n    proxy_http_version 1.1;\n"
        "    server { listen 127.0.0.1:18080; location / { proxy_pass http://127.0.0.1:9; } }\n}\n",
    )
    result = plan(dump(conf), [], SETTINGS)
    snippet = result["files"][0]["content"]
    assert "proxy_buffer_size" not in snippet and "proxy_http_version" not in snippet
    assert "proxy_buffers 8 16k;" in snippet
    apply(result)
    assert_valid(conf)


def test_edits_touch_one_statement_and_refuse_a_changed_file() -> None:
    text = "http {\n    # proxy_read_timeout 1s;\n    server { proxy_read_timeout 1s; listen 80; }\n}\n"
    edited, count = apply_edits(text, [{"line": 3, "directive": "proxy_read_timeout", "value": "60s"}])
    assert count == 1
    assert (
        edited
        == "http {\n    # proxy_read_timeout 1s;\n    server { proxy_read_timeout 60s; listen 80; }\n}\n"
    )
    assert apply_edits(edited, [{"line": 3, "directive": "proxy_read_timeout", "value": "60s"}]) == (
        edited,
        0,
    )
    with pytest.raises(EditError, match="no proxy_read_timeout directive starts on line 2"):
        apply_edits(text, [{"line": 2, "directive": "proxy_read_timeout", "value": "60s"}])
    with pytest.raises(EditError, match="does not open a block"):
        apply_edits(text, [{"line": 3, "directive": "listen", "action": "insert_in_block", "value": "x;"}])


def test_settings_left_empty_or_false_are_left_alone(tmp_path: Path) -> None:
    conf = write(
        tmp_path,
        "http {\n    server { listen 127.0.0.1:18080; location / { proxy_pass http://127.0.0.1:9; } }\n}\n",
    )
    quiet = dict.fromkeys(SETTINGS, "") | {"clear_connection_header": "False", "buffer_size": "16k"}
    [snippet, _include] = plan(dump(conf), [], quiet)["files"]
    assert snippet["content"].splitlines()[1:] == ["proxy_buffer_size 16k;"]
