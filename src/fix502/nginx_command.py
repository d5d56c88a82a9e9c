"""``fix502 nginx PATH...``: audit nginx configuration files from a checkout, with no host at all.

Each PATH is a main configuration file; its includes are resolved relative to its directory
(fix502.nginx_config.parse_files). Only the checks that judge the configuration alone run (the
nginx category). Each PATH is one "host" of the report, named by the path; files inside the
current directory are named relative to it, so SARIF locations are repository-relative.
Same formats, options and exit codes as ``fix502 audit``.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from dataclasses import replace

from fix502 import catalogue, output
from fix502.catalogue import CheckDef
from fix502.engine import COLLECTED_SCHEMA, judge_host, new_report
from fix502.errors import UsageError
from fix502.model import HostReport, HostStatus
from fix502.nginx_config import NginxConfig, parse_files
from fix502.report import FORMATS, render
from fix502.report_options import add_report_options
from fix502.thresholds import Thresholds

# Categories whose checks need nothing but the configuration text.
OFFLINE_CATEGORIES = ("nginx",)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="main nginx configuration file (nginx.conf)")
    parser.add_argument(
        "--checks", action="append", help="check IDs or categories to run, comma-separated (default: nginx)"
    )
    add_report_options(parser, threshold_example="proxy_read_timeout_min_seconds=30s")


def offline_checks(selectors: list[str] | None) -> list[CheckDef]:
    """The chosen checks; UsageError when one of them needs a host."""
    try:
        chosen = catalogue.select(selectors or list(OFFLINE_CATEGORIES))
    except ValueError as exc:
        raise UsageError(f"--checks: {exc}") from None
    needs_host = [c.id for c in chosen if c.category not in OFFLINE_CATEGORIES]
    if needs_host:
        raise UsageError(
            f"--checks: {', '.join(needs_host)} need a host; fix502 nginx runs only the "
            f"{', '.join(OFFLINE_CATEGORIES)} checks"
        )
    return chosen


def display_path(path: str, cwd: str) -> str:
    """``path`` relative to ``cwd`` when it is inside it, else absolute."""
    absolute = os.path.abspath(path)
    if cwd != os.sep and absolute.startswith(cwd.rstrip(os.sep) + os.sep):
        return os.path.relpath(absolute, cwd)
    return absolute


def relative_config(config: NginxConfig, cwd: str) -> NginxConfig:
    """The same configuration with every file named as ``display_path`` names it."""
    names: dict[str, str] = {}

    def name(path: str) -> str:
        if path not in names:
            names[path] = display_path(path, cwd) if path else path
        return names[path]

    for directive in config.walk():
        directive.file = name(directive.file)
    prefix = cwd.rstrip(os.sep) + os.sep
    config.problems = [
        replace(p, file=name(p.file), message=p.message.replace(prefix, "") if cwd != os.sep else p.message)
        for p in config.problems
    ]
    config.files = [name(f) for f in config.files]
    config.main_file = name(config.main_file)
    return config


def audit_file(
    path: str, checks: Sequence[CheckDef], lang: str, thresholds: Thresholds, cwd: str
) -> HostReport:
    host = display_path(path, cwd)
    # A parsed configuration is a tree of many small objects and no cycles: the cyclic garbage
    # collector only slows the parse down (up to a third on large configurations), so it waits.
    collecting = gc.isenabled()
    gc.disable()
    try:
        config = relative_config(parse_files(path), cwd)
        report = judge_host(
            host, {"schema": COLLECTED_SCHEMA}, checks, lang=lang, thresholds=thresholds, config=config
        ).report
    except (OSError, ValueError, RecursionError) as exc:
        return HostReport(name=host, status=HostStatus.FAILED, message=f"{host}: {exc}")
    finally:
        if collecting:
            gc.enable()
    if not config.directives and config.problems:
        first = config.problems[0]
        where = f"{first.file}:{first.line}" if first.line else first.file
        report.status = HostStatus.FAILED
        report.message = f"{where}: {first.message.removesuffix(f' in {where}')}"
    elif config.problems:
        report.message = "; ".join(
            f"{p.file}:{p.line}: {p.message}" if p.line else f"{p.file}: {p.message}" for p in config.problems
        )
    report.sites = []
    return report


def run(args: argparse.Namespace) -> int:
    from fix502.cli import EXIT_DRIFT, EXIT_ERROR, EXIT_OK, parse_severity
    from fix502.commands import _thresholds

    if args.format not in FORMATS:
        raise UsageError(f"--format: unknown format {args.format!r} (known: {', '.join(FORMATS)})")
    fail_on = parse_severity(args.fail_on)
    checks = offline_checks(args.checks)
    thresholds = Thresholds().updated(_thresholds(args.threshold), "--threshold")
    for path in args.paths:
        if not os.path.exists(path):
            raise UsageError(f"{path}: no such file")
        if os.path.isdir(path):
            raise UsageError(f"{path}: is a directory, not an nginx configuration file")
    if args.output:
        output.check_writable(args.output)
    cwd = os.getcwd()
    hosts = [audit_file(path, checks, args.lang, thresholds, cwd) for path in dict.fromkeys(args.paths)]
    report = new_report(hosts, checks, args.lang)
    color = args.color == "always" or (args.color == "auto" and args.output is None and sys.stdout.isatty())
    output.write(render(report, args.format, color=color), args.output)
    if report.failed():
        print(f"fix502: cannot audit: {'; '.join(h.message for h in report.failed())}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_DRIFT if report.count_at_or_above(fail_on) else EXIT_OK
