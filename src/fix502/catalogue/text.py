"""The shape of a catalogue entry: a check's definition and its texts in every language."""

from __future__ import annotations

from dataclasses import dataclass

from fix502.model import Severity


@dataclass(frozen=True)
class Text:
    en: str
    zh: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class CheckDef:
    id: str
    severity: Severity
    category: str
    title: Text
    cause: Text
    fix: Text
    autofix: bool
    fixed_by: str | None = None
    autofix_when: Text | None = None

    @property
    def anchor(self) -> str:
        return self.id.lower()

    @property
    def doc(self) -> str:
        return f"docs/checks.md#{self.anchor}"
