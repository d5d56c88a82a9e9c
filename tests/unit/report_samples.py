"""Sample reports for the report format tests, built from the real model and catalogue.

sample_report(): three hosts
  web1  ok, 5 findings: UPS001 critical (file + line), RES001 high twice (paths, no file),
        RES003 medium (path + values), RES002 reported as low (path); RES004 ran clean
  web2  ok, no findings
  web3  unreachable
extended_report(): the same plus
  app1  ok: UPS001 with a relative file, UPS001 with only a socket, RES004 with only a unit and log lines
  db1   failed
"""

from __future__ import annotations

from fix502.catalogue import BY_ID, CHECKS
from fix502.model import Evidence, Finding, HostReport, HostStatus, Report, Severity

# The checks the samples were written against; the catalogue grows, the samples stay as they are.
# The checks the samples were written for, in catalogue order (later checks of these categories left out).
ALL_CHECKS = [c.id for c in CHECKS if c.id in ("UPS001", "RES001", "RES002", "RES003", "RES004")]
GENERATED_AT = "2025-06-01T08:30:00Z"
VERSION = "0.1.0"
WEB3_MESSAGE = "ssh: connect to host web3 port 22: Connection timed out"
DB1_MESSAGE = "the module failed: /usr/bin/python3: No such file or directory"


class _Fill(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return f"<{key}>"


def finding(
    check_id: str,
    host: str,
    evidence: Evidence,
    *,
    lang: str = "en",
    severity: Severity | None = None,
    **values: str,
) -> Finding:
    """A finding of catalogue check ``check_id`` with its templates filled from ``values``."""
    check = BY_ID[check_id]
    fill = _Fill(values)
    return Finding(
        id=check.id,
        severity=severity if severity is not None else check.severity,
        category=check.category,
        host=host,
        title=check.title.get(lang),
        cause=check.cause.get(lang).format_map(fill),
        fix=check.fix.get(lang).format_map(fill),
        autofix=check.autofix,
        fixed_by=check.fixed_by,
        evidence=evidence,
        doc=check.doc,
    )


def web1(lang: str = "en") -> HostReport:
    return HostReport(
        name="web1",
        status=HostStatus.OK,
        sites=["shop.example.org", "api.example.org"],
        checks_run=list(ALL_CHECKS),
        findings=[
            finding(
                "UPS001",
                "web1",
                Evidence(file="/etc/nginx/conf.d/shop.conf", line=14, address="127.0.0.1", port=9000),
                lang=lang,
                target="127.0.0.1:9000",
                directive="proxy_pass",
                where="/etc/nginx/conf.d/shop.conf:14",
                service=" (php-fpm8.2.service is stopped)",
                service_zh="（php-fpm8.2.service 已停止）",
                impact="Every request for shop.example.org ends in 502.",
                impact_zh="shop.example.org 的每个请求都返回 502。",
            ),
            finding(
                "RES001",
                "web1",
                Evidence(path="/var", values=(("avail", "600M"), ("used_percent", "97"))),
                lang=lang,
                mount="/var",
                used_percent="97",
                avail="600M",
                size="20G",
                holds="nginx temp files and logs",
                holds_zh="nginx 临时文件和日志",
            ),
            finding(
                "RES001",
                "web1",
                Evidence(path="/tmp", values=(("avail", "90M"), ("used_percent", "99"))),
                lang=lang,
                mount="/tmp",
                used_percent="99",
                avail="90M",
                size="20G",
                holds="nginx temp files and logs",
                holds_zh="nginx 临时文件和日志",
            ),
            finding(
                "RES003",
                "web1",
                Evidence(path="/proc/meminfo", values=(("available", "180M"), ("total", "2.0G"))),
                lang=lang,
                available="180M",
                total="2.0G",
                available_percent="9",
                swap="and there is no swap",
                swap_zh="且没有 swap",
            ),
            finding(
                "RES002",
                "web1",
                Evidence(path="/srv"),
                lang=lang,
                severity=Severity.LOW,
                mount="/srv",
                used_percent="81",
                free="190k",
                total="1M",
                holds="uploads",
                holds_zh="上传文件",
            ),
        ],
    )


def web2() -> HostReport:
    return HostReport(
        name="web2", status=HostStatus.OK, sites=["blog.example.org"], checks_run=list(ALL_CHECKS)
    )


def web3() -> HostReport:
    return HostReport(name="web3", status=HostStatus.UNREACHABLE, message=WEB3_MESSAGE)


def app1(lang: str = "en") -> HostReport:
    return HostReport(
        name="app1",
        status=HostStatus.OK,
        checks_run=["UPS001", "RES004"],
        findings=[
            finding(
                "UPS001",
                "app1",
                Evidence(file="conf/nginx/site.conf", line=3, address="127.0.0.1", port=8000),
                lang=lang,
                target="127.0.0.1:8000",
                where="conf/nginx/site.conf:3",
                directive="proxy_pass",
                impact="",
                impact_zh="",
                service="",
                service_zh="",
            ),
            finding(
                "UPS001",
                "app1",
                Evidence(socket="unix:/run/php/php8.2-fpm.sock"),
                lang=lang,
                target="unix:/run/php/php8.2-fpm.sock",
                where="/etc/nginx/sites-enabled/default:40",
                directive="proxy_pass",
                impact="",
                impact_zh="",
                service="",
                service_zh="",
            ),
            finding(
                "RES004",
                "app1",
                Evidence(
                    unit="gunicorn.service",
                    log_lines=(
                        "Out of memory: Killed process 4242 (gunicorn) total-vm:812345kB",
                        "oom-kill:constraint=CONSTRAINT_NONE,task=gunicorn,pid=4242",
                    ),
                ),
                lang=lang,
                count="1",
                processes="gunicorn (pid 4242)",
            ),
        ],
    )


def db1() -> HostReport:
    return HostReport(name="db1", status=HostStatus.FAILED, message=DB1_MESSAGE, checks_run=[])


def sample_report(lang: str = "en") -> Report:
    return Report(
        hosts=[web1(lang), web2(), web3()],
        lang=lang,
        tool_version=VERSION,
        generated_at=GENERATED_AT,
        checks=list(ALL_CHECKS),
    )


def extended_report(lang: str = "en") -> Report:
    report = sample_report(lang)
    report.hosts += [app1(lang), db1()]
    return report


def clean_report() -> Report:
    return Report(hosts=[web2()], tool_version=VERSION, generated_at=GENERATED_AT, checks=list(ALL_CHECKS))


def all_reports() -> list[Report]:
    """Every sample, in both languages, plus an empty one: what "renders anything" tests loop over."""
    return [
        sample_report("en"),
        sample_report("zh"),
        extended_report("en"),
        extended_report("zh"),
        clean_report(),
        Report(hosts=[]),
    ]
