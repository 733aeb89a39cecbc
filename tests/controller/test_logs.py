"""Logs a person can follow: an API outage is one WARNING and one line when it is over."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pykro.apiserver import EmbeddedAPIServer
from pykro.controller.manager import Manager, ManagerOptions
from tests.controller.rgd.helpers import wait_for


async def test_an_api_outage_logs_one_warning_and_one_line_when_it_is_over(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="pykro")
    server = EmbeddedAPIServer(tmp_path / "data")
    await server.start()
    url = server.url
    port = urlsplit(url).port
    manager = Manager(server.kubeconfig_path, ManagerOptions(requeue_interval=0.5))
    await manager.start()
    try:
        await server.stop()
        await asyncio.sleep(4.0)  # informers retry several times meanwhile
        server = EmbeddedAPIServer(tmp_path / "data", port=port or 0)
        await server.start()

        async def back() -> bool:
            return any("answers again" in r.getMessage() for r in caplog.records)

        await wait_for(back, timeout=30, what="the reconnection line")
    finally:
        await manager.stop()
        await server.stop()
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name.startswith("pykro")]
    outage = [line for line in lines if "API server at" in line[1]]
    assert [level for level, _ in outage] == ["WARNING", "INFO"], lines
    assert outage[0][1].startswith(f"cannot reach the API server at {url}")
    assert not [line for line in lines if "watch failed" in line[1]], lines
