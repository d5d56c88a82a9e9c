"""The compiled block scanner (the C extension ``_blockscan``) against the Python reading of the same
blocks: on logs of every shape, torn and garbled ones included, cut into blocks of many sizes, both
must give the same analysis. The extension must be built in the environment the tests run in: the
benchmark and the users' installs measure it.

Left out of the generated logs, because there the two readings differ on purpose: a line that holds
"upstream, client: " twice (the compiled scanner takes the upstream field from the whole line, the
Python one from the text up to the second time), and an upstream field of "unix:" with no path.
"""

from __future__ import annotations

import random

import pytest

from fix502.errorlog import Analysis, Scanner, ScannerError, _blockscan
from fix502.errorlog import scanner as scanner_module
from fix502.errorlog.causes import NGINX_NEEDLES, UPSTREAM_ERROR

_LEVELS = ("error", "crit", "alert", "emerg", "warn", "notice", "info", "error", "error", "crit")
_ACTIONS = (
    " while connecting to upstream",
    " while reading response header from upstream",
    " while reading upstream",
    " while sending request to upstream",
    " while SSL handshaking to upstream",
)
_MESSAGES = (
    "connect() failed (111: Connection refused)",
    "connect() to unix:/run/php/php{n}-fpm.sock failed (2: No such file or directory)",
    "connect() to unix:/run/app.sock failed (13: Permission denied)",
    "connect() to unix:/run/php/www.sock failed (11: Resource temporarily unavailable)",
    "connect() to 10.0.1.{n}:8080 failed (99: Cannot assign requested address)",
    "upstream timed out (110: Connection timed out)",
    "upstream prematurely closed connection",
    "recv() failed (104: Connection reset by peer)",
    "upstream sent too big header",
    'upstream sent invalid header: "X-{n}\\x0d..."',
    "no live upstreams",
    "SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number)",
    "{n} worker_connections are not enough",
    "socket() failed (24: Too many open files)",
    "readv() failed (71: Protocol error)",
    'FastCGI sent in stderr: "PHP message: PHP Warning: line {n} of /srv/a{n}.php"',
    "upstream server temporarily disabled",
    "an upstream response is buffered to a temporary file /var/lib/nginx/proxy/{n}/0001",
)
# Lines with no upstream action: the other causes' words, and lines that must not count.
_OTHERS = (
    "api{n}.internal could not be resolved (3: Host not found)",
    "no resolver defined to resolve api{n}.internal",
    'host not found in upstream "db{n}.internal:5432" in /etc/nginx/conf.d/a.conf:{n}',
    "{n} worker_connections are not enough",
    "accept4() failed (24: Too many open files)",
    'open() "/etc/nginx/x" failed (23: Too many open files in system)',
    'open() "/srv/favicon.ico" failed (2: No such file or directory)',
    'limiting requests, excess: {n}.380 by zone "perip"',
    "client timed out (110: Connection timed out) while waiting for request",
)
_FIELDS = (
    'upstream: "http://10.0.{a}.{b}:8080/api/{n}?q=1"',
    'upstream: "http://app{a}.internal:80/"',
    'upstream: "fastcgi://unix:/run/php/php8.{a}-fpm.sock:"',
    'upstream: "uwsgi://unix:/run/uwsgi/app{a}.sock:"',
    'upstream: "https://[2001:db8::{a}]:443/x"',
    'upstream: "grpc://10.1.{a}.{b}:50051"',
    'upstream: "http://10.0.{a}.{b}:8080',  # the line was cut before the closing quote
    'upstream: ""',
)


def _line(rng: random.Random, n: int) -> bytes:
    """One line: nginx's own layout mostly, sometimes framed, torn or garbage."""
    stamp = f"2024/05/{1 + n // 86400 % 28:02d} {n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}"
    level = rng.choice(_LEVELS)
    a, b = rng.randrange(40), rng.randrange(3)  # more upstreams than a cause keeps (MAX_UPSTREAMS)
    if rng.random() < 0.6:
        message = rng.choice(_MESSAGES).format(n=rng.randrange(100)) + rng.choice(_ACTIONS)
    else:
        message = rng.choice(_OTHERS).format(n=rng.randrange(100))
    connection = rng.choice((f"*{n} ", f"*{n} ", f"*{n} ", "", "*"))
    context = ""
    if rng.random() < 0.85:
        context = f', client: 198.51.100.{n % 250}, server: shop, request: "GET /p/{n} HTTP/1.1"'
        if rng.random() < 0.8:
            context += ", " + rng.choice(_FIELDS).format(a=a, b=b, n=n)
        context += ', host: "shop"'
    text = f"{stamp} [{level}] {1000 + n % 7}#{n % 3}: {connection}{message}{context}"
    roll = rng.random()
    if roll < 0.08:
        text = f"May  1 10:00:{n % 60:02d} web1 nginx: {text}"  # syslog
    elif roll < 0.1:
        text = f"{stamp.replace('/', '-', 1)} {text[20:]}"  # not nginx's layout at all
    elif roll < 0.12:
        text = text[: rng.randrange(len(text))]  # torn
    elif roll < 0.13:
        text = text.replace("] ", "]", 1)  # no "] " after the level
    elif roll < 0.14:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(80))).replace(b"\n", b"") + b"\n"
    elif roll < 0.145:
        text = text + " x" * rng.randrange(2000, 40000)  # long, longer than small blocks
    return text.encode() + b"\n"


def _log(seed: int, lines: int) -> bytes:
    rng = random.Random(seed)
    data = b"".join(_line(rng, n) for n in range(lines))
    assert not any(line.count(UPSTREAM_ERROR) > 1 for line in data.splitlines())
    return data


def _analysis(data: bytes, *, compiled: bool) -> Analysis:
    scanner = Scanner(compiled=compiled)
    scanner.scan_bytes(data, "error.log")
    return scanner.analysis()


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("chunk", [1 << 20, 4096, 777])
def test_compiled_and_python_readings_give_the_same_analysis(
    seed: int, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scanner_module, "CHUNK", chunk)  # lines cut by block ends everywhere
    data = _log(seed, 3000)
    compiled = _analysis(data, compiled=True)
    assert compiled == _analysis(data, compiled=False)
    # The log holds what the comparison is about: many causes, capped upstreams, odd lines.
    assert len(compiled.causes) >= 12
    assert any(c.other_upstreams for c in compiled.causes)
    assert sum(c.count for c in compiled.causes) > 1000


def test_the_package_is_built_with_its_compiled_scanner(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Scanner().compiled
    monkeypatch.setattr(scanner_module, "_blockscan", None)  # as a package built without it
    assert not Scanner().compiled
    with pytest.raises(ScannerError, match="not built"):
        Scanner(compiled=True)


def test_the_extension_groups_lines_and_says_where_they_start() -> None:
    refused = (
        b"2024/05/01 10:00:0%d [error] 7#7: *%d connect() failed (111: Connection refused) while "
        b'connecting to upstream, client: 1.2.3.4, server: a, upstream: "http://10.0.0.1:80/x"\n'
    )
    block = b"".join(
        (
            refused % (0, 1),
            b"2024/05/01 10:00:01 [warn] 7#7: *2 upstream server temporarily disabled while "
            b"connecting to upstream, client: 1.2.3.4\n",
            b"2024/05/01 10:00:02 [error] 7#7: *3 api.internal could not be resolved (3: Host not found), "
            b"client: 1.2.3.4\n",
            refused % (3, 4),
            b"May  1 10:00:04 web1 nginx: " + refused % (4, 5),
            refused % (5, 6),
        )
    )
    starts = [0, *(i + 1 for i, c in enumerate(block) if c == ord("\n"))][:-1]
    upstream, needle, odd_upstream, odd_needle = _blockscan.scan(
        block, 0, len(block), UPSTREAM_ERROR, b'upstream: "', (b"error", b"crit"), NGINX_NEEDLES
    )
    kind = b"error] #: * connect() failed (: Connection refused) while connecting to "
    assert upstream == [(kind, b"10.0.0.1:80", 3, starts[0], starts[5], starts[3])]
    assert needle == [
        (b"api.internal could not be resolved (3: Host not found)", b"", 1, starts[2], starts[2], -1)
    ]
    assert (odd_upstream, odd_needle) == ([starts[4]], [])


@pytest.mark.parametrize(
    ("start", "end", "needles", "error"),
    [
        (5, 2, NGINX_NEEDLES, "within the buffer"),
        (0, 99, NGINX_NEEDLES, "within the buffer"),
        (-1, 2, NGINX_NEEDLES, "within the buffer"),
        (0, 2, (b"",), "empty word"),
        (0, 2, (b"x",) * 17, "at most 16"),
    ],
)
def test_the_extension_refuses_arguments_it_cannot_read(
    start: int, end: int, needles: tuple[bytes, ...], error: str
) -> None:
    with pytest.raises(ValueError, match=error):
        _blockscan.scan(b"ab\ncd\n", start, end, UPSTREAM_ERROR, b'upstream: "', (b"error",), needles)


def test_the_extension_takes_only_bytes() -> None:
    with pytest.raises(TypeError):
        _blockscan.scan("ab\n", 0, 3, UPSTREAM_ERROR, b'upstream: "', (b"error",), NGINX_NEEDLES)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _blockscan.scan(b"ab\n", 0, 3, UPSTREAM_ERROR, b'upstream: "', ("error",), NGINX_NEEDLES)  # type: ignore[arg-type]
