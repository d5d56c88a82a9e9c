"""image/debian_sources.py: the image's apt sources are this machine's, for the image's suite."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent / "image" / "debian_sources.py"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("debian_sources", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


DEB822 = """\
Types: deb deb-src
# a comment
URIs: http://mirror.invalid/debian
Suites: trixie trixie-updates trixie-backports
Components: main contrib
Signed-By: /keys/debian.gpg

Types: deb
URIs: http://mirror.invalid/debian-security
Suites: trixie-security
Components: main
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 -----END PGP PUBLIC KEY BLOCK-----

Types: deb
URIs: http://other.invalid/repo
Suites: nodistro
Components: main

Enabled: no
Types: deb
URIs: http://disabled.invalid/debian
Suites: trixie
Components: main
"""

ONE_LINE = """\
deb [arch=amd64 signed-by=/keys/debian.gpg] http://mirror.invalid/debian trixie main # comment
deb-src http://mirror.invalid/debian trixie main
deb http://mirror.invalid/debian-security trixie-security main
deb http://other.invalid/repo cloud-sdk-trixie main
"""


def test_deb822_keeps_this_release_and_moves_it_to_the_image_suite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = tmp_path / "debian.sources"
    sources.write_text(DEB822)
    assert load().main(["--from", "trixie", "--to", "bookworm", str(sources), str(tmp_path / "missing")]) == 0
    out = capsys.readouterr().out
    assert out.split("\n\n")[0] == (
        "Types: deb\n"
        "URIs: http://mirror.invalid/debian\n"
        "Suites: bookworm bookworm-updates\n"
        "Components: main contrib\n"
        "Signed-By: /keys/debian.gpg"
    )
    assert "Suites: bookworm-security\n" in out
    assert "Signed-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n -----END PGP PUBLIC KEY BLOCK-----" in out
    assert "other.invalid" not in out and "disabled.invalid" not in out and "backports" not in out


def test_one_line_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sources = tmp_path / "sources.list"
    sources.write_text(ONE_LINE)
    assert load().main(["--from", "trixie", "--to", "bookworm", str(sources)]) == 0
    out = capsys.readouterr().out
    assert out == (
        "Types: deb\n"
        "URIs: http://mirror.invalid/debian\n"
        "Suites: bookworm\n"
        "Components: main\n"
        "Architectures: amd64\n"
        "Signed-By: /keys/debian.gpg\n"
        "\n"
        "Types: deb\n"
        "URIs: http://mirror.invalid/debian-security\n"
        "Suites: bookworm-security\n"
        "Components: main\n"
    )


def test_no_entry_for_this_release_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sources = tmp_path / "sources.list"
    sources.write_text(ONE_LINE)
    assert load().main(["--from", "bookworm", "--to", "bookworm", str(sources)]) == 1
    assert "no deb entry for bookworm" in capsys.readouterr().err
