"""nginx configuration parsing: real `nginx -T` output, includes expanded with file and line kept."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from fix502.nginx_config import parse_dump, parse_files, split_dump
from fix502.upstreams import Address, endpoints, parse_address, sites

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

MAIN = """\
events {}
http {
    include upstreams/*.conf;
    include sites/*.conf;
}
"""
UPSTREAMS = """\
upstream app {
    server 127.0.0.1:8001 max_fails=2;
    server 127.0.0.1:8002 backup;
    server [::1]:8003 down;
    keepalive 8;
}
"""
SITE_A = """\
server {
    listen 127.0.0.1:8080;
    server_name www.example.test;
    location / { proxy_pass http://app; }
    location /php/ {
        include fastcgi_params;
        fastcgi_pass unix:/run/php/php-fpm.sock;
    }
    location /dyn/ { proxy_pass http://$host:9000; }
    location /sock/ { proxy_pass http://unix:/run/app.sock:/api/; }
}"""
SITE_B = """\
server {
    listen 8443;
    location / { grpc_pass grpc://localhost:50051; }
}
"""


@pytest.fixture
def conf_tree(tmp_path: Path) -> Path:
    (tmp_path / "upstreams").mkdir()
    (tmp_path / "sites").mkdir()
    (tmp_path / "nginx.conf").write_text(MAIN)
    (tmp_path / "upstreams" / "app.conf").write_text(UPSTREAMS)
    (tmp_path / "sites" / "a.conf").write_text(SITE_A)
    (tmp_path / "sites" / "b.conf").write_text(SITE_B)
    (tmp_path / "fastcgi_params").write_text("fastcgi_param QUERY_STRING $query_string;\n")
    return tmp_path / "nginx.conf"


def nginx_dump(main: Path) -> str:
    if not Path(NGINX).exists():
        pytest.fail("nginx is not installed (make test installs it)")
    done = subprocess.run([NGINX, "-T", "-c", str(main)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_split_dump_keeps_each_file_exactly(conf_tree: Path) -> None:
    files = split_dump(nginx_dump(conf_tree))
    root = conf_tree.parent
    assert next(iter(files)) == str(conf_tree)
    assert files[str(root / "sites" / "a.conf")] == SITE_A
    assert files[str(root / "upstreams" / "app.conf")] == UPSTREAMS


def test_directives_keep_their_own_file_and_line(conf_tree: Path) -> None:
    config = parse_dump(nginx_dump(conf_tree))
    root = conf_tree.parent
    assert config.problems == []
    [fastcgi] = config.find("fastcgi_pass")
    assert (fastcgi.file, fastcgi.line) == (str(root / "sites" / "a.conf"), 7)
    assert fastcgi.context == ("http", "server", "location")
    [param] = config.find("fastcgi_param")
    assert param.file == str(root / "fastcgi_params")
    servers = [d.file for d in config.find("server") if d.context == ("http",)]
    assert servers == [str(root / "sites" / "a.conf"), str(root / "sites" / "b.conf")]


def test_dump_and_disk_give_the_same_tree(conf_tree: Path) -> None:
    from_dump = [
        (d.name, d.args, d.file, d.line, d.context) for d in parse_dump(nginx_dump(conf_tree)).walk()
    ]
    from_disk = [(d.name, d.args, d.file, d.line, d.context) for d in parse_files(str(conf_tree)).walk()]
    assert from_dump == from_disk


def test_include_loop_and_missing_file_are_problems(tmp_path: Path) -> None:
    (tmp_path / "nginx.conf").write_text("events {}\nhttp { include loop.conf; include missing.conf; }\n")
    (tmp_path / "loop.conf").write_text("include loop.conf;\n")
    config = parse_files(str(tmp_path / "nginx.conf"))
    messages = [p.message for p in config.problems]
    assert any("include loop through" in m for m in messages)
    assert any("missing.conf cannot be read" in m for m in messages)


def test_syntax_error_is_reported_with_its_file(tmp_path: Path) -> None:
    (tmp_path / "nginx.conf").write_text("http {\n  server {\n")
    config = parse_files(str(tmp_path / "nginx.conf"))
    [problem] = config.problems
    assert problem.file == str(tmp_path / "nginx.conf")
    assert "unexpected end of file" in problem.message


def test_endpoints_cover_every_pass_form(conf_tree: Path) -> None:
    config = parse_dump(nginx_dump(conf_tree))
    found, dynamic = endpoints(config)
    by_address = {str(e.address): e for e in found}
    assert set(by_address) == {
        "127.0.0.1:8001",
        "127.0.0.1:8002",
        "[::1]:8003",
        "unix:/run/php/php-fpm.sock",
        "unix:/run/app.sock",
        "localhost:50051",
    }
    assert by_address["127.0.0.1:8002"].backup and by_address["[::1]:8003"].down
    assert by_address["127.0.0.1:8001"].upstream == "app"
    assert by_address["127.0.0.1:8001"].line == 2
    assert [d.value for d in dynamic] == ["http://$host:9000"]


def test_sites_are_probe_urls_with_host_headers(conf_tree: Path) -> None:
    config = parse_dump(nginx_dump(conf_tree))
    assert [(s.url, s.host_header) for s in sites(config)] == [
        ("http://127.0.0.1:8080/", "www.example.test"),
        ("http://127.0.0.1:8443/", "localhost"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:80", Address(host="127.0.0.1", port=80)),
        ("backend", Address(host="backend", port=80)),
        ("[::1]:9000", Address(host="::1", port=9000)),
        ("unix:/run/x.sock", Address(socket="/run/x.sock")),
        ("host:notaport", None),
    ],
)
def test_parse_address(text: str, expected: Address | None) -> None:
    assert parse_address(text, 80) == expected
