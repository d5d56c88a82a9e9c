"""The catalogue: stable IDs, texts in both languages, one judge each, docs generated from it."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from fix502 import catalogue, docs_gen
from fix502.checks import load_all
from fix502.model import Severity

REPO = Path(__file__).resolve().parents[2]


def test_ids_are_unique_and_stable_in_form() -> None:
    ids = [c.id for c in catalogue.CHECKS]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[A-Z]{3}\d{3}", i) for i in ids)


def test_every_check_has_exactly_one_judge() -> None:
    from fix502.checks.cloud import CLOUD_REGISTRY

    host_judges, cloud_judges = set(load_all()), set(CLOUD_REGISTRY)
    assert not host_judges & cloud_judges
    assert host_judges | cloud_judges == set(catalogue.BY_ID)
    assert cloud_judges == {c.id for c in catalogue.CHECKS if c.category in catalogue.CLOUD_CATEGORIES}


@pytest.mark.parametrize("check", catalogue.CHECKS, ids=lambda c: c.id)
def test_texts_exist_in_both_languages_with_the_same_placeholders(check: catalogue.CheckDef) -> None:
    assert check.category in catalogue.CATEGORIES
    for text in (check.title, check.cause, check.fix):
        assert text.en.strip() and text.zh.strip()
        assert re.search(r"[\u4e00-\u9fff]", text.zh), "the Chinese text has no Chinese in it"

    def fields(template: str) -> set[str]:
        return {name.removesuffix("_zh") for _, name, _, _ in string.Formatter().parse(template) if name}

    assert fields(check.cause.en) == fields(check.cause.zh)
    assert fields(check.fix.en) == fields(check.fix.zh)
    if check.autofix:
        assert check.fixed_by and check.fixed_by.startswith("fix502.gateway.")


def test_select_by_id_category_and_comma_list() -> None:
    assert [c.id for c in catalogue.select(["ups001"])] == ["UPS001"]
    assert {c.id for c in catalogue.select(["resources"])} == {f"RES00{i}" for i in range(1, 8)}
    assert [c.id for c in catalogue.select(["RES002,UPS001"])] == ["UPS001", "RES002"]  # catalogue order
    # a host audit runs every check but the cloud ones, which ``fix502 cloud`` runs
    assert catalogue.select(None) == [c for c in catalogue.CHECKS if c.category != "cloud"]
    with pytest.raises(ValueError, match="unknown check or category 'XYZ999'"):
        catalogue.select(["XYZ999"])


def test_severity_parsing_and_order() -> None:
    assert Severity.parse("High") is Severity.HIGH
    assert Severity.CRITICAL > Severity.HIGH > Severity.MEDIUM > Severity.LOW > Severity.INFO
    with pytest.raises(ValueError, match="unknown severity"):
        Severity.parse("severe")


def test_checks_doc_is_generated_from_the_catalogue() -> None:
    current = (REPO / docs_gen.CHECKS_DOC).read_text(encoding="utf-8")
    assert current == docs_gen.render_checks_markdown(), "docs/checks.md is stale: run `make docs`"
    for check in catalogue.CHECKS:
        assert f'<a id="{check.anchor}"></a>' in current
        assert check.cause.zh in current
