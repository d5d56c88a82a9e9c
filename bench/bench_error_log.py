"""How fast the error log classifier is next to ``LC_ALL=C grep -c upstream``, and that its memory
does not grow with the log.

Generates an nginx error log of SIZE MB (default 500) in a temp dir, and a copy of its first fifth.
The log is an info-level log of a busy site on a bad day, time going forward: mostly lines that are
no upstream error (static files not found, access denied, rate limiting, clients closing or timing
out, TLS handshakes from clients), and about 42% of lines that end with an upstream action: every
cause of the errorlog checks but php-fpm's own log (LOG018), and the upstream lines that explain no
502 (a backend's stderr, buffering notes, clients going away). For both sizes, measures in one run:
``LC_ALL=C grep -c upstream`` (the baseline); ``fix502 logs``' scan (``scan_files``) in a child
process, in one process (``workers=1``), as it runs by default (a big plain file is read by one
process per idle CPU), and in one process reading every block in Python (``compiled=False``, as a
package built without its C extension does); its wall time, its peak RSS and that of its worker
processes; then its peak Python allocations with tracemalloc (one process). All must find the same
lines in the same causes. Prints MB/s and the ratio to grep. The temp dir is removed at the end.

Usage: python bench/bench_error_log.py [SIZE_MB]   (default 500; see --help)

Last run (python 3.11.7, 2 CPUs, the second one idle; warm page cache; --repeat 3):

    101 MB  grep 0.04 s 2344 MB/s | one process 0.11 s  913 MB/s 0.39 of grep | default 0.07 s 1415 MB/s 0.60
                                  | Python only 0.37 s  275 MB/s 0.12 of grep
    504 MB  grep 0.22 s 2281 MB/s | one process 0.54 s  932 MB/s 0.41 of grep | default 0.30 s 1668 MB/s 0.73
                                  | Python only 1.82 s  277 MB/s 0.12 of grep
            peak RSS 18 MiB (default: 19 MiB, and 15 MiB in the worker); Python allocations 3.1 MiB

Memory does not grow with the log. In one process the compiled scanner reads about 930 MB/s: about
1 ms a MB, of which the C pass over the block's lines takes 0.9 ms (skipping the lines below level
error, finding "upstream, client: " and the other causes' words in the rest, grouping by kind and
upstream) and Python the rest (reading the block, a few dozen groups, the examples). Read in Python
only, a MB costs about 3.6 ms: each of the 1,800 upstream lines of a MB costs about a microsecond
of C calls on new small objects, and the five words of the other causes cost 1.1 ms a MB to find.
The version before the compiled scanner read this log at about 250 MB/s (0.10 to 0.11 of grep).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

MB = 1 << 20

_TO = " while connecting to upstream"
_HEADER = " while reading response header from upstream"
_FPM = "unix:/run/php/php8.2-fpm.sock"
_TLS_TO_UPSTREAM = (
    "SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) "
    "while SSL handshaking to upstream"
)
_PHP_STDERR = (
    'FastCGI sent in stderr: "PHP message: PHP Warning:  Undefined array key \\"id\\" in '
    '/var/www/app/index.php on line 42"' + _HEADER
)

# (weight, level, message, shape): "http" and "fpm" are upstream lines (request context and an
# upstream field, to a proxied backend or to php-fpm), "request" a request's line without upstream,
# "connection" a client connection's line before any request, "bare" a line of no connection.
_MIX: tuple[tuple[float, str, str, str], ...] = (
    # upstream errors that explain a 502 or 504: every cause, LOG001 to LOG019 but LOG018
    (6, "error", "connect() failed (111: Connection refused)" + _TO, "http"),
    (1, "crit", f"connect() to {_FPM} failed (2: No such file or directory)" + _TO, "fpm"),
    (0.5, "crit", f"connect() to {_FPM} failed (13: Permission denied)" + _TO, "fpm"),
    (1, "error", f"connect() to {_FPM} failed (11: Resource temporarily unavailable)" + _TO, "fpm"),
    (0.5, "error", "connect() failed (113: No route to host)" + _TO, "http"),
    (0.5, "crit", "connect() to 10.0.1.12:8080 failed (99: Cannot assign requested address)" + _TO, "http"),
    (1, "error", "upstream timed out (110: Connection timed out)" + _TO, "http"),
    (3, "error", "upstream timed out (110: Connection timed out)" + _HEADER, "http"),
    (3, "error", "upstream prematurely closed connection" + _HEADER, "http"),
    (2, "error", "recv() failed (104: Connection reset by peer)" + _HEADER, "http"),
    (0.5, "error", "writev() failed (32: Broken pipe) while sending request to upstream", "http"),
    (1, "error", "upstream sent too big header" + _HEADER, "http"),
    (1, "error", 'upstream sent invalid header: "X-Bad\\x0d..."' + _HEADER, "http"),
    (2, "error", "no live upstreams" + _TO, "http"),
    (1, "error", "api.internal could not be resolved (110: Operation timed out)", "request"),
    (0.3, "error", "no resolver defined to resolve api.internal", "request"),
    (0.02, "emerg", 'host not found in upstream "api.internal:8080" in /etc/nginx/conf.d/a.conf:12', "bare"),
    (1, "error", _TLS_TO_UPSTREAM, "http"),
    (1, "alert", "1024 worker_connections are not enough", "bare"),
    (0.2, "alert", "1024 worker_connections are not enough" + _TO, "http"),
    (1, "crit", "accept4() failed (24: Too many open files)", "bare"),
    (0.2, "alert", "socket() failed (24: Too many open files)" + _TO, "http"),
    (1, "error", "upstream went away (71: Protocol error) while reading upstream", "http"),
    # upstream lines that explain no 502
    (6, "error", _PHP_STDERR, "fpm"),
    (
        10,
        "warn",
        "an upstream response is buffered to a temporary file /var/lib/nginx/proxy/7/45/0000012457 "
        "while reading upstream",
        "http",
    ),
    (4, "warn", "upstream server temporarily disabled" + _TO, "http"),
    (
        3,
        "info",
        "client prematurely closed connection, so upstream connection is closed too while sending "
        "request to upstream",
        "http",
    ),
    # the rest of the day
    (24, "error", 'open() "/var/www/html/favicon.ico" failed (2: No such file or directory)', "request"),
    (4, "error", "access forbidden by rule", "request"),
    (2, "error", 'directory index of "/var/www/html/uploads/" is forbidden', "request"),
    (8, "error", 'limiting requests, excess: 20.380 by zone "perip"', "request"),
    (5, "warn", "a client request body is buffered to a temporary file /var/lib/nginx/body/42", "request"),
    (3, "error", "client intended to send too large body: 10485761 bytes", "request"),
    (8, "info", "client closed connection while waiting for request", "connection"),
    (4, "info", "client timed out (110: Connection timed out) while waiting for request", "connection"),
    (
        4,
        "info",
        "SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL handshaking",
        "connection",
    ),
    (2, "info", "peer closed connection in SSL handshake while SSL handshaking", "connection"),
)
_UPSTREAMS = ("10.0.1.11:8080", "10.0.1.12:8080", "10.0.1.13:8080", "127.0.0.1:9000")
# Request URIs as a shop's are: ids and queries make most of them different.
_PATHS = (
    "/",
    "/api/v1/orders/{}",
    "/api/v1/cart?id={}",
    "/login",
    "/static/app.{}.js",
    "/search?q=shoes&page={}",
)
_FIRST_DAY = date(2024, 5, 1)


def upstream_share() -> float:
    """The share of lines that end with an upstream action ("... upstream, client: ")."""
    total = sum(m[0] for m in _MIX)
    return sum(m[0] for m in _MIX if m[3] in ("http", "fpm")) / total


def _lines(rng: random.Random, count: int, day: int) -> str:
    """One day of one worker's log, ``count`` lines spread over its 24 hours."""
    picks = rng.choices(_MIX, weights=[m[0] for m in _MIX], k=count)
    today = (_FIRST_DAY + timedelta(days=day)).strftime("%Y/%m/%d")
    out = []
    for n, (_, level, message, shape) in enumerate(picks):
        seconds = n * 86400 // count
        stamp = f"{today} {seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        pid = 1000 + n % 4
        if shape == "bare":
            out.append(f"{stamp} [{level}] {pid}#{pid}: {message}\n")
            continue
        client = f"198.51.100.{n % 250}"
        head = f"{stamp} [{level}] {pid}#{pid}: *{n * 7 + day} {message}, client: {client}"
        if shape == "connection":
            out.append(head + ", server: 0.0.0.0:443\n")
            continue
        path = _PATHS[n % len(_PATHS)].format(n * 7919 % 100003)
        tail = f', server: shop.example.com, request: "GET {path} HTTP/1.1"'
        if shape == "http":
            tail += f', upstream: "http://{_UPSTREAMS[n % 4]}{path}"'
        elif shape == "fpm":
            tail += f', upstream: "fastcgi://{_FPM}:"'
        out.append(head + tail + ', host: "shop.example.com"\n')
    return "".join(out)


def generate(path: Path, size: int) -> None:
    rng = random.Random(502)
    written = 0
    day = 0
    with path.open("w", encoding="ascii") as handle:
        while written < size:
            block = _lines(rng, 40000, day)
            handle.write(block)
            written += len(block)
            day += 1


_CHILD = """
import json, resource, sys, time
from fix502.errorlog import scan_files
workers = None if sys.argv[2] == "default" else int(sys.argv[2])
compiled = sys.argv[3] == "compiled"
started = time.perf_counter()
analysis = scan_files([sys.argv[1]], workers=workers, compiled=compiled)
elapsed = time.perf_counter() - started
# VmHWM: the peak RSS of this process image (ru_maxrss would count the forked parent's before exec)
with open("/proc/self/status", encoding="ascii") as status:
    rss = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest worker's, in KiB
print(json.dumps({"seconds": elapsed, "rss_kb": rss, "workers_rss_kb": children,
                  "lines": sum(c.count for c in analysis.causes), "causes": len(analysis.causes)}))
"""

_CHILD_TRACED = """
import json, sys, tracemalloc
tracemalloc.start()
from fix502.errorlog import scan_files
base = tracemalloc.get_traced_memory()[0]
scan_files([sys.argv[1]], workers=1)
print(json.dumps({"peak": tracemalloc.get_traced_memory()[1] - base}))
"""


def _child(code: str, path: Path, *args: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", code, str(path), *args], capture_output=True, text=True, check=True
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


def _grep(path: Path) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(
        ["grep", "-c", "upstream", str(path)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "LC_ALL": "C"},
    )
    return time.perf_counter() - started, int(done.stdout)


def _seconds(run: dict[str, float]) -> float:
    return run["seconds"]


def measure(path: Path, repeat: int) -> None:
    """The best of ``repeat`` runs of each, from a warm page cache."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        while handle.read(64 * MB):
            pass
    grep_s, grep_lines = min(_grep(path) for _ in range(repeat))
    runs = {
        label: min((_child(_CHILD, path, workers, reading) for _ in range(repeat)), key=_seconds)
        for label, workers, reading in (
            ("one process", "1", "compiled"),
            ("default", "default", "compiled"),
            ("Python only", "1", "python"),
        )
    }
    traced = _child(_CHILD_TRACED, path)
    found = {(run["lines"], run["causes"]) for run in runs.values()}
    assert len(found) == 1, runs
    [(lines, causes)] = found
    grep_rate = size / MB / grep_s
    print(
        f"{size / MB:5.0f} MB  grep -c upstream {grep_s:5.2f} s {grep_rate:5.0f} MB/s "
        f"({grep_lines} lines)  |  {int(lines)} lines in {int(causes)} causes"
    )
    for label, run in runs.items():
        rate = size / MB / run["seconds"]
        workers = f", workers {run['workers_rss_kb'] / 1024:.0f} MiB each" if run["workers_rss_kb"] else ""
        print(
            f"        {label:12s} {run['seconds']:5.2f} s {rate:5.0f} MB/s  "
            f"ratio {rate / grep_rate:.2f} of grep  |  peak RSS {run['rss_kb'] / 1024:.0f} MiB{workers}"
        )
    print(f"        peak Python allocations (one process) {traced['peak'] / MB:.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("size_mb", nargs="?", type=int, default=500, help="size of the big log (default 500)")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each measure, the best one kept (default 1)"
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="fix502-bench-"))
    try:
        big = tmp / "error.log"
        generate(big, args.size_mb * MB)
        small = tmp / "error-fifth.log"
        with big.open("rb") as src, small.open("wb") as dst:
            dst.write(src.read(big.stat().st_size // 5))
            dst.write(src.readline())
        print(
            f"nginx error log, {upstream_share():.0%} upstream lines; python {sys.version.split()[0]}, "
            f"{os.cpu_count()} CPUs"
        )
        measure(small, args.repeat)
        measure(big, args.repeat)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
