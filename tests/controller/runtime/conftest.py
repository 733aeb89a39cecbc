from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from pykro.kube import KubeClient
from tests.kube.live import client_for, embedded_server


@pytest.fixture
async def server() -> AsyncIterator[Any]:
    async with embedded_server() as srv:
        yield srv


@pytest.fixture
async def client(server: Any) -> AsyncIterator[KubeClient]:
    async with client_for(server) as c:
        yield c
