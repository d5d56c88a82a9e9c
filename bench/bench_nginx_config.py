"""The offline config audit (`fix502 nginx`) against a bare crossplane parse and against gixy-ng.

Generates a configuration of SERVERS server blocks and as many upstreams across FILES include
files (bench_nginx_judge.generate, plus retries, buffers and headers in every tenth location so
that the checks have something to find), then measures in one run, each step on the same files:

1. crossplane.parse of the main file, following includes (the baseline);
2. fix502's offline audit of the main file: fix502.nginx_command.audit_file, i.e. the parse of
   fix502.nginx_config.parse_files, paths made relative, and every nginx check;
3. gixy-ng (the `gixy` package, its Manager, every plugin) on the same main file, in a venv of
   its own (.venv-gixy, made on first use: gixy-ng's ngxparse replaces the `crossplane` package
   it is installed beside), timed inside that process by bench/gixy_timing.py.

Prints the best of three wall times (untraced), the ratio to the baseline, and the peak memory of
one more run traced with tracemalloc, for each step.
Targets: the audit at most 1.5x the baseline, and faster than gixy-ng.

Usage: python bench/bench_nginx_config.py [SERVERS] [FILES]   (defaults: 2000 200)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import crossplane
from bench_nginx_judge import generate

from fix502 import catalogue
from fix502.nginx_command import audit_file
from fix502.thresholds import Thresholds

REPO = Path(__file__).resolve().parent.parent
GIXY_VENV = REPO / ".venv-gixy"
GIXY_VERSION = "0.2.59"


def enrich(root: Path) -> None:
    """Give every tenth location some settings to judge: headers, retries, a short timeout."""
    for path in sorted((root / "sites").glob("*.conf")):
        text = path.read_text()
        path.write_text(
            text.replace(
                "proxy_read_timeout 30s; }",
                "proxy_read_timeout 30s; proxy_set_header Host $host; proxy_next_upstream error timeout; }",
                1,
            )
        )


def measure(step: Callable[[], Any], repeat: int = 3) -> tuple[float, int, Any]:
    """Best wall time of ``repeat`` runs (no tracing), then the peak memory of one traced run."""
    best = float("inf")
    result: Any = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = step()
        best = min(best, time.perf_counter() - started)
    tracemalloc.start()
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak, result


def gixy_python() -> Path:
    """The Python of .venv-gixy, with gixy-ng installed in it on first use."""
    python = GIXY_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(GIXY_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", f"gixy-ng=={GIXY_VERSION}"], check=True
        )
    return python


def gixy_audit(main_file: Path) -> tuple[float, int, int]:
    """(best seconds, peak bytes, issues) of gixy-ng, measured in its own process."""
    done = subprocess.run(
        [str(gixy_python()), str(REPO / "bench" / "gixy_timing.py"), str(main_file)],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(done.stdout)
    return float(data["seconds"]), int(data["peak"]), int(data["issues"])


def main() -> None:
    servers = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    files = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    checks = [c for c in catalogue.CHECKS if c.category == "nginx"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        main_file, _dump = generate(root, servers, files)
        enrich(root)
        cwd = os.getcwd()
        steps: dict[str, Callable[[], Any]] = {
            "crossplane.parse (baseline)": lambda: crossplane.parse(
                str(main_file), check_ctx=False, check_args=False
            ),
            "fix502 nginx (offline audit)": lambda: audit_file(
                str(main_file), checks, "en", Thresholds(), cwd
            ),
        }
        results = {name: measure(step) for name, step in steps.items()}
        results["gixy-ng (all plugins)"] = gixy_audit(main_file)
    baseline = results["crossplane.parse (baseline)"][0]
    print(f"{servers} server blocks, {servers} upstreams, {files} include files")
    for name, (seconds, peak, _) in results.items():
        print(f"{name:<32} {seconds:8.3f} s  {seconds / baseline:5.2f}x  peak {peak / 2**20:7.1f} MiB")
    report = results["fix502 nginx (offline audit)"][2]
    print(f"fix502 findings: {len(report.findings)} ({report.status.value})")
    audit, gixy = results["fix502 nginx (offline audit)"][0], results["gixy-ng (all plugins)"][0]
    print(f"gixy-ng issues: {results['gixy-ng (all plugins)'][2]}; fix502 is {gixy / audit:.1f}x faster")


if __name__ == "__main__":
    main()
