"""Print this machine's Debian archive entries of apt as deb822 stanzas, for the suite of the image.

The fleet's image is built from the mirror that this machine's apt is configured with, read at run
time, so no mirror is written down anywhere. Of the entries in the given sources files (one-line
``.list`` or deb822 ``.sources``), those of type ``deb`` for this machine's release (``CODENAME``,
``CODENAME-updates``, ``CODENAME-security``) are kept, with ``CODENAME`` replaced by the image's suite;
every other field (``Signed-By``, ``Architectures``, ...) is kept as it is.

    python3 debian_sources.py --from CODENAME --to SUITE SOURCES_FILE...
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

POCKETS = ("", "-updates", "-security")
# Options of the one-line format and their deb822 field names.
ONE_LINE_OPTIONS = {
    "arch": "Architectures",
    "signed-by": "Signed-By",
    "trusted": "Trusted",
    "lang": "Languages",
}


class Entry:
    """One source: its URIs, suites, components and other fields (name, raw value with continuations)."""

    def __init__(self, uris: list[str], suites: list[str], components: list[str]) -> None:
        self.uris = uris
        self.suites = suites
        self.components = components
        self.fields: list[tuple[str, str]] = []

    def render(self) -> str:
        lines = [
            "Types: deb",
            f"URIs: {' '.join(self.uris)}",
            f"Suites: {' '.join(self.suites)}",
            f"Components: {' '.join(self.components)}",
        ]
        # A value that starts on the next line (an embedded key) keeps its continuation lines.
        for name, value in self.fields:
            lines.append(f"{name}:{value}" if value.startswith("\n") else f"{name}: {value}")
        return "\n".join(lines) + "\n"


def parse_deb822(text: str) -> list[Entry]:
    entries: list[Entry] = []
    for stanza in _stanzas(text):
        fields = {name.lower(): (name, value) for name, value in stanza}
        if fields.get("enabled", ("", "yes"))[1].strip().lower() == "no":
            continue
        if "deb" not in fields.get("types", ("", ""))[1].split():
            continue
        entry = Entry(
            fields.get("uris", ("", ""))[1].split(),
            fields.get("suites", ("", ""))[1].split(),
            fields.get("components", ("", ""))[1].split(),
        )
        skip = {"types", "uris", "suites", "components", "enabled"}
        entry.fields = [(name, value) for name, value in stanza if name.lower() not in skip]
        entries.append(entry)
    return entries


def _stanzas(text: str) -> list[list[tuple[str, str]]]:
    stanzas: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        if not line.strip():
            if current:
                stanzas.append(current)
            current = []
        elif line[0] in " \t" and current:
            name, value = current[-1]
            current[-1] = (name, f"{value}\n{line}")
        elif ":" in line:
            name, value = line.split(":", 1)
            current.append((name.strip(), value.strip()))
    if current:
        stanzas.append(current)
    return stanzas


def parse_one_line(text: str) -> list[Entry]:
    entries: list[Entry] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line.startswith("deb "):
            continue
        rest = line[4:].strip()
        options: list[tuple[str, str]] = []
        if rest.startswith("["):
            inside, rest = rest[1:].split("]", 1)
            for option in inside.split():
                name, _, value = option.partition("=")
                if name in ONE_LINE_OPTIONS:
                    options.append((ONE_LINE_OPTIONS[name], value.replace(",", " ")))
        words = rest.split()
        if len(words) < 2:
            continue
        entry = Entry([words[0]], [words[1]], words[2:])
        entry.fields = options
        entries.append(entry)
    return entries


def for_suite(entries: list[Entry], codename: str, suite: str) -> list[Entry]:
    """The entries of this release's pockets, moved to ``suite``; others are dropped."""
    kept: list[Entry] = []
    wanted = {codename + pocket: suite + pocket for pocket in POCKETS}
    for entry in entries:
        suites = [wanted[name] for name in entry.suites if name in wanted]
        if suites and entry.uris and entry.components:
            entry.suites = suites
            kept.append(entry)
    return kept


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="codename", required=True, help="this machine's release codename")
    parser.add_argument("--to", dest="suite", required=True, help="the image's suite")
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args(argv)
    entries: list[Entry] = []
    for path in args.files:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        entries += parse_deb822(text) if path.suffix == ".sources" else parse_one_line(text)
    kept = for_suite(entries, args.codename, args.suite)
    if not kept:
        names = ", ".join(str(path) for path in args.files) or "no file"
        print(f"debian_sources.py: no deb entry for {args.codename} in {names}", file=sys.stderr)
        return 1
    sys.stdout.write("\n".join(entry.render() for entry in kept))
    return 0


if __name__ == "__main__":
    sys.exit(main())
