"""fix502: find and fix the causes of HTTP 502 Bad Gateway."""

__version__ = "0.1.0"
