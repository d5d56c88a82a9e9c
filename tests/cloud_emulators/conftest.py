"""Fixtures: each test gets its own emulator on 127.0.0.1 and a free port, stopped afterwards.

The credentials are made up per test run and only ever sent to the emulator on loopback.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from cloud_emulators._server import Keys
from cloud_emulators.aliyun_ecs import AliyunEcsEmulator
from cloud_emulators.tencent import TencentEmulator


@pytest.fixture
def aliyun_keys() -> Keys:
    return Keys("LTAIemu" + secrets.token_hex(8), secrets.token_urlsafe(24))


@pytest.fixture
def tencent_keys() -> Keys:
    return Keys("AKIDemu" + secrets.token_hex(12), secrets.token_hex(16))


@pytest.fixture
def aliyun_api(aliyun_keys: Keys) -> Iterator[AliyunEcsEmulator]:
    with AliyunEcsEmulator({aliyun_keys.key_id: aliyun_keys.secret}) as emulator:
        yield emulator


@pytest.fixture
def tencent_api(tencent_keys: Keys) -> Iterator[TencentEmulator]:
    with TencentEmulator({tencent_keys.key_id: tencent_keys.secret}) as emulator:
        yield emulator
