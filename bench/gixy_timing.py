"""Times gixy-ng on one nginx configuration; run by bench_nginx_config.py in gixy's own venv.

gixy-ng depends on ngxparse, a fork of crossplane that installs itself as the `crossplane`
package: in fix502's venv it would replace the crossplane fix502 is measured against. So it
lives in .venv-gixy and reports here as JSON: best wall time of three runs, issues, peak memory.

Usage: python bench/gixy_timing.py MAIN_CONF
"""

import json
import sys
import time
import tracemalloc

from gixy.core.config import Config
from gixy.core.manager import Manager


def audit(main_file: str) -> int:
    manager = Manager(config=Config(allow_includes=True))
    with open(main_file, "rb") as handle:
        manager.audit(main_file, handle)
    return sum(len(plugin.issues) for plugin in manager.results)


def main() -> None:
    main_file = sys.argv[1]
    best = float("inf")
    issues = 0
    for _ in range(3):
        started = time.perf_counter()
        issues = audit(main_file)
        best = min(best, time.perf_counter() - started)
    tracemalloc.start()
    audit(main_file)
    peak = tracemalloc.get_traced_memory()[1]
    print(json.dumps({"seconds": best, "peak": peak, "issues": issues}))


if __name__ == "__main__":
    main()
