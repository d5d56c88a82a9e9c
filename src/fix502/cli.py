"""The command line: ``fix502 audit|fix|cloud|checks|explain|docs|demo`` (also ``python -m fix502``).

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it (drift), or changes
pending in ``fix --check``; 2 usage, inventory or runtime error; 3 some hosts unreachable.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from fix502 import __version__, catalogue
from fix502.errors import Fix502Error, UsageError
from fix502.model import Severity
from fix502.report_options import add_report_options

EXIT_OK = 0
EXIT_DRIFT = 1
EXIT_ERROR = 2
EXIT_UNREACHABLE = 3

DEFAULT_INVENTORY = "inventories/local/hosts.yml"


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def _inventory_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-i",
        "--inventory",
        action="append",
        metavar="INVENTORY",
        help="inventory file, directory or host list (repeatable); default: this machine, local connection",
    )
    parser.add_argument("-l", "--limit", help="only hosts matching this ansible host pattern")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="fix502", description="Find and fix the causes of HTTP 502 Bad Gateway.")
    parser.add_argument("--version", action="version", version=f"fix502 {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    audit = sub.add_parser("audit", help="audit hosts and report what causes 502")
    _inventory_options(audit)
    audit.add_argument("--checks", action="append", help="check IDs or categories to run, comma-separated")
    add_report_options(audit, threshold_example="disk_used_percent_high=85")
    audit.add_argument("--no-progress", action="store_true", help="no progress line, even on a terminal")

    from fix502.nginx_command import add_arguments as nginx_arguments

    nginx_arguments(sub.add_parser("nginx", help="audit nginx configuration files, no host needed (CI)"))

    from fix502.logs_command import add_arguments as logs_arguments

    logs_arguments(sub.add_parser("logs", help="name the causes of 502/504 in error logs, no host needed"))

    from fix502.cloud_command import add_arguments as cloud_arguments

    cloud_arguments(
        sub.add_parser("cloud", help="audit the security groups and load balancers in front of the site")
    )

    fix = sub.add_parser("fix", help="audit, fix what is safe to fix, and verify (runs fix-502.yml)")
    _inventory_options(fix)
    fix.add_argument(
        "--check", action="store_true", help="dry run: change nothing, exit 1 when something would change"
    )
    fix.add_argument("--diff", action="store_true", help="show the changes")
    fix.add_argument(
        "--lang", choices=catalogue.LANGS, default="en", help="language of the findings (en, zh)"
    )

    checks = sub.add_parser("checks", help="list the checks of the catalogue")
    checks.add_argument("--lang", choices=catalogue.LANGS, default="en")
    checks.add_argument("--format", choices=("table", "json", "markdown"), default="table")

    explain = sub.add_parser("explain", help="explain one check")
    explain.add_argument("check_id", metavar="ID")
    explain.add_argument("--lang", choices=catalogue.LANGS, default="en")

    docs = sub.add_parser("docs", help="write docs/checks.md from the catalogue")
    docs.add_argument("--check", action="store_true", help="only check that docs/checks.md is up to date")

    demo = sub.add_parser("demo", help="break a throw-away local site, audit it, fix it and prove it answers")
    demo.add_argument("--lang", choices=catalogue.LANGS, default="en")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return _dispatch(args)
    except Fix502Error as exc:
        print(f"fix502: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("fix502: interrupted", file=sys.stderr)
        return EXIT_ERROR


def _dispatch(args: argparse.Namespace) -> int:
    from fix502 import commands

    handlers = {
        "audit": commands.audit,
        "fix": commands.fix,
        "checks": commands.list_checks,
        "explain": commands.explain,
        "docs": commands.docs,
        "demo": commands.demo,
        "nginx": commands.nginx_files,
        "logs": commands.logs,
        "cloud": commands.cloud,
    }
    return handlers[args.command](args)


def parse_severity(text: str) -> Severity:
    try:
        return Severity.parse(text)
    except ValueError as exc:
        raise UsageError(f"--fail-on: {exc}") from None
