"""The command-line options every reporting command shares: audit, nginx and logs."""

from __future__ import annotations

import argparse

from fix502 import catalogue
from fix502.report import FORMATS


def add_report_options(parser: argparse.ArgumentParser, *, threshold_example: str | None) -> None:
    """--format, --output, --fail-on, --lang, --color, and --threshold when an example is given."""
    parser.add_argument("--format", default="table", help=f"report format: {', '.join(FORMATS)}")
    parser.add_argument("-o", "--output", help="write the report to this file instead of standard output")
    parser.add_argument(
        "--fail-on",
        default="high",
        help="exit 1 when a finding is at or above this severity (critical, high, medium, low, info)",
    )
    if threshold_example:
        parser.add_argument(
            "--threshold",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help=f"change a limit, e.g. {threshold_example}",
        )
    parser.add_argument(
        "--lang", choices=catalogue.LANGS, default="en", help="language of the report (en, zh)"
    )
    parser.add_argument(
        "--color", choices=("auto", "always", "never"), default="auto", help="colors in the table format"
    )
