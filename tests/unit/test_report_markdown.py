"""Markdown for PR comments: summary table, per-host findings tables with doc links, details."""

from __future__ import annotations

import dataclasses
import re

import pytest
from report_samples import DB1_MESSAGE, WEB3_MESSAGE, all_reports, extended_report, sample_report

from fix502.catalogue import BY_ID
from fix502.model import Evidence, HostReport, HostStatus, Report
from fix502.report import markdown, render

DOCS = "https://github.com/fix502/gateway/blob/main/docs/checks.md"


def _cells(row: str) -> list[str]:
    """A table row split on its unescaped pipes."""
    assert row.startswith("| ") and row.endswith(" |"), row
    return [c.strip() for c in re.split(r"(?<!\\)\|", row[1:-1])]


def _table_after(lines: list[str], heading: str) -> list[list[str]]:
    """The first table after the line ``heading``: rows as cell lists (separator row dropped)."""
    start = lines.index(heading)
    first = next(i for i in range(start, len(lines)) if lines[i].startswith("| "))
    rows: list[list[str]] = []
    for line in lines[first:]:
        if not line.startswith("| "):
            break
        rows.append(_cells(line))
    assert set(rows[1]) <= {"---", "---:"}
    return [rows[0], *rows[2:]]


def _section(lines: list[str], host: str) -> list[str]:
    start = lines.index(f"### {host}")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("### ")), len(lines))
    return lines[start:end]


def test_summary_table_has_a_row_per_host_with_counts() -> None:
    lines = render(extended_report(), "markdown").splitlines()
    assert lines[0] == "## fix502 report"
    assert "_Generated 2025-06-01T08:30:00Z by fix502 0.1.0_" in lines
    assert "Checks: `UPS001`, `RES001`, `RES002`, `RES003`, `RES004`" in lines
    rows = _table_after(lines, "## fix502 report")
    assert rows[0] == ["Host", "Status", "Findings", "Critical", "High", "Medium", "Low", "Info"]
    assert rows[1:] == [
        ["web1", "ok", "5", "1", "2", "1", "1", "0"],
        ["web2", "ok", "0", "0", "0", "0", "0", "0"],
        ["web3", "**unreachable**", *["—"] * 6],
        ["app1", "ok", "3", "2", "1", "0", "0", "0"],
        ["db1", "**failed**", *["—"] * 6],
    ]
    assert (
        "**5 hosts: 3 ok, 1 unreachable, 1 failed; 8 findings (3 critical, 3 high, 1 medium, 1 low)**"
        in lines
    )


def test_host_section_has_a_findings_table_with_doc_links() -> None:
    lines = render(sample_report(), "markdown").splitlines()
    section = _section(lines, "web1")
    assert "`shop.example.org`, `api.example.org`" in section
    rows = _table_after(section, "### web1")
    assert rows[0] == ["Severity", "ID", "Title", "Where"]
    assert [r[0] for r in rows[1:]] == ["critical", "high", "high", "medium", "low"]
    assert rows[1] == [
        "critical",
        f"[UPS001]({DOCS}#ups001)",
        BY_ID["UPS001"].title.en,
        "`/etc/nginx/conf.d/shop.conf:14`",
    ]
    assert rows[2][1] == f"[RES001]({DOCS}#res001)" and rows[2][3] == "`/var`"
    assert rows[3][3] == "`/tmp`"


def test_details_list_cause_fix_autofix_and_evidence() -> None:
    report = extended_report()
    lines = render(report, "markdown").splitlines()
    web1 = _section(lines, "web1")
    assert "**Details**" in web1
    ups = report.hosts[0].findings[0]
    head = web1.index(f"- **UPS001** {ups.title} — `/etc/nginx/conf.d/shop.conf:14`")
    assert web1[head + 1 : head + 4] == [
        f"  - Cause: {ups.cause}",
        f"  - Fix: {ups.fix}",
        "  - Auto-fix: yes (`fix502.gateway.backend_recovery`)",
    ]
    assert "  - Values: `available=180M`, `total=2.0G`" in web1
    # pipes in list items are left alone: only table cells need escaping
    res3 = report.hosts[0].findings[3]
    assert f"  - Fix: {res3.fix}" in web1 and "ps aux --sort=-rss | head" in res3.fix
    app1 = _section(lines, "app1")
    log = app1.index("  - Log:")
    assert app1[log + 1 : log + 5] == [
        "    ```",
        "    Out of memory: Killed process 4242 (gunicorn) total-vm:812345kB",
        "    oom-kill:constraint=CONSTRAINT_NONE,task=gunicorn,pid=4242",
        "    ```",
    ]


def test_clean_unreachable_and_failed_sections() -> None:
    lines = render(extended_report(), "markdown").splitlines()
    assert "No problems found." in _section(lines, "web2")
    assert f"> **Unreachable**: {WEB3_MESSAGE}" in _section(lines, "web3")
    assert f"> **Failed**: {DB1_MESSAGE}" in _section(lines, "db1")
    assert not any(line.startswith("| ") for line in _section(lines, "web3"))


def test_pipes_in_cells_are_escaped() -> None:
    finding = sample_report().hosts[0].findings[0]
    piped = dataclasses.replace(
        finding,
        title="a | b title",
        evidence=Evidence(rule="-A INPUT -p tcp | -j DROP"),
    )
    report = Report(hosts=[HostReport("edge|1", HostStatus.OK, findings=[piped])])
    lines = render(report, "markdown").splitlines()
    summary = _table_after(lines, "## fix502 report")
    assert summary[1][0] == "edge\\|1"
    rows = _table_after(lines, "### edge|1")
    assert len(rows[1]) == 4
    assert rows[1][2] == "a \\| b title"
    assert rows[1][3] == "`-A INPUT -p tcp \\| -j DROP`"


def test_cell_and_code_helpers() -> None:
    assert markdown.cell("one\ntwo | three") == "one two \\| three"
    assert markdown.code("plain") == "`plain`"
    assert markdown.code("a `b` c") == "``a `b` c``"
    assert markdown.code("`edge`") == "`` `edge` ``"


def test_chinese_headings_and_labels() -> None:
    text = render(sample_report("zh"), "markdown")
    lines = text.splitlines()
    assert lines[0] == "## fix502 检查报告"
    rows = _table_after(lines, "## fix502 检查报告")
    assert rows[0] == ["主机", "状态", "问题", "严重", "高", "中", "低", "提示"]
    assert rows[3][1] == "**无法连接**"
    web1 = _table_after(_section(lines, "web1"), "### web1")
    assert web1[0] == ["严重程度", "编号", "标题", "位置"]
    assert web1[1][0] == "严重"
    assert "**详情**" in lines
    assert any(line.startswith("  - 原因：") for line in lines)
    assert any(line.startswith("  - 修复：") for line in lines)
    assert "  - 自动修复：是（`fix502.gateway.backend_recovery`）" in lines
    assert "未发现问题。" in lines
    assert f"> **无法连接**：{WEB3_MESSAGE}" in lines
    for english in ("Cause:", "Fix:", "Auto-fix", "No problems found", "| Host |"):
        assert english not in text


@pytest.mark.parametrize("report", all_reports(), ids=lambda r: f"{r.lang}-{len(r.hosts)}hosts")
def test_every_table_row_has_as_many_cells_as_its_header(report: Report) -> None:
    lines = render(report, "markdown").splitlines()
    width = 0
    for line in lines:
        if not line.startswith("| "):
            width = 0
            continue
        cells = _cells(line)
        width = width or len(cells)
        assert len(cells) == width, line
    assert sum(1 for line in lines if line.startswith("### ")) == len(report.hosts)
