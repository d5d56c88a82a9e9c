"""nginx's units and the thresholds that use them."""

from __future__ import annotations

import pytest

from fix502.nginx_units import format_size, format_time, parse_size, parse_time
from fix502.thresholds import Thresholds


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30.0),
        ("1m", 60.0),
        ("1m30s", 90.0),
        ("500ms", 0.5),
        ("10", 10.0),
        ("1h", 3600.0),
        ("2d", 172800.0),
    ],
)
def test_parse_time(text: str, seconds: float) -> None:
    assert parse_time(text) == seconds


@pytest.mark.parametrize("text", ["", "s", "30x", "1.5s", "10 s", "5 1m"])
def test_parse_time_refuses_what_nginx_refuses(text: str) -> None:
    assert parse_time(text) is None


@pytest.mark.parametrize(("text", "count"), [("4k", 4096), ("4K", 4096), ("1m", 1048576), ("512", 512)])
def test_parse_size(text: str, count: int) -> None:
    assert parse_size(text) == count


@pytest.mark.parametrize("text", ["", "4kb", "k", "1.5k", "-1"])
def test_parse_size_refuses_what_nginx_refuses(text: str) -> None:
    assert parse_size(text) is None


def test_format() -> None:
    assert [format_time(s) for s in (0.5, 1, 90, 120)] == ["500ms", "1s", "90s", "2m"]
    assert [format_size(n) for n in (4096, 16384, 1048576, 1000)] == ["4k", "16k", "1m", "1000"]


def test_thresholds_take_nginx_units_and_plain_numbers() -> None:
    limits = Thresholds().updated(
        {
            "proxy_read_timeout_min_seconds": "1m",
            "proxy_buffer_size_min_bytes": "16k",
            "nofile_soft_limit": 4096,
        },
        "test",
    )
    assert limits.proxy_read_timeout_min_seconds == 60.0
    assert limits.proxy_buffer_size_min_bytes == 16384.0
    assert limits.nofile_soft_limit == 4096.0


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"proxy_read_timeout_min_seconds": "soon"}, "must be a time such as 30s"),
        ({"proxy_buffer_size_min_bytes": "big"}, "must be a size such as 8k"),
        ({"disk_used_percent_high": "120"}, "percentage from 0 to 100"),
        ({"upstream_small_group_servers": "-1"}, "must not be negative"),
    ],
)
def test_bad_threshold_values_are_named(values: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Thresholds().updated(values, "test")
