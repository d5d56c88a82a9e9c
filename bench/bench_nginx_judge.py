"""How much the controller's judging costs over a bare crossplane parse of the same configuration.

Generates a configuration of SERVERS server blocks and as many upstreams across FILES include
files, then measures in one run: (1) crossplane.parse of the files on disk, following includes
(the baseline); (2) fix502's parse of the same files as `nginx -T` prints them; (3) the whole
judgement of a host (parse, endpoints, every check). Prints seconds, the ratio to the baseline,
and the peak memory of each step.

Usage: python bench/bench_nginx_judge.py [SERVERS] [FILES]   (defaults: 2000 200)
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import crossplane

from fix502 import catalogue
from fix502.engine import judge_host
from fix502.nginx_config import parse_dump


def generate(root: Path, servers: int, files: int) -> tuple[Path, str]:
    (root / "sites").mkdir()
    main = root / "nginx.conf"
    main.write_text("events {}\nhttp {\n    include sites/*.conf;\n}\n")
    dump = [f"# configuration file {main}:\n{main.read_text()}\n"]
    per_file = max(1, servers // files)
    for index in range(files):
        blocks = []
        for n in range(index * per_file, (index + 1) * per_file):
            blocks.append(
                f"upstream app{n} {{\n    server 127.0.0.1:{10000 + n % 50000} max_fails=2;\n"
                "    keepalive 8;\n}\n"
                f"server {{\n    listen 127.0.0.1:8080;\n    server_name site{n}.example.test;\n"
                f"    location / {{ proxy_pass http://app{n}; proxy_read_timeout 30s; }}\n}}\n"
            )
        path = root / "sites" / f"{index:04d}.conf"
        path.write_text("".join(blocks))
        dump.append(f"# configuration file {path}:\n{path.read_text()}\n")
    return main, "".join(dump)


def measure(step: Callable[[], Any]) -> tuple[float, int]:
    tracemalloc.start()
    started = time.perf_counter()
    step()
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return elapsed, peak


def main() -> None:
    servers = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    files = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    with tempfile.TemporaryDirectory() as tmp:
        main_file, dump = generate(Path(tmp), servers, files)
        collected = {
            "schema": 1,
            "hostname": "bench",
            "addresses": ["127.0.0.1"],
            "nginx": {"dump": dump, "configure_arguments": "", "prefix": "/etc/nginx/"},
            "listeners": {
                "tcp": [
                    {"address": "127.0.0.1", "port": 10000 + n, "family": 4} for n in range(0, servers, 2)
                ],
                "unix": [],
            },
            "filesystems": [
                {
                    "mount": "/",
                    "used_percent": 50.0,
                    "avail_bytes": 1,
                    "size_bytes": 2,
                    "inodes_used_percent": 5.0,
                    "inodes_total": 10,
                    "inodes_free": 9,
                }
            ],
            "memory": {"total_kb": 1000, "available_kb": 900},
            "kernel_log": {"oom_lines": []},
        }
        steps = {
            "crossplane.parse (baseline)": lambda: crossplane.parse(
                str(main_file), check_ctx=False, check_args=False
            ),
            "fix502 parse of nginx -T": lambda: parse_dump(dump),
            "fix502 judge_host (all checks)": lambda: judge_host("bench", collected, catalogue.CHECKS),
        }
        results = {name: measure(step) for name, step in steps.items()}
    baseline = results["crossplane.parse (baseline)"][0]
    print(f"{servers} server blocks, {servers} upstreams, {files} include files")
    for name, (seconds, peak) in results.items():
        print(f"{name:<34} {seconds:8.3f} s  {seconds / baseline:5.2f}x  peak {peak / 2**20:7.1f} MiB")


if __name__ == "__main__":
    main()
