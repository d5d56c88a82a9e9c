"""Error logs on disk: plain or gzip (told by its first bytes, not its name)."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import BinaryIO

from fix502.errorlog.scanner import CHUNK, Scanner
from fix502.errorlog.summary import Analysis
from fix502.errors import Fix502Error

_GZIP_MAGIC = b"\x1f\x8b"


class LogFileError(Fix502Error):
    """A log that cannot be read: the message names the file."""


def scan_files(paths: Sequence[str]) -> Analysis:
    """Scan every file in turn, in constant memory; LogFileError names the first that cannot be read.

    The first example of each cause gets its line number from a second read of its file, up to
    that line only.
    """
    scanner = Scanner()
    for path in paths:
        with _reading(path) as stream:
            scanner.scan(stream, path)
    for path in dict.fromkeys(e.source for e in scanner.first_examples()):
        with _reading(path) as stream:
            scanner.number_lines(path, _blocks(stream))
    return scanner.analysis()


def _blocks(stream: BinaryIO) -> Iterator[bytes]:
    while block := stream.read(CHUNK):
        yield block


@contextmanager
def _reading(path: str) -> Iterator[BinaryIO]:
    """The file's bytes, unzipped when it is gzip; read errors become one line naming the file."""
    try:
        with open(path, "rb") as raw:
            if raw.read(2) == _GZIP_MAGIC:
                raw.seek(0)
                with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                    yield unzipped  # type: ignore[misc]
            else:
                raw.seek(0)
                yield raw
    except IsADirectoryError:
        raise LogFileError(f"{path}: is a directory") from None
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise LogFileError(f"{path}: not a valid gzip file ({exc or 'it ends too early'})") from None
    except OSError as exc:
        raise LogFileError(f"{path}: {(exc.strerror or str(exc)).lower()}") from None
