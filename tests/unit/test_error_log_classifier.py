"""The classifier on its own: what is a cause, what is kept as unclassified, what is left alone, and
that nothing it keeps grows with the log. The lines nginx writes for each cause are provoked from the
real nginx in tests/integration/test_error_log_real.py; the lines here are the ones no loopback test
can make (php-fpm, framing by syslog) or that must never count.

Every test runs twice: with the compiled block scanner the package is built with, and reading every
block in Python, as a package built without it does (the extension set aside)."""

from __future__ import annotations

import gzip
import os
import re
from io import BytesIO
from pathlib import Path

import pytest

from fix502.errorlog import LogFileError, Scanner, classify, scan_files, upstream_name
from fix502.errorlog import files as files_module
from fix502.errorlog import scanner as scanner_module

REFUSED = (
    "2024/05/01 10:00:{s:02d} [error] 812#812: *{n} connect() failed (111: Connection refused) while "
    'connecting to upstream, client: 203.0.113.7, server: shop.example, request: "GET /x HTTP/1.1", '
    'upstream: "http://10.0.0.{h}:8080/x", host: "shop.example"\n'
)
PHP_FPM = (
    "[01-May-2024 10:00:{s:02d}] WARNING: [pool www] server reached pm.max_children setting (5), "
    "consider raising it\n"
)


@pytest.fixture(autouse=True, params=["compiled", "python"])
def scanner_build(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "python":
        monkeypatch.setattr(scanner_module, "_blockscan", None)
    return str(request.param)


def nginx_line(
    level: str, message: str, upstream: str | None = "http://10.0.0.1:80/", ts: str = "10:00:00"
) -> str:
    """A line as nginx writes it for request *2 of client 1.2.3.4."""
    context = ', client: 1.2.3.4, server: a, request: "GET / HTTP/1.1"'
    if upstream is not None:
        context += f', upstream: "{upstream}"'
    return f'2024/05/01 {ts} [{level}] 1#1: *2 {message}{context}, host: "a"'


def analyse(text: str, name: str = "error.log") -> Scanner:
    scanner = Scanner()
    scanner.scan_bytes(text.encode(), name)
    return scanner


def test_an_unknown_upstream_error_is_kept_as_unclassified_with_its_line() -> None:
    line = nginx_line(
        "error", "readv() failed (71: Protocol error) while reading upstream", "http://10.0.0.9:81/"
    )
    notice = "2024/05/01 09:59:59 [notice] 812#812: signal process started\n"
    [cause] = analyse(notice + line + "\n").analysis().causes

    assert cause.cause == "LOG019"
    assert cause.count == 1 and cause.first == cause.last == "2024/05/01 10:00:00"
    assert [u.name for u in cause.upstreams] == ["10.0.0.9:81"]
    assert [(e.text, e.line) for e in cause.examples] == [(line, 2)]


@pytest.mark.parametrize(
    "line",
    [
        # the client went away, on a line whose context names the upstream
        nginx_line(
            "info",
            "client prematurely closed connection, so upstream connection is closed too while sending "
            "request to upstream",
        ),
        nginx_line("error", "writev() failed (104: Connection reset by peer) while sending to client"),
        # a backend's own stderr, and buffering notes
        nginx_line(
            "error",
            'FastCGI sent in stderr: "PHP message: PHP Warning: x" '
            "while reading response header from upstream",
            "fastcgi://unix:/run/php/php8.2-fpm.sock:",
        ),
        nginx_line(
            "warn",
            "an upstream response is buffered to a temporary file /var/lib/nginx/proxy/1/00/0000000001 "
            "while reading upstream",
        ),
        # "upstream" only in the request, or in a static file's name
        nginx_line("error", 'open() "/srv/upstream.html" failed (2: No such file or directory)', None),
        # not nginx's format at all
        "upstream, client: upstream timed out (110: Connection timed out) while connecting to upstream",
    ],
)
def test_lines_that_explain_no_502_are_left_alone(line: str) -> None:
    assert analyse(line + "\n").analysis().causes == []


def test_php_fpm_max_children_names_the_pool_and_the_limit() -> None:
    [cause] = analyse(PHP_FPM.format(s=1) + PHP_FPM.format(s=9), "php8.2-fpm.log").analysis().causes

    assert cause.cause == "LOG018" and cause.count == 2
    assert (cause.first, cause.last) == ("2024/05/01 10:00:01", "2024/05/01 10:00:09")
    assert [(u.name, u.count) for u in cause.upstreams] == [("pool www", 2)]
    assert cause.examples[0].line == 1


def test_a_line_framed_by_syslog_is_read_too() -> None:
    line = "May  1 10:00:00 web1 nginx: " + REFUSED.format(s=0, n=1, h=5)
    [cause] = analyse(line).analysis().causes
    assert cause.cause == "LOG001" and [u.name for u in cause.upstreams] == ["10.0.0.5:8080"]


def test_counts_times_and_examples_across_blocks_and_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scanner_module, "CHUNK", 700)  # lines cut by block ends, many blocks
    older = "".join(REFUSED.format(s=s, n=s, h=1 + s % 2) for s in range(0, 20))
    newer = "".join(REFUSED.format(s=s, n=s, h=3) for s in range(40, 45))
    scanner = Scanner()
    scanner.scan_bytes(newer.encode(), "error.log")  # the newest file first, as `ls` lists them
    scanner.scan_bytes(older.encode(), "error.log.1")
    [cause] = scanner.analysis().causes

    assert cause.count == 25
    assert (cause.first, cause.last) == ("2024/05/01 10:00:00", "2024/05/01 10:00:44")
    assert {u.name: u.count for u in cause.upstreams} == {
        "10.0.0.1:8080": 10,
        "10.0.0.2:8080": 10,
        "10.0.0.3:8080": 5,
    }
    first, *recent = cause.examples
    assert (first.source, first.line) == ("error.log.1", 1)
    assert "10:00:00" in first.text
    assert [e.text[11:19] for e in recent] == ["10:00:43", "10:00:44"]


def test_memory_stays_bounded_whatever_the_log_holds() -> None:
    lines = "".join(
        REFUSED.format(s=n % 60, n=n, h=1).replace("10.0.0.1:8080", f"10.{n // 250}.{n % 250}.1:8080")
        for n in range(scanner_module.MAX_UPSTREAMS + 500)
    )
    [cause] = analyse(lines).analysis().causes
    assert len(cause.upstreams) == scanner_module.MAX_UPSTREAMS
    assert cause.other_upstreams == 500
    assert len(cause.examples) == 3


def test_a_cause_keeps_the_first_upstreams_the_log_names() -> None:
    names = [
        f"unix:/run/app{n}.sock" if n % 2 else f"10.0.{n}.1:8080"
        for n in range(scanner_module.MAX_UPSTREAMS + 6)
    ]
    fields = [f"fastcgi://{name}:" if name.startswith("unix:") else f"http://{name}/x" for name in names]
    text = "".join(
        nginx_line("error", "upstream prematurely closed connection while reading upstream", field) + "\n"
        for field in fields
    )
    [cause] = analyse(text).analysis().causes
    assert sorted(u.name for u in cause.upstreams) == sorted(names[: scanner_module.MAX_UPSTREAMS])
    assert cause.other_upstreams == 6


def test_an_empty_upstream_field_gives_way_to_the_name_in_the_message() -> None:
    line = nginx_line("error", "no resolver defined to resolve api.internal", "")
    [cause] = analyse(line + "\n").analysis().causes
    assert cause.cause == "LOG014" and [u.name for u in cause.upstreams] == ["api.internal"]


def test_an_upstream_field_cut_before_its_quote_keeps_its_last_character() -> None:
    line = "May  1 10:00:00 web1 nginx: " + REFUSED.format(s=0, n=1, h=5)
    torn = line[: line.index('/x", host')]  # syslog cut the line inside the field
    [cause] = analyse(torn + "\n").analysis().causes
    assert [u.name for u in cause.upstreams] == ["10.0.0.5:8080"]


@pytest.mark.parametrize(
    ("message", "cause"),
    [
        (b"connect() to 10.0.0.5:8080 failed (113: No route to host) while connecting to upstream", "LOG005"),
        (b"connect() failed (101: Network is unreachable) while connecting to upstream", "LOG005"),
        (b"connect() failed (99: Cannot assign requested address) while connecting to upstream", "LOG006"),
        (b"writev() failed (32: Broken pipe) while sending request to upstream", "LOG010"),
        (b"recv() failed (111: Connection refused) while reading response header from upstream", "LOG001"),
        (b"socket() failed (24: Too many open files) while connecting to upstream", "LOG017"),
        (b"1024 worker_connections are not enough while connecting to upstream", "LOG016"),
        (b'host not found in upstream "api.internal:8080" in /etc/nginx/conf.d/app.conf:3', "LOG014"),
        (b"no resolver defined to resolve api.internal", "LOG014"),
        (
            b"upstream SSL certificate verify error: (10:certificate has expired) "
            b"while SSL handshaking to upstream",
            "LOG015",
        ),
        (b"upstream timed out (110: Connection timed out) while SSL handshaking to upstream", "LOG007"),
        (b"upstream prematurely closed FastCGI stdout while reading response header from upstream", "LOG009"),
        (b'upstream sent invalid status "abc" while reading response header from upstream', "LOG012"),
        (b"upstream sent duplicate header line while reading response header from upstream", "LOG012"),
    ],
)
def test_messages_nginx_writes_elsewhere(message: bytes, cause: str) -> None:
    assert classify(message) == cause


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        (b"http://127.0.0.1:8080/x?y", b"127.0.0.1:8080"),
        (b"fastcgi://unix:/run/php/php8.2-fpm.sock:", b"unix:/run/php/php8.2-fpm.sock"),
        (b"http://unix:/run/app.sock:/api", b"unix:/run/app.sock"),
        (b"http://[::1]:8080/", b"[::1]:8080"),
        (b"scgi://127.0.0.1:9000", b"127.0.0.1:9000"),
        (b"10.0.0.1:5432", b"10.0.0.1:5432"),
    ],
)
def test_upstream_names(raw: bytes, name: bytes) -> None:
    assert upstream_name(raw) == name


def test_files_plain_and_gzip_and_the_ones_that_cannot_be_read(tmp_path: Path) -> None:
    plain = tmp_path / "error.log"
    plain.write_text(REFUSED.format(s=1, n=1, h=1) * 2, encoding="utf-8")
    zipped = tmp_path / "error.log.2.gz"
    zipped.write_bytes(gzip.compress(REFUSED.format(s=0, n=0, h=2).encode()))
    [cause] = scan_files([str(plain), str(zipped)]).causes
    assert cause.count == 3 and (cause.examples[0].source, cause.examples[0].line) == (str(zipped), 1)

    broken = tmp_path / "broken.gz"
    broken.write_bytes(gzip.compress(os.urandom(100000))[:2000])
    with pytest.raises(LogFileError, match=rf"^{broken}: not a valid gzip file"):
        scan_files([str(broken)])
    with pytest.raises(LogFileError, match=rf"^{tmp_path / 'nope.log'}: no such file or directory$"):
        scan_files([str(tmp_path / "nope.log")])
    with pytest.raises(LogFileError, match=rf"^{tmp_path}: is a directory$"):
        scan_files([str(tmp_path)])


def test_number_lines_finds_the_line_of_the_first_example_again() -> None:
    text = "noise\n" * 5 + REFUSED.format(s=0, n=0, h=1)
    scanner = Scanner()
    scanner.scan(BytesIO(text.encode()), "error.log")
    assert scanner.analysis().causes[0].examples[0].line is None  # not known from one read
    scanner.number_lines("error.log", iter([text[:7].encode(), text[7:].encode()]))
    assert scanner.analysis().causes[0].examples[0].line == 6


def _mixed_log(lines: int) -> str:
    """A log of every shape the scanner reads: upstream errors that are causes and that are not, a
    level below error, the other causes' lines, syslog framing, an unknown upstream error with more
    upstreams than are kept, noise; a second apart each."""
    shapes = [
        lambda n: REFUSED.format(s=0, n=n, h=1 + n % 3),
        lambda n: nginx_line(
            "error", 'FastCGI sent in stderr: "PHP message: x" while reading response header from upstream'
        ),
        lambda n: nginx_line("warn", "upstream server temporarily disabled while connecting to upstream"),
        lambda n: nginx_line("error", f"api{n % 2}.internal could not be resolved (3: Host not found)", None),
        lambda n: "2024/05/01 10:00:00 [alert] 7#7: 1024 worker_connections are not enough",
        lambda n: "2024/05/01 10:00:00 [crit] 7#7: accept4() failed (24: Too many open files)",
        lambda n: "May  1 10:00:00 web1 nginx: " + REFUSED.format(s=0, n=n, h=9),
        lambda n: nginx_line(
            "error",
            "readv() failed (71: Protocol error) while reading upstream",
            f"http://10.0.{n // 256}.{n % 256}:81/",
        ),
        lambda n: nginx_line(
            "error", 'open() "/srv/favicon.ico" failed (2: No such file or directory)', None
        ),
        lambda n: nginx_line(
            "crit",
            "connect() to 10.0.0.1:80 failed (99: Cannot assign requested address) "
            "while connecting to upstream",
        ),
    ]
    out = []
    for n in range(lines):
        stamp = f"{10 + n // 3600:02d}:{n // 60 % 60:02d}:{n % 60:02d}"
        line = shapes[(n * 7 + n // 3) % len(shapes)](n).rstrip("\n")
        out.append(re.sub(r"\d\d:\d\d:\d\d", stamp, line) + "\n")
    return "".join(out)


def test_blocks_and_worker_processes_change_nothing_in_the_analysis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "error.log"
    log.write_text(_mixed_log(3000), encoding="utf-8")
    whole = scan_files([str(log)], workers=1)  # one block
    assert {c.cause for c in whole.causes} == {"LOG001", "LOG006", "LOG014", "LOG016", "LOG017", "LOG019"}
    assert [u.name for u in whole.get("LOG014").upstreams] == ["api0.internal", "api1.internal"]  # type: ignore[union-attr]
    assert whole.get("LOG019").other_upstreams > 0  # type: ignore[union-attr]

    for chunk in (700, 4096):  # lines cut by block ends everywhere
        monkeypatch.setattr(scanner_module, "CHUNK", chunk)
        monkeypatch.setattr(files_module, "CHUNK", chunk)
        assert scan_files([str(log)], workers=1) == whole
    monkeypatch.setattr(files_module, "PART_MIN", log.stat().st_size // 4)
    assert scan_files([str(log)], workers=3) == whole  # three processes, each a part of the file
