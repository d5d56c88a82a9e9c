"""Every nginx check on real configuration files: one that fails it, one that passes, checked by nginx -t.

Each failing case names the file and line the finding must point at: the directive at fault, or
the block that lacks one.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from nginx_cases import assert_valid, judge, line_of, nginx_t, write

from fix502.catalogue import BY_ID
from fix502.engine import COLLECTED_SCHEMA, judge_host
from fix502.model import Severity
from fix502.nginx_config import parse_files


def resolvable_name() -> str | None:
    """A host name that resolves here without a network (the machine's own), for nginx -t."""
    name = socket.gethostname()
    try:
        socket.getaddrinfo(name, 80)
    except OSError:
        return None
    return name if name != "localhost" else None


def where(finding: object) -> tuple[str | None, int | None]:
    evidence = finding.evidence  # type: ignore[attr-defined]
    return evidence.file, evidence.line


# ---------------------------------------------------------------- NGX001 keepalive


KEEPALIVE = """\
http {
    upstream app { server 127.0.0.1:9001; keepalive 8; }
    @HTTP@
    server {
        listen 127.0.0.1:18080;
        location / {
            @LOCATION@
            proxy_pass http://app;
        }
    }
}
"""


def keepalive(tmp: Path, http: str, location: str) -> Path:
    return write(tmp, KEEPALIVE.replace("@HTTP@", http).replace("@LOCATION@", location))


def test_ngx001_keepalive_without_http11_and_cleared_connection(tmp_path: Path) -> None:
    conf = keepalive(tmp_path, "", "proxy_set_header Host $host;")
    assert_valid(conf)
    [finding] = judge(conf, "NGX001")
    assert where(finding) == (str(conf), line_of(conf, "proxy_pass"))
    assert "HTTP/1.0" in finding.cause and "Connection: close" in finding.cause
    assert finding.autofix and finding.fixed_by == "fix502.gateway.nginx_proxy"


def test_ngx001_headers_at_http_level_are_not_inherited_by_a_location_with_its_own(tmp_path: Path) -> None:
    # proxy_set_header is replaced as a whole: Host in the location drops http's Connection "".
    conf = keepalive(
        tmp_path, 'proxy_http_version 1.1; proxy_set_header Connection "";', "proxy_set_header Host $host;"
    )
    assert_valid(conf)
    [finding] = judge(conf, "NGX001")
    assert "HTTP/1.0" not in finding.cause and "Connection: close" in finding.cause
    assert f"location block at {conf}:{line_of(conf, 'location /')}" in finding.fix


def test_ngx001_passes_when_inherited_or_set_in_the_location(tmp_path: Path) -> None:
    inherited = keepalive(tmp_path, 'proxy_http_version 1.1; proxy_set_header Connection "";', "")
    assert_valid(inherited)
    assert judge(inherited, "NGX001") == []
    local = keepalive(
        tmp_path,
        "proxy_http_version 1.1;",
        'proxy_set_header Host $host; proxy_set_header Connection "";',
    )
    assert_valid(local)
    assert judge(local, "NGX001") == []


def test_ngx001_comes_first_when_the_error_log_shows_the_ports_running_out(tmp_path: Path) -> None:
    conf = keepalive(tmp_path, "", "")
    assert_valid(conf)
    line = (
        "2024/05/01 10:00:0{s} [crit] 7#7: *{s} connect() to {addr} failed (99: Cannot assign requested "
        'address) while connecting to upstream, client: 127.0.0.1, server: _, request: "GET / HTTP/1.1", '
        'upstream: "http://{addr}/", host: "127.0.0.1"\n'
    )

    def findings(addr: str) -> list[tuple[str, Severity]]:
        tail = "".join(line.format(s=s, addr=addr) for s in range(3))
        collected = {
            "schema": COLLECTED_SCHEMA,
            "error_logs": [{"path": "error.log", "tail": tail, "offset": 0}],
        }
        report = judge_host(
            "test", collected, [BY_ID["NGX001"], BY_ID["LOG006"]], config=parse_files(str(conf))
        ).report
        if report.findings and report.findings[0].id == "NGX001":
            assert ("(99: Cannot assign requested address)" in report.findings[0].cause) is (
                report.findings[0].severity is Severity.HIGH
            )
        return [(f.id, f.severity) for f in report.findings]

    # towards a server of the upstream: the configuration is the root cause, as severe as its symptom
    assert findings("127.0.0.1:9001") == [("NGX001", Severity.HIGH), ("LOG006", Severity.HIGH)]
    # towards some other backend: the keepalive finding stays what it is
    assert findings("10.0.0.9:80") == [("LOG006", Severity.HIGH), ("NGX001", Severity.MEDIUM)]


def test_ngx001_websocket_map_is_not_auto_fixed(tmp_path: Path) -> None:
    conf = keepalive(
        tmp_path,
        "proxy_http_version 1.1; map $http_upgrade $connection_upgrade { default upgrade; '' close; }",
        "proxy_set_header Connection $connection_upgrade;",
    )
    assert_valid(conf)
    [finding] = judge(conf, "NGX001")
    assert not finding.autofix
    cleared = keepalive(
        tmp_path,
        "proxy_http_version 1.1; map $http_upgrade $connection_upgrade { default upgrade; '' ''; }",
        "proxy_set_header Connection $connection_upgrade;",
    )
    assert judge(cleared, "NGX001") == []


# ---------------------------------------------------------------- NGX002 resolved once


def test_ngx002_host_name_resolved_at_start_up(tmp_path: Path) -> None:
    name = resolvable_name() or "backend.example.test"
    conf = write(
        tmp_path,
        f"http {{\n    upstream named {{ server {name}:9000; }}\n"
        "    server {\n        listen 127.0.0.1:18080;\n"
        f"        location / {{ proxy_pass http://{name}:9000/; }}\n"
        "        location /u/ { proxy_pass http://named; }\n    }\n}\n",
    )
    if resolvable_name():
        assert_valid(conf)
    found = judge(conf, "NGX002")
    assert sorted(where(f) for f in found) == [
        (str(conf), line_of(conf, "upstream named")),
        (str(conf), line_of(conf, "location / ")),
    ]
    assert "set $backend" in found[0].fix or "set $backend" in found[1].fix


def test_ngx002_passes_for_addresses_upstreams_and_variables(tmp_path: Path) -> None:
    conf = write(
        tmp_path,
        """\
http {
    resolver 127.0.0.1 valid=30s;
    upstream app { server 127.0.0.1:9000; }
    server {
        listen 127.0.0.1:18080;
        location / { proxy_pass http://app; }
        location /ip/ { proxy_pass http://127.0.0.1:9001; }
        location /local/ { proxy_pass http://localhost:9002; }
        location /dyn/ { set $backend backend.example.test; proxy_pass http://$backend:9003; }
    }
}
""",
    )
    assert_valid(conf)
    assert judge(conf, "NGX002") == []


# ---------------------------------------------------------------- NGX003 / NGX004 retries

RETRIES = """\
http {
    upstream pool { server 127.0.0.1:9001; server 127.0.0.1:9002; }
    server {
        listen 127.0.0.1:18080;
        @SERVER@
        location / {
            @LOCATION@
            proxy_pass http://pool;
        }
    }
}
"""


def retries(tmp: Path, server: str = "", location: str = "") -> Path:
    return write(tmp, RETRIES.replace("@SERVER@", server).replace("@LOCATION@", location))


def test_ngx003_defaults_are_low_and_off_is_medium(tmp_path: Path) -> None:
    conf = retries(tmp_path)
    assert_valid(conf)
    [default] = judge(conf, "NGX003")
    assert default.severity is Severity.LOW and default.autofix
    assert where(default) == (str(conf), line_of(conf, "proxy_pass"))
    off = retries(tmp_path, location="proxy_next_upstream off;")
    assert_valid(off)
    [finding] = judge(off, "NGX003")
    assert finding.severity is Severity.MEDIUM and not finding.autofix
    assert where(finding) == (str(off), line_of(off, "proxy_next_upstream off"))


def test_ngx003_passes_with_inherited_bounded_retries(tmp_path: Path) -> None:
    conf = retries(
        tmp_path, server="proxy_next_upstream error timeout http_502; proxy_next_upstream_tries 2;"
    )
    assert_valid(conf)
    assert judge(conf, "NGX003") == []


def test_ngx004_retrying_non_idempotent_requests(tmp_path: Path) -> None:
    conf = retries(tmp_path, location="proxy_next_upstream error timeout non_idempotent;")
    assert_valid(conf)
    [finding] = judge(conf, "NGX004")
    assert where(finding) == (str(conf), line_of(conf, "non_idempotent"))
    safe = retries(tmp_path, location="proxy_next_upstream error timeout;")
    assert judge(safe, "NGX004") == []


# ---------------------------------------------------------------- NGX005 / NGX006 upstream groups


def group(tmp: Path, servers: str) -> Path:
    return write(
        tmp,
        f"http {{\n    upstream grp {{\n{servers}\n    }}\n    server {{\n        listen 127.0.0.1:18080;\n"
        "        location / { proxy_pass http://grp; }\n    }\n}\n",
    )


def test_ngx005_single_server_without_backup(tmp_path: Path) -> None:
    conf = group(tmp_path, "        server 127.0.0.1:9001;")
    assert_valid(conf)
    [finding] = judge(conf, "NGX005")
    assert where(finding) == (str(conf), line_of(conf, "upstream grp"))
    backup = group(tmp_path, "        server 127.0.0.1:9001;\n        server 127.0.0.1:9002 backup;")
    assert_valid(backup)
    assert judge(backup, "NGX005") == []


def test_ngx006_all_servers_down_is_critical(tmp_path: Path) -> None:
    conf = group(tmp_path, "        server 127.0.0.1:9001 down;\n        server 127.0.0.1:9002 down;")
    assert_valid(conf)
    [finding] = judge(conf, "NGX006")
    assert finding.severity is Severity.CRITICAL
    assert where(finding) == (str(conf), line_of(conf, "upstream grp"))


def test_ngx006_one_failure_takes_a_small_group_out(tmp_path: Path) -> None:
    explicit = group(
        tmp_path,
        "        server 127.0.0.1:9001 max_fails=1 fail_timeout=30s;\n"
        "        server 127.0.0.1:9002 max_fails=1;",
    )
    assert_valid(explicit)
    [finding] = judge(explicit, "NGX006")
    assert finding.severity is Severity.MEDIUM and "30s" in finding.cause
    default = group(tmp_path, "        server 127.0.0.1:9001;\n        server 127.0.0.1:9002;")
    [low] = judge(default, "NGX006")
    assert low.severity is Severity.LOW and "default" in low.cause


def test_ngx006_passes_with_tolerant_servers_a_backup_or_a_large_group(tmp_path: Path) -> None:
    for servers in (
        "        server 127.0.0.1:9001 max_fails=3;\n        server 127.0.0.1:9002 max_fails=3;",
        "        server 127.0.0.1:9001;\n        server 127.0.0.1:9002;\n"
        "        server 127.0.0.1:9003 backup;",
        "\n".join(f"        server 127.0.0.1:{9000 + n};" for n in range(4)),
    ):
        conf = group(tmp_path, servers)
        assert_valid(conf)
        assert judge(conf, "NGX006") == [], servers


# ---------------------------------------------------------------- NGX007 timeouts

TIMEOUTS = """\
http {
    proxy_read_timeout @READ@;
    server {
        listen 127.0.0.1:18080;
        location / { proxy_connect_timeout @CONNECT@; proxy_pass http://127.0.0.1:9000; }
        location ~ \\.php$ {
            include fastcgi.conf;
            fastcgi_read_timeout @FASTCGI@;
            fastcgi_pass 127.0.0.1:9001;
        }
    }
}
"""


def timeouts(tmp: Path, read: str, connect: str, fastcgi: str) -> Path:
    body = TIMEOUTS.replace("@READ@", read).replace("@CONNECT@", connect).replace("@FASTCGI@", fastcgi)
    return write(tmp, body, files={"fastcgi.conf": "fastcgi_param SCRIPT_FILENAME $request_filename;\n"})


def test_ngx007_timeouts_below_their_thresholds(tmp_path: Path) -> None:
    conf = timeouts(tmp_path, "1m", "500ms", "10s")
    assert_valid(conf)
    found = {f.evidence.to_dict()["values"]["setting"]: f for f in judge(conf, "NGX007")}
    assert set(found) == {"proxy_connect_timeout", "fastcgi_read_timeout"}
    assert where(found["proxy_connect_timeout"]) == (str(conf), line_of(conf, "proxy_connect_timeout"))
    assert where(found["fastcgi_read_timeout"]) == (str(conf), line_of(conf, "fastcgi_read_timeout"))
    assert "500ms" in found["proxy_connect_timeout"].cause and "1s" in found["proxy_connect_timeout"].cause
    strict = judge(conf, "NGX007", proxy_read_timeout_min_seconds="2m")
    assert any(f.evidence.line == line_of(conf, "proxy_read_timeout") for f in strict)


def test_ngx007_passes_at_or_above_the_thresholds(tmp_path: Path) -> None:
    conf = timeouts(tmp_path, "60", "1s", "30s")
    assert_valid(conf)
    assert judge(conf, "NGX007") == []
    assert judge(conf, "NGX007", proxy_connect_timeout_min_seconds="2s") != []


# ---------------------------------------------------------------- NGX008 header buffers


def buffers(tmp: Path, http: str, location: str) -> Path:
    return write(
        tmp,
        f"http {{\n    {http}\n    server {{\n        listen 127.0.0.1:18080;\n"
        f"        location / {{ {location} proxy_pass http://127.0.0.1:9000; }}\n"
        "        location /two/ { proxy_pass http://127.0.0.1:9001; }\n    }\n}\n",
    )


def test_ngx008_small_explicit_buffer_and_unset_default(tmp_path: Path) -> None:
    conf = buffers(tmp_path, "", "proxy_buffer_size 4k;")
    assert_valid(conf)
    found = sorted(judge(conf, "NGX008"), key=lambda f: -f.severity)
    explicit, unset = found
    assert explicit.severity is Severity.MEDIUM
    assert where(explicit) == (str(conf), line_of(conf, "proxy_buffer_size"))
    assert unset.severity is Severity.LOW and "1 proxy_pass location" in unset.cause
    assert where(unset) == (str(conf), line_of(conf, "http {"))  # the block that lacks one


def test_ngx008_passes_with_a_large_buffer_at_http_level(tmp_path: Path) -> None:
    conf = buffers(tmp_path, "proxy_buffer_size 16k; proxy_buffers 8 16k;", "")
    assert_valid(conf)
    assert judge(conf, "NGX008") == []
    assert judge(conf, "NGX008", proxy_buffer_size_min_bytes="32k") != []


# ---------------------------------------------------------------- NGX009 open files per worker


def workers(tmp: Path, main: str, connections: int) -> Path:
    return write(
        tmp,
        f"{main}\nevents {{ worker_connections {connections}; }}\nhttp {{}}\n",
        events=False,
    )


def test_ngx009_rlimit_below_worker_connections(tmp_path: Path) -> None:
    conf = workers(tmp_path, "worker_processes 2;\nworker_rlimit_nofile 512;", 1024)
    assert_valid(conf)
    [finding] = judge(conf, "NGX009")
    assert finding.severity is Severity.HIGH and "2048" in finding.cause
    assert where(finding) == (str(conf), line_of(conf, "worker_rlimit_nofile"))


def test_ngx009_no_rlimit_and_many_connections(tmp_path: Path) -> None:
    conf = workers(tmp_path, "worker_processes auto;", 4096)
    assert_valid(conf)
    [finding] = judge(conf, "NGX009")
    assert finding.severity is Severity.MEDIUM
    assert where(finding) == (str(conf), line_of(conf, "worker_connections"))


def test_ngx009_passes_with_enough_files(tmp_path: Path) -> None:
    conf = workers(tmp_path, "worker_processes 2;\nworker_rlimit_nofile 8192;", 4096)
    assert_valid(conf)
    assert judge(conf, "NGX009") == []
    assert judge(workers(tmp_path, "", 768), "NGX009") == []


# ---------------------------------------------------------------- NGX010 FastCGI, uwsgi, gRPC


def protocols(tmp: Path, server: str, locations: str, listen: str = "127.0.0.1:18080") -> Path:
    return write(
        tmp,
        f"http {{\n    server {{\n        listen {listen};\n        {server}\n{locations}\n    }}\n}}\n",
        files={
            "fastcgi_params": "fastcgi_param QUERY_STRING $query_string;\n",
            "fastcgi.conf": "fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;\n"
            "fastcgi_param QUERY_STRING $query_string;\n",
            "uwsgi_params": "uwsgi_param QUERY_STRING $query_string;\n",
        },
    )


def test_ngx010_fastcgi_without_params_or_script_filename(tmp_path: Path) -> None:
    conf = protocols(
        tmp_path,
        "",
        "        location /a/ { fastcgi_pass 127.0.0.1:9000; }\n"
        "        location /b/ { include fastcgi_params; fastcgi_pass 127.0.0.1:9000; }",
    )
    assert_valid(conf)
    found = sorted(judge(conf, "NGX010"), key=lambda f: f.evidence.line or 0)
    assert [f.severity for f in found] == [Severity.HIGH, Severity.MEDIUM]
    assert [f.evidence.line for f in found] == [line_of(conf, "location /a/"), line_of(conf, "location /b/")]
    assert "SCRIPT_FILENAME" in found[1].cause


def test_ngx010_fastcgi_params_are_replaced_not_merged(tmp_path: Path) -> None:
    conf = protocols(
        tmp_path,
        "fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;",
        "        location /a/ { fastcgi_param APP_ENV prod; fastcgi_pass 127.0.0.1:9000; }\n"
        "        location /b/ { fastcgi_pass 127.0.0.1:9000; }",
    )
    assert_valid(conf)
    [finding] = judge(conf, "NGX010")
    assert finding.evidence.line == line_of(conf, "location /a/")


def test_ngx010_uwsgi_and_grpc(tmp_path: Path) -> None:
    conf = protocols(
        tmp_path,
        "",
        "        location /py/ { uwsgi_pass 127.0.0.1:9000; }\n"
        "        location /rpc/ { grpc_pass grpc://127.0.0.1:50051; }",
    )
    assert_valid(conf)
    found = {f.evidence.line: f for f in judge(conf, "NGX010")}
    assert set(found) == {line_of(conf, "location /py/"), line_of(conf, "location /rpc/")}
    assert "HTTP/2" in found[line_of(conf, "location /rpc/")].cause


def test_ngx010_passes_when_each_protocol_gets_what_it_needs(tmp_path: Path) -> None:
    conf = protocols(
        tmp_path,
        "",
        "        location /php/ { include fastcgi.conf; fastcgi_pass 127.0.0.1:9000; }\n"
        "        location /py/ { include uwsgi_params; uwsgi_pass 127.0.0.1:9001; }\n"
        "        location /rpc/ { grpc_pass grpc://127.0.0.1:50051; }",
        listen="127.0.0.1:18080 http2",
    )
    assert_valid(conf)
    assert judge(conf, "NGX010") == []


# ---------------------------------------------------------------- NGX011 URI part


def uri(tmp: Path, location: str) -> Path:
    return write(
        tmp,
        f"http {{\n    server {{\n        listen 127.0.0.1:18080;\n        {location}\n    }}\n}}\n",
    )


def test_ngx011_uri_part_in_a_regex_location_is_refused_by_nginx(tmp_path: Path) -> None:
    conf = uri(tmp_path, "location ~ ^/api/ { proxy_pass http://127.0.0.1:9000/v1/; }")
    done = nginx_t(conf)
    assert done.returncode != 0 and "cannot have URI part" in done.stderr
    [finding] = judge(conf, "NGX011")
    assert finding.severity is Severity.HIGH
    assert where(finding) == (str(conf), line_of(conf, "proxy_pass"))


def test_ngx011_prefix_and_uri_end_differently(tmp_path: Path) -> None:
    conf = uri(tmp_path, "location /api { proxy_pass http://127.0.0.1:9000/v1/; }")
    assert_valid(conf)
    [finding] = judge(conf, "NGX011")
    assert "/api/x" in finding.cause and "/v1//x" in finding.cause
    assert where(finding) == (str(conf), line_of(conf, "proxy_pass"))


def test_ngx011_passes_for_matching_ends_variables_and_no_uri(tmp_path: Path) -> None:
    for location in (
        "location /api/ { proxy_pass http://127.0.0.1:9000/v1/; }",
        "location ~ ^/api/(.*)$ { proxy_pass http://127.0.0.1:9000/v1/$1; }",
        "location /api { proxy_pass http://127.0.0.1:9000; }",
        "location = /health { proxy_pass http://127.0.0.1:9000/status; }",
    ):
        conf = uri(tmp_path, location)
        assert_valid(conf)
        assert judge(conf, "NGX011") == [], location


# ---------------------------------------------------------------- NGX012 SNI


def test_ngx012_https_backend_by_name_without_sni(tmp_path: Path) -> None:
    name = resolvable_name() or "backend.example.test"
    conf = uri(tmp_path, f"location / {{ proxy_pass https://{name}; }}")
    if resolvable_name():
        assert_valid(conf)
    [finding] = judge(conf, "NGX012")
    assert where(finding) == (str(conf), line_of(conf, "proxy_pass"))
    fixed = uri(tmp_path, f"location / {{ proxy_ssl_server_name on; proxy_pass https://{name}; }}")
    if resolvable_name():
        assert_valid(fixed)
    assert judge(fixed, "NGX012") == []
    address = uri(tmp_path, "location / { proxy_pass https://127.0.0.1:8443; }")
    assert judge(address, "NGX012") == []


# ---------------------------------------------------------------- NGX013 unreadable configuration


def test_ngx013_syntax_error_and_missing_include(tmp_path: Path) -> None:
    conf = write(
        tmp_path,
        "http {\n    include sites/*.conf;\n    include mime.types;\n}\n",
        files={"sites/a.conf": "server {\n    listen 127.0.0.1:18080;\n    location / {\n}\n"},
    )
    assert nginx_t(conf).returncode != 0
    found = judge(conf, "NGX013")
    places = sorted((f.evidence.file, f.evidence.line) for f in found)
    assert (str(conf), line_of(conf, "mime.types")) in places
    assert any(file == str(tmp_path / "sites" / "a.conf") for file, _ in places)
    clean = write(tmp_path, "http {}\n")
    assert judge(clean, "NGX013") == []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_nginx_text_renders(tmp_path: Path, lang: str) -> None:
    """No finding of any nginx check leaves a placeholder unfilled, in either language."""
    from fix502 import catalogue
    from fix502.engine import COLLECTED_SCHEMA, judge_host
    from fix502.nginx_config import parse_files

    conf = write(
        tmp_path,
        """\
worker_rlimit_nofile 100;
events { worker_connections 4096; }
http {
    map $http_upgrade $conn { default upgrade; '' close; }
    upstream app { server 127.0.0.1:9001; server 127.0.0.1:9002; keepalive 4; }
    upstream one { server named.example.test:443; }
    upstream dead { server 127.0.0.1:9003 down; }
    proxy_read_timeout 1s;
    server {
        listen 127.0.0.1:18080;
        location /api { proxy_buffer_size 1k; proxy_pass http://app/v1/; proxy_next_upstream non_idempotent; }
        location ~ /re/ { proxy_pass http://127.0.0.1:9000/x; }
        location /ws/ { proxy_set_header Connection $conn; proxy_pass http://app; }
        location /s/ { proxy_pass https://one; }
        location /n/ { proxy_pass https://named.example.test; }
        location /off/ { proxy_next_upstream off; proxy_pass http://app; }
        location /php/ { fastcgi_param A b; fastcgi_pass 127.0.0.1:9000; }
        location /py/ { uwsgi_pass 127.0.0.1:9001; }
        location /rpc/ { grpc_pass grpc://127.0.0.1:50051; }
        include missing.conf;
    }
}
""",
        events=False,
    )
    checks = [c for c in catalogue.CHECKS if c.category == "nginx"]
    report = judge_host(
        "t", {"schema": COLLECTED_SCHEMA}, checks, lang=lang, config=parse_files(str(conf))
    ).report
    assert {f.id for f in report.findings} == {c.id for c in checks}
    for finding in report.findings:
        assert "{" not in finding.cause.replace("{ ", "") and "{" not in finding.fix, finding
