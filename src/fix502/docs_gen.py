"""docs/checks.md and ``fix502 explain``, generated from the catalogue: never written twice."""

from __future__ import annotations

from typing import Any

from fix502 import catalogue
from fix502.catalogue import CheckDef
from fix502.thresholds import Thresholds

CHECKS_DOC = "docs/checks.md"

_LABELS = {
    "en": {
        "severity": "Severity",
        "category": "Category",
        "autofix": "Fixed automatically",
        "cause": "Cause",
        "fix": "Fix",
        "yes": "yes",
        "no": "no, a person decides",
        "by": "by",
    },
    "zh": {
        "severity": "严重程度",
        "category": "类别",
        "autofix": "自动修复",
        "cause": "原因",
        "fix": "修复",
        "yes": "是",
        "no": "否，需要人工处理",
        "by": "由",
    },
}


def _autofix(check: CheckDef, lang: str) -> str:
    labels = _LABELS[lang]
    if not check.autofix:
        return labels["no"]
    text = f"{labels['yes']} ({labels['by']} `{check.fixed_by}`)"
    if check.autofix_when:
        text += f", {check.autofix_when.get(lang)}"
    return text


def check_as_dict(check: CheckDef, lang: str) -> dict[str, Any]:
    return {
        "id": check.id,
        "severity": check.severity.label,
        "category": check.category,
        "title": check.title.get(lang),
        "cause": check.cause.get(lang),
        "fix": check.fix.get(lang),
        "autofix": check.autofix,
        "fixed_by": check.fixed_by,
        "doc": check.doc,
    }


def explain_text(check: CheckDef, lang: str) -> str:
    labels = _LABELS[lang]
    return "\n".join(
        [
            f"{check.id}: {check.title.get(lang)}",
            f"{labels['severity']}: {check.severity.label}    {labels['category']}: {check.category}",
            f"{labels['autofix']}: {_autofix(check, lang)}",
            "",
            f"{labels['cause']}: {check.cause.get(lang)}",
            "",
            f"{labels['fix']}: {check.fix.get(lang)}",
            "",
            f"{check.doc}",
        ]
    )


def render_checks_markdown(lang: str = "en") -> str:
    """The whole checks reference; English first, with the Chinese text of each check under it."""
    del lang  # the reference carries both languages
    out = [
        "# Checks",
        "",
        "<!-- Generated from src/fix502/catalogue/ by `make docs`; edit the catalogue, not this file. -->",
        "",
        "Every finding fix502 reports comes from one check below. Words in braces, such as `{mount}`,",
        "are filled in with what was seen on the host. 每项检查的中文说明列在英文之后。",
        "",
        "| ID | Severity | Category | Title | Auto-fix |",
        "| --- | --- | --- | --- | --- |",
    ]
    for check in catalogue.CHECKS:
        auto = f"`{check.fixed_by}`" if check.autofix else "no"
        out.append(
            f"| [{check.id}](#{check.anchor}) | {check.severity.label} | {check.category} "
            f"| {check.title.en} | {auto} |"
        )
    for category, (title_en, title_zh) in catalogue.CATEGORIES.items():
        out += ["", f"## {title_en} / {title_zh}"]
        for check in (c for c in catalogue.CHECKS if c.category == category):
            out += [
                "",
                f'<a id="{check.anchor}"></a>',
                f"### {check.id}: {check.title.en}",
                "",
                f"- Severity: {check.severity.label}",
                f"- Fixed automatically: {_autofix(check, 'en')}",
                "",
                f"**Cause.** {check.cause.en}",
                "",
                f"**Fix.** {check.fix.en}",
                "",
                f"**{check.title.zh}**",
                "",
                f"- 自动修复：{_autofix(check, 'zh')}",
                "",
                f"**原因。** {check.cause.zh}",
                "",
                f"**修复。** {check.fix.zh}",
            ]
    out += [
        "",
        "## Thresholds",
        "",
        "Change them per host with the `fix502_thresholds` variable, or for one run with",
        "`fix502 audit --threshold NAME=VALUE`.",
        "",
        "| Name | Default |",
        "| --- | --- |",
    ]
    out += [f"| `{name}` | {value:.15g} |" for name, value in Thresholds().as_dict().items()]
    return "\n".join(out) + "\n"
