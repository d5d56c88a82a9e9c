"""nginx error log diagnosis: every line that explains a 502 or 504, grouped into root causes.

``Scanner`` streams logs (constant memory), ``scan_files`` reads plain or gzip files from disk,
``Analysis`` holds one ``CauseSummary`` per cause; the cause IDs are the catalogue's LOG checks.
"""

from __future__ import annotations

from fix502.errorlog.causes import ALL_CAUSES, GATEWAY_TIMEOUT_CAUSES, classify
from fix502.errorlog.files import LogFileError, scan_files
from fix502.errorlog.scanner import FirstExample, Scanner, ScannerError, upstream_name
from fix502.errorlog.summary import Analysis, CauseSummary, Example, SourceSummary, Upstream

__all__ = [
    "ALL_CAUSES",
    "GATEWAY_TIMEOUT_CAUSES",
    "Analysis",
    "CauseSummary",
    "Example",
    "FirstExample",
    "LogFileError",
    "Scanner",
    "ScannerError",
    "SourceSummary",
    "Upstream",
    "classify",
    "scan_files",
    "upstream_name",
]
