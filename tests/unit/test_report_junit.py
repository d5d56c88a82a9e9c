"""JUnit XML: one suite per host, one case per check run, failures grouped per check, counts right."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from report_samples import ALL_CHECKS, DB1_MESSAGE, WEB3_MESSAGE, all_reports, extended_report, sample_report

from fix502.catalogue import BY_ID
from fix502.model import Report
from fix502.report import junit, render


def _root(report: Report) -> ET.Element:
    text = render(report, "junit")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(text.encode("utf-8"))


def _suite(root: ET.Element, host: str) -> ET.Element:
    suite = root.find(f"testsuite[@name='{host}']")
    assert suite is not None, host
    return suite


def _case(suite: ET.Element, name: str) -> ET.Element:
    found = [c for c in suite.findall("testcase") if c.get("name") == name]
    assert len(found) == 1, name
    return found[0]


def _failure(suite: ET.Element, check_id: str, title: str) -> ET.Element:
    failure = _case(suite, f"{check_id} {title}").find("failure")
    assert failure is not None, check_id
    return failure


def test_totals_and_per_host_counts() -> None:
    root = _root(sample_report())
    assert root.tag == "testsuites"
    assert root.attrib == {"name": "fix502", "tests": "11", "failures": "4", "errors": "1"}
    assert [s.get("name") for s in root.findall("testsuite")] == ["web1", "web2", "web3"]
    web1, web2, web3 = root.findall("testsuite")
    assert (web1.get("tests"), web1.get("failures"), web1.get("errors")) == ("5", "4", "0")
    assert (web2.get("tests"), web2.get("failures"), web2.get("errors")) == ("5", "0", "0")
    assert (web3.get("tests"), web3.get("failures"), web3.get("errors")) == ("1", "0", "1")


@pytest.mark.parametrize("report", all_reports(), ids=lambda r: f"{r.lang}-{len(r.hosts)}hosts")
def test_counts_match_the_elements(report: Report) -> None:
    root = _root(report)
    suites = root.findall("testsuite")
    assert len(suites) == len(report.hosts)
    for suite in suites:
        cases = suite.findall("testcase")
        assert int(suite.get("tests", "-1")) == len(cases)
        assert int(suite.get("failures", "-1")) == sum(1 for c in cases if c.find("failure") is not None)
        assert int(suite.get("errors", "-1")) == sum(1 for c in cases if c.find("error") is not None)
    for key in ("tests", "failures", "errors"):
        assert int(root.get(key, "-1")) == sum(int(s.get(key, "0")) for s in suites)
    failures = sum(len({f.id for f in h.findings}) for h in report.hosts)
    assert int(root.get("failures", "-1")) == failures
    assert int(root.get("errors", "-1")) == len(report.unreachable()) + len(report.failed())


def test_one_case_per_check_run_named_id_and_title() -> None:
    root = _root(sample_report())
    for host in ("web1", "web2"):
        cases = _suite(root, host).findall("testcase")
        assert [c.get("classname") for c in cases] == [f"fix502.{host}"] * len(ALL_CHECKS)
        assert [c.get("name") for c in cases] == [f"{i} {BY_ID[i].title.en}" for i in ALL_CHECKS]
    passing = [c.get("name", "") for c in _suite(root, "web1").findall("testcase") if len(c) == 0]
    assert passing == [f"RES004 {BY_ID['RES004'].title.en}"]


def test_findings_of_one_check_share_one_failure() -> None:
    report = sample_report()
    root = _root(report)
    failures = _case(_suite(root, "web1"), f"RES001 {BY_ID['RES001'].title.en}").findall("failure")
    assert len(failures) == 1
    failure = failures[0]
    assert failure.get("message") == BY_ID["RES001"].title.en
    assert failure.get("type") == "high"
    text = failure.text or ""
    var, tmp = (f for f in report.hosts[0].findings if f.id == "RES001")
    for finding in (var, tmp):
        assert f"Cause: {finding.cause}" in text
        assert f"Fix: {finding.fix}" in text
        assert f"Where: {finding.evidence.where()}" in text
    assert "[1/2 RES001 high]" in text and "[2/2 RES001 high]" in text
    assert "Values: avail=600M, used_percent=97" in text


def test_failure_text_has_evidence_autofix_and_log_lines() -> None:
    root = _root(extended_report())
    ups = _failure(_suite(root, "web1"), "UPS001", BY_ID["UPS001"].title.en)
    assert ups.get("type") == "critical"
    assert "Where: /etc/nginx/conf.d/shop.conf:14" in (ups.text or "")
    assert "Auto-fix: yes (fix502.gateway.backend_recovery)" in (ups.text or "")
    oom = _failure(_suite(root, "app1"), "RES004", BY_ID["RES004"].title.en)
    assert "    Out of memory: Killed process 4242 (gunicorn) total-vm:812345kB" in (oom.text or "")
    assert "Auto-fix: no" in (oom.text or "")


def test_unreachable_and_failed_hosts_have_one_reachable_case_in_error() -> None:
    root = _root(extended_report())
    for host, status, message in (("web3", "unreachable", WEB3_MESSAGE), ("db1", "failed", DB1_MESSAGE)):
        cases = _suite(root, host).findall("testcase")
        assert [(c.get("classname"), c.get("name")) for c in cases] == [(f"fix502.{host}", "reachable")]
        error = cases[0].find("error")
        assert error is not None
        assert error.get("type") == status
        assert error.get("message") == f"{status}: {message}"
        assert message in (error.text or "") and host in (error.text or "")
        assert cases[0].find("failure") is None


def test_chinese_labels_in_failure_text() -> None:
    root = _root(sample_report("zh"))
    text = _failure(_suite(root, "web1"), "RES003", BY_ID["RES003"].title.zh).text or ""
    assert "原因：" in text and "修复：" in text and "位置：/proc/meminfo" in text and "自动修复：否" in text
    error = _suite(root, "web3").find("testcase/error")
    assert error is not None and error.get("message") == f"无法连接：{WEB3_MESSAGE}"
    assert error.get("type") == "unreachable"


def test_failure_text_function_lists_every_finding() -> None:
    findings = [f for f in extended_report().hosts[3].findings if f.id == "UPS001"]
    text = junit.failure_text(findings, "en")
    assert text.count("Cause: ") == 2 and text.count("Fix: ") == 2
    assert "Where: conf/nginx/site.conf:3" in text and "Where: unix:/run/php/php8.2-fpm.sock" in text
