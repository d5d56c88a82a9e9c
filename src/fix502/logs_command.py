"""``fix502 logs FILE...``: read nginx (and php-fpm) error logs, plain or gzip, and name the causes of
502 and 504 they tell of; no host needed.

The files are one "host" of the report, named ``logs``. Only the errorlog checks run. The files are
streamed in constant memory (fix502.errorlog). Same formats, options and exit codes as
``fix502 audit``.
"""

from __future__ import annotations

import argparse
import os
import sys

from fix502 import catalogue, output
from fix502.catalogue import CheckDef
from fix502.checks import load_all
from fix502.checks.context import HostContext
from fix502.engine import COLLECTED_SCHEMA, finding_from_hit, new_report
from fix502.errorlog import scan_files
from fix502.errors import UsageError
from fix502.model import HostReport, HostStatus
from fix502.report import FORMATS, render
from fix502.report_options import add_report_options

REPORT_HOST = "logs"
CATEGORY = "errorlog"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="an nginx error log or php-fpm log (.gz too)"
    )
    parser.add_argument(
        "--checks", action="append", help="check IDs to run, comma-separated (default: every errorlog check)"
    )
    add_report_options(parser, threshold_example=None)


def log_checks(selectors: list[str] | None) -> list[CheckDef]:
    """The chosen checks; UsageError when one of them needs more than a log."""
    try:
        chosen = catalogue.select(selectors or [CATEGORY])
    except ValueError as exc:
        raise UsageError(f"--checks: {exc}") from None
    other = [c.id for c in chosen if c.category != CATEGORY]
    if other:
        raise UsageError(
            f"--checks: {', '.join(other)} need a host; fix502 logs runs only the {CATEGORY} checks"
        )
    return chosen


def judge_logs(files: list[str], checks: list[CheckDef], lang: str) -> HostReport:
    """Read the logs (LogFileError names a file that cannot be read) and judge them."""
    ctx = HostContext(host=REPORT_HOST, collected={"schema": COLLECTED_SCHEMA}, error_log=scan_files(files))
    registry = load_all()
    findings = [
        finding_from_hit(hit, REPORT_HOST, lang) for check in checks for hit in registry[check.id](ctx)
    ]
    findings.sort(key=lambda f: (-f.severity, f.id, f.evidence.where()))
    return HostReport(
        name=REPORT_HOST,
        status=HostStatus.OK,
        findings=findings,
        checks_run=[c.id for c in checks],
    )


def run(args: argparse.Namespace) -> int:
    from fix502.cli import EXIT_DRIFT, EXIT_OK, parse_severity

    if args.format not in FORMATS:
        raise UsageError(f"--format: unknown format {args.format!r} (known: {', '.join(FORMATS)})")
    fail_on = parse_severity(args.fail_on)
    checks = log_checks(args.checks)
    files = list(dict.fromkeys(args.files))
    for path in files:
        if os.path.isdir(path):
            raise UsageError(f"{path}: is a directory, not a log file")
        if not os.path.exists(path):
            raise UsageError(f"{path}: no such file")
    if args.output:
        output.check_writable(args.output)
    report = new_report([judge_logs(files, checks, args.lang)], checks, args.lang)
    color = args.color == "always" or (args.color == "auto" and args.output is None and sys.stdout.isatty())
    output.write(render(report, args.format, color=color), args.output)
    return EXIT_DRIFT if report.count_at_or_above(fail_on) else EXIT_OK
