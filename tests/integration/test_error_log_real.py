"""The error log classifier against the lines the real nginx writes when it answers 502 or 504.

Each location of the lab's nginx proxies to a backend that fails in one way and logs to its own
file; the test requests it through nginx and classifies that file.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator

import pytest
from errorlog_lab import (
    Lab,
    bad_header,
    bad_status_line,
    close_early,
    fetch,
    plain_http,
    reset,
    scgi_bad_status,
    slow,
    slow_ok,
    too_big_header,
    wait_for_line,
)

from fix502.demo import free_port
from fix502.errorlog import Analysis, CauseSummary, scan_files


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    if os.geteuid() != 0:
        pytest.fail("the error log lab runs the system nginx as root, as CI does")
    lab = Lab()
    dead, dead2 = lab.dead = (free_port(), free_port())
    ports = lab.ports = {
        "slow": lab.serve(slow),
        "big": lab.serve(too_big_header),
        "early": lab.serve(close_early),
        "badstatus": lab.serve(bad_status_line),
        "badheader": lab.serve(bad_header),
        "scgi": lab.serve(scgi_bad_status),
        "reset": lab.serve(reset),
        "plain": lab.serve(plain_http),
        "hang": lab.full_tcp_queue(),
    }
    denied = lab.unix_socket("root-only.sock", 0o600)
    busy = lab.unix_socket("busy.sock", 0o666, full=True)
    upstreams = (
        f"    upstream alldown {{ server 127.0.0.1:{ports['slow']} down; }}\n"
        f"    upstream flaky {{\n        server 127.0.0.1:{dead} max_fails=1 fail_timeout=60s;\n"
        f"        server 127.0.0.1:{dead2} max_fails=1 fail_timeout=60s;\n    }}\n"
    )
    lab.site(
        {
            "refused": f"proxy_pass http://127.0.0.1:{dead};",
            "nosocket": f"proxy_pass http://unix:{lab.root}/missing.sock:;",
            "denied": f"proxy_pass http://unix:{denied}:;",
            "busy": f"proxy_pass http://unix:{busy}:;",
            "slow": f"proxy_read_timeout 1s; proxy_pass http://127.0.0.1:{ports['slow']};",
            "hang": f"proxy_connect_timeout 1s; proxy_pass http://127.0.0.1:{ports['hang']};",
            "big": f"proxy_buffer_size 4k; proxy_pass http://127.0.0.1:{ports['big']};",
            "early": f"proxy_pass http://127.0.0.1:{ports['early']};",
            "reset": f"proxy_pass http://127.0.0.1:{ports['reset']};",
            "badstatus": f"proxy_pass http://127.0.0.1:{ports['badstatus']};",
            "badheader": f"proxy_pass http://127.0.0.1:{ports['badheader']};",
            "scgi": f"include /etc/nginx/scgi_params; scgi_pass 127.0.0.1:{ports['scgi']};",
            "alldown": "proxy_pass http://alldown;",
            "flaky": "proxy_pass http://flaky;",
            "resolve": (
                f"resolver 127.0.0.1:{_free_udp_port()} valid=1s; resolver_timeout 1s; "
                f"set $backend backend.invalid; proxy_pass http://$backend:{dead};"
            ),
            "tls": f"proxy_pass https://127.0.0.1:{ports['plain']};",
        },
        upstreams,
    )
    try:
        yield lab
    finally:
        lab.close()


def provoke(lab: Lab, name: str, times: int) -> list[int | str]:
    return [fetch(lab.url(name)) for _ in range(times)]


def only(analysis: Analysis, cause: str) -> CauseSummary:
    assert [c.cause for c in analysis.causes] == [cause], [
        (c.cause, c.examples[0].text) for c in analysis.causes
    ]
    found = analysis.get(cause)
    assert found is not None
    return found


def upstreams(cause: CauseSummary) -> dict[str, int]:
    return {u.name: u.count for u in cause.upstreams}


@pytest.mark.parametrize(
    ("name", "times", "status", "cause"),
    [
        ("refused", 3, 502, "LOG001"),
        ("nosocket", 2, 502, "LOG002"),
        ("denied", 2, 502, "LOG003"),
        ("busy", 2, 502, "LOG004"),
        ("hang", 1, 504, "LOG007"),
        ("slow", 2, 504, "LOG008"),
        ("early", 3, 502, "LOG009"),
        ("reset", 3, 502, "LOG010"),
        ("big", 3, 502, "LOG011"),
        ("badheader", 2, 502, "LOG012"),
        ("scgi", 2, 502, "LOG012"),
        ("alldown", 3, 502, "LOG013"),
        ("resolve", 1, 502, "LOG014"),
        ("tls", 2, 502, "LOG015"),
    ],
)
def test_each_cause_from_the_lines_nginx_wrote(
    lab: Lab, name: str, times: int, status: int, cause: str
) -> None:
    assert provoke(lab, name, times) == [status] * times

    found = only(scan_files([lab.log(name)]), cause)

    assert found.count == times
    assert found.first is not None and found.last is not None and found.first <= found.last
    assert 1 <= len(found.examples) <= 3
    assert found.examples[0].source == lab.log(name) and found.examples[0].line == 1
    expected = {
        "refused": f"127.0.0.1:{lab.dead[0]}",
        "nosocket": f"unix:{lab.root}/missing.sock",
        "denied": f"unix:{lab.root}/root-only.sock",
        "busy": f"unix:{lab.root}/busy.sock",
        "alldown": "alldown",
        "resolve": "backend.invalid",
        "tls": f"127.0.0.1:{lab.ports['plain']}",
    }.get(name, f"127.0.0.1:{lab.ports.get(name, 0)}")
    assert upstreams(found) == {expected: times}


def test_the_client_of_a_broken_status_line_gets_no_valid_response(lab: Lab) -> None:
    answers = provoke(lab, "badstatus", 2)

    assert all(isinstance(answer, str) for answer in answers), answers  # HTTP/0.9 garbage, not HTTP
    found = only(scan_files([lab.log("badstatus")]), "LOG012")
    assert found.count == 2
    assert "upstream sent no valid HTTP/1.0 header" in found.examples[0].text


def test_servers_that_failed_max_fails_leave_no_live_upstreams(lab: Lab) -> None:
    assert provoke(lab, "flaky", 4) == [502] * 4

    analysis = scan_files([lab.log("flaky")])

    assert [c.cause for c in analysis.causes] == ["LOG001", "LOG013"]
    refused, none_left = analysis.causes
    dead, dead2 = lab.dead
    assert upstreams(refused) == {f"127.0.0.1:{dead}": 1, f"127.0.0.1:{dead2}": 1}
    assert none_left.count == 3 and upstreams(none_left) == {"flaky": 3}
    assert none_left.examples[0].line == 3


def test_worker_connections_that_are_not_enough(lab: Lab) -> None:
    backend = lab.serve(slow_ok)
    port = free_port()
    main_log = lab.start_nginx(
        f"    server {{ listen 127.0.0.1:{port}; location / {{ proxy_pass http://127.0.0.1:{backend}; }} }}",
        events="worker_connections 4;",
    )
    answers: list[int | str] = []
    clients = [threading.Thread(target=lambda: answers.append(fetch(lab.url("", port)))) for _ in range(3)]
    for client in clients:
        client.start()
    for client in clients:
        client.join()

    wait_for_line(main_log, "worker_connections")
    found = only(scan_files([main_log]), "LOG016")
    assert found.count >= 1
    assert "4 worker_connections are not enough" in found.examples[0].text
    assert 200 in answers and len(answers) == 3


def test_too_many_open_files(lab: Lab) -> None:
    port = free_port()
    main_log = lab.start_nginx(
        f"    server {{ listen 127.0.0.1:{port}; location / {{ return 204; }} }}",
        main="worker_rlimit_nofile 12;",
    )
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(16)]
    try:
        wait_for_line(main_log, "Too many open files")
    finally:
        for conn in idle:
            conn.close()

    found = only(scan_files([main_log]), "LOG017")
    assert found.count >= 1 and found.upstreams == ()
    assert "accept4() failed (24: Too many open files)" in found.examples[0].text
