"""What each subcommand does; cli.py only parses the command line."""

from __future__ import annotations

import argparse
import json
import sys

from fix502 import catalogue, docs_gen, output
from fix502.audit import AuditRequest, run_audit
from fix502.cli import DEFAULT_INVENTORY, EXIT_DRIFT, EXIT_ERROR, EXIT_OK, EXIT_UNREACHABLE, parse_severity
from fix502.collection import collection_root
from fix502.errors import UsageError
from fix502.fixing import FixRequest, run_fix
from fix502.report import FORMATS, render


def _selected_checks(raw: list[str] | None) -> list[catalogue.CheckDef]:
    try:
        chosen = catalogue.select(raw)
    except ValueError as exc:
        raise UsageError(f"--checks: {exc}") from None
    cloud = [c.id for c in chosen if c.category in catalogue.CLOUD_CATEGORIES]
    if cloud:
        names = ", ".join(cloud)
        raise UsageError(f"--checks: {names} judge cloud security groups; run them with fix502 cloud")
    return chosen


def _thresholds(raw: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in raw:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--threshold {item!r}: expected NAME=VALUE")
        values[name.strip()] = value.strip()
    try:
        from fix502.thresholds import Thresholds

        Thresholds().updated(values, "--threshold")
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return values


def _inventories(args: argparse.Namespace) -> list[str]:
    return list(args.inventory) if args.inventory else [str(collection_root() / DEFAULT_INVENTORY)]


def audit(args: argparse.Namespace) -> int:
    if args.format not in FORMATS:
        raise UsageError(f"--format: unknown format {args.format!r} (known: {', '.join(FORMATS)})")
    fail_on = parse_severity(args.fail_on)
    checks = _selected_checks(args.checks)
    thresholds = _thresholds(args.threshold)
    if args.output:
        output.check_writable(args.output)
    request = AuditRequest(
        inventories=_inventories(args),
        limit=args.limit,
        checks=checks,
        lang=args.lang,
        thresholds=thresholds,
        progress=sys.stderr.isatty() and not args.no_progress,
    )
    report = run_audit(request)
    color = args.color == "always" or (args.color == "auto" and args.output is None and sys.stdout.isatty())
    output.write(render(report, args.format, color=color), args.output)
    if report.unreachable():
        names = ", ".join(h.name for h in report.unreachable())
        print(f"fix502: unreachable: {names}", file=sys.stderr)
        return EXIT_UNREACHABLE
    if report.failed():
        names = ", ".join(h.name for h in report.failed())
        print(f"fix502: audit failed on: {names}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_DRIFT if report.count_at_or_above(fail_on) else EXIT_OK


def fix(args: argparse.Namespace) -> int:
    request = FixRequest(
        inventories=_inventories(args), limit=args.limit, lang=args.lang, check=args.check, diff=args.diff
    )
    outcome = run_fix(request, collection_root())
    if outcome.unreachable:
        print(f"fix502: unreachable: {', '.join(outcome.unreachable)}", file=sys.stderr)
        return EXIT_UNREACHABLE
    if outcome.failed:
        print(f"fix502: not fixed on: {', '.join(outcome.failed)}", file=sys.stderr)
        return EXIT_DRIFT
    if args.check and outcome.changed:
        print(f"fix502: --check: would change {', '.join(outcome.changed)}", file=sys.stderr)
        return EXIT_DRIFT
    return EXIT_OK


def list_checks(args: argparse.Namespace) -> int:
    if args.format == "json":
        rows = [docs_gen.check_as_dict(c, args.lang) for c in catalogue.CHECKS]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    elif args.format == "markdown":
        print(docs_gen.render_checks_markdown(args.lang), end="")
    else:
        for check in catalogue.CHECKS:
            auto = "auto-fix" if check.autofix else "manual"
            print(
                f"{check.id}  {check.severity.label:<8}  {check.category:<10}  {auto:<8}  "
                + check.title.get(args.lang)
            )
    return EXIT_OK


def explain(args: argparse.Namespace) -> int:
    check = catalogue.BY_ID.get(args.check_id.upper())
    if check is None:
        raise UsageError(f"explain: unknown check {args.check_id!r} (known: {', '.join(catalogue.BY_ID)})")
    print(docs_gen.explain_text(check, args.lang))
    return EXIT_OK


def docs(args: argparse.Namespace) -> int:
    path = collection_root() / docs_gen.CHECKS_DOC
    expected = docs_gen.render_checks_markdown("en")
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if args.check:
        if current != expected:
            print(f"fix502: {docs_gen.CHECKS_DOC} is stale: run `make docs`", file=sys.stderr)
            return EXIT_DRIFT
        return EXIT_OK
    if current != expected:
        output.write(expected, str(path))
    return EXIT_OK


def demo(args: argparse.Namespace) -> int:
    from fix502.demo import run_demo

    return run_demo(lang=args.lang)


def nginx_files(args: argparse.Namespace) -> int:
    from fix502.nginx_command import run

    return run(args)


def logs(args: argparse.Namespace) -> int:
    from fix502.logs_command import run

    return run(args)


def cloud(args: argparse.Namespace) -> int:
    from fix502.cloud_command import run

    return run(args)
