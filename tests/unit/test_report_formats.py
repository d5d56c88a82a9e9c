"""The format registry: render() dispatches to each module, and refuses unknown formats."""

from __future__ import annotations

import pytest
from report_samples import all_reports, sample_report

from fix502.model import HostStatus, Report, Severity
from fix502.report import FORMATS, json_format, junit, labels, markdown, render, sarif, table


def test_formats_are_the_five_known_ones() -> None:
    assert FORMATS == ("table", "json", "sarif", "junit", "markdown")


def test_render_dispatches_to_each_module() -> None:
    report = sample_report()
    assert render(report, "table") == table.render(report)
    assert render(report, "table", color=True) == table.render(report, color=True)
    assert render(report, "json") == json_format.render(report)
    assert render(report, "sarif") == sarif.render(report)
    assert render(report, "junit") == junit.render(report)
    assert render(report, "markdown") == markdown.render(report)


@pytest.mark.parametrize("fmt", ["json", "sarif", "junit", "markdown"])
def test_color_only_changes_the_table(fmt: str) -> None:
    report = sample_report()
    assert render(report, fmt, color=True) == render(report, fmt)
    assert "\x1b[" not in render(report, fmt, color=True)


@pytest.mark.parametrize("fmt", ["html", "JSON", ""])
def test_unknown_format_names_it_and_the_known_ones(fmt: str) -> None:
    with pytest.raises(ValueError) as caught:
        render(sample_report(), fmt)
    message = str(caught.value)
    assert repr(fmt) in message
    for known in FORMATS:
        assert known in message


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("report", all_reports(), ids=lambda r: f"{r.lang}-{len(r.hosts)}hosts")
def test_every_format_names_every_host(fmt: str, report: Report) -> None:
    text = render(report, fmt)
    assert text.endswith("\n")
    for host in report.hosts:
        assert host.name in text
        if host.message:
            assert host.message in text
    for finding in report.findings():
        assert finding.id in text


def test_every_language_has_every_label() -> None:
    assert set(labels.LABELS) == set(labels.COUNTED) == {"en", "zh"}
    assert set(labels.LABELS["en"]) == set(labels.LABELS["zh"])
    assert set(labels.COUNTED["en"]) == set(labels.COUNTED["zh"])
    for lang in ("en", "zh"):
        assert set(labels.SEVERITY_NAMES[lang]) == set(Severity)
        assert set(labels.STATUS_NAMES[lang]) == set(HostStatus)
    assert labels.counted("en", "findings", 1) == "1 finding"
    assert labels.counted("en", "findings", 2) == "2 findings"
    assert labels.label("fr", "why") == "why"
