"""Which backends to start and in what order: dependencies first, each once, cycles refused."""

from __future__ import annotations

import pytest

from fix502.plugin_api import start_order

SERVICES = [
    {"name": "shop-api", "listen": "127.0.0.1:8000", "depends_on": ["redis", "postgres"]},
    {"name": "worker", "listen": "127.0.0.1:8100", "depends_on": ["redis"]},
    {"name": "redis", "listen": "127.0.0.1:6379"},
    {"name": "postgres", "listen": "127.0.0.1:5432", "depends_on": []},
]


def names(services: list[dict[str, object]]) -> list[object]:
    return [s["name"] for s in services]


def test_dependencies_come_first_and_once() -> None:
    assert names(start_order(SERVICES, ["shop-api", "worker"])) == ["redis", "postgres", "shop-api", "worker"]


def test_only_what_is_needed() -> None:
    assert names(start_order(SERVICES, ["worker"])) == ["redis", "worker"]
    assert start_order(SERVICES, []) == []


def test_unknown_service_is_named() -> None:
    with pytest.raises(
        ValueError, match=r"backend service 'cache' \(needed by app\) is not in fix502_backend_services"
    ):
        start_order([{"name": "app", "depends_on": ["cache"]}], ["app"])


def test_cycle_is_refused_with_its_path() -> None:
    looped = [{"name": "a", "depends_on": ["b"]}, {"name": "b", "depends_on": ["a"]}]
    with pytest.raises(ValueError, match="cycle: a -> b -> a"):
        start_order(looped, ["a"])
