"""The terminal table: host headers, finding paragraphs wrapped to 100 columns, labels, colors."""

from __future__ import annotations

import dataclasses
import re

import pytest
from report_samples import WEB3_MESSAGE, all_reports, extended_report, sample_report

from fix502.model import HostReport, HostStatus, Report, Severity
from fix502.report import render, table

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _lines(report: Report, *, color: bool = False) -> list[str]:
    return render(report, "table", color=color).splitlines()


def _block(lines: list[str], start: str) -> list[str]:
    """The lines of the paragraph that begins with ``start`` (up to the next blank line)."""
    index = next(i for i, line in enumerate(lines) if line.startswith(start))
    end = next((j for j in range(index + 1, len(lines)) if not lines[j]), len(lines))
    return lines[index:end]


def _field(block: list[str], label: str) -> str:
    """A wrapped field joined back into one string."""
    prefix = f"  {label}"
    index = next(i for i, line in enumerate(block) if line.startswith(prefix))
    parts = [block[index][len(prefix) :]]
    for line in block[index + 1 :]:
        if not line.startswith("   ") or line.lstrip().startswith(("where", "why", "fix", "auto-fix")):
            break
        parts.append(line.strip())
    return " ".join(parts)


def test_host_headers_count_findings_by_severity() -> None:
    lines = _lines(sample_report())
    assert lines[0] == "web1  [ok]  5 findings (1 critical, 2 high, 1 medium, 1 low)"
    assert "web2  [ok]  0 findings" in lines
    assert "web3  [unreachable]" in lines


def test_findings_are_listed_worst_first_with_id_and_title() -> None:
    heads = [line for line in _lines(sample_report()) if line.startswith("[")]
    assert heads == [
        "[CRITICAL] UPS001  nginx proxies to a backend that is not listening",
        "[HIGH] RES001  A filesystem that nginx or its backends write to is almost full",
        "[HIGH] RES001  A filesystem that nginx or its backends write to is almost full",
        "[MEDIUM] RES003  The host is short of memory",
        "[LOW] RES002  A filesystem that nginx or its backends write to is running out of inodes",
    ]


def test_finding_paragraph_has_where_why_fix_and_autofix() -> None:
    report = sample_report()
    ups = report.hosts[0].findings[0]
    block = _block(_lines(report), "[CRITICAL] UPS001")
    assert block[1] == "  where: /etc/nginx/conf.d/shop.conf:14"
    assert block[2].startswith("  why: nginx sends requests to 127.0.0.1:9000")
    assert _field(block, "why: ") == ups.cause
    assert _field(block, "fix: ") == ups.fix
    assert block[-1] == "  auto-fix: yes (fix502.gateway.backend_recovery)"
    res3 = _block(_lines(report), "[MEDIUM] RES003")
    assert res3[1] == "  where: /proc/meminfo"
    assert res3[-1] == "  auto-fix: no"


def test_long_fields_wrap_to_100_columns_and_continuations_align() -> None:
    for lang in ("en", "zh"):
        lines = _lines(extended_report(lang))
        assert max(table.display_width(line) for line in lines) <= table.WIDTH
        block = _block(lines, "[CRITICAL] UPS001" if lang == "en" else "[严重] UPS001")
        why = next(i for i, line in enumerate(block) if line.startswith(("  why: ", "  原因：")))
        assert len(block[why]) > 0 and block[why + 1].startswith(" " * 7)
        assert not block[why + 1].startswith(" " * 9)


def test_clean_and_unreachable_hosts() -> None:
    lines = _lines(extended_report())
    web2 = lines.index("web2  [ok]  0 findings")
    assert lines[web2 + 1] == "  no problems found"
    web3 = lines.index("web3  [unreachable]")
    assert lines[web3 + 1] == f"  ! could not reach the host: {WEB3_MESSAGE}"
    db1 = lines.index("db1  [failed]")
    assert lines[db1 + 1].startswith("  ! the checks failed on this host: the module failed")


def test_summary_line_closes_the_report() -> None:
    assert (
        _lines(sample_report())[-1]
        == "3 hosts: 2 ok, 1 unreachable, 0 failed; 5 findings (1 critical, 2 high, 1 medium, 1 low)"
    )
    assert _lines(extended_report())[-1] == (
        "5 hosts: 3 ok, 1 unreachable, 1 failed; 8 findings (3 critical, 3 high, 1 medium, 1 low)"
    )
    assert _lines(Report(hosts=[]))[-1] == "0 hosts: 0 ok, 0 unreachable, 0 failed; 0 findings"


def test_chinese_labels() -> None:
    text = render(sample_report("zh"), "table")
    lines = text.splitlines()
    assert lines[0] == "web1  [正常]  5 个问题（1 严重，2 高，1 中，1 低）"
    assert "[严重] UPS001  nginx 代理的后端没有在监听" in lines
    assert "  位置：/etc/nginx/conf.d/shop.conf:14" in lines
    assert any(line.startswith("  原因：nginx 把请求转发到") for line in lines)
    assert any(line.startswith("  修复：启动应在") for line in lines)
    assert "  自动修复：是（fix502.gateway.backend_recovery）" in lines
    assert "  未发现问题" in lines
    assert f"  ! 无法连接主机：{WEB3_MESSAGE}" in lines
    assert (
        lines[-1] == "共 3 台主机：2 台正常，1 台无法连接，0 台检查失败；5 个问题（1 严重，2 高，1 中，1 低）"
    )
    for english in ("where:", "why:", "fix:", "auto-fix", "no problems found"):
        assert english not in text


@pytest.mark.parametrize("report", all_reports(), ids=lambda r: f"{r.lang}-{len(r.hosts)}hosts")
def test_no_color_unless_asked(report: Report) -> None:
    plain = render(report, "table")
    assert "\x1b" not in plain
    colored = render(report, "table", color=True)
    assert ANSI.sub("", colored) == plain


def test_colors_by_severity_and_status() -> None:
    colored = render(extended_report(), "table", color=True)
    assert f"{table.SEVERITY_COLORS[Severity.CRITICAL]}[CRITICAL]{table.RESET}" in colored
    assert f"{table.SEVERITY_COLORS[Severity.MEDIUM]}[MEDIUM]{table.RESET}" in colored
    assert f"{table.SEVERITY_COLORS[Severity.LOW]}[LOW]{table.RESET}" in colored
    unreachable = table.STATUS_COLORS[HostStatus.UNREACHABLE]
    assert f"{unreachable}  ! could not reach the host: {WEB3_MESSAGE}{table.RESET}" in colored


def test_wrap_breaks_between_cjk_characters_but_not_before_closing_punctuation() -> None:
    text = "内存紧张时内核会杀掉进程，往往是占用最多的后端。" * 6
    lines = table.wrap(text, 40, "  原因：", "        ")
    assert len(lines) > 3
    assert all(table.display_width(line) <= 40 for line in lines)
    assert not any(line.strip()[0] in "，。" for line in lines[1:])
    assert "".join(line.strip() for line in lines).replace("原因：", "", 1) == text


def test_wrap_keeps_a_long_word_whole() -> None:
    path = "/var/lib/" + "x" * 120
    lines = table.wrap(f"see {path} now", 60, "  why: ", "       ")
    assert lines == ["  why: see", f"       {path}", "       now"]


def test_a_long_title_wraps_too() -> None:
    finding = sample_report().hosts[0].findings[0]
    long = dataclasses.replace(finding, title="nginx proxies to a backend that is not listening " * 4)
    report = Report(hosts=[HostReport("web1", HostStatus.OK, findings=[long])])
    for color in (False, True):
        lines = ANSI.sub("", render(report, "table", color=color)).splitlines()
        head = _block(lines, "[CRITICAL] UPS001  nginx proxies")
        assert max(table.display_width(line) for line in lines) <= table.WIDTH
        assert head[1].startswith("  ") and not head[1].startswith("  where")
