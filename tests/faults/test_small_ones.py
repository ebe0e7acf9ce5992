"""Fault 7: the smaller ones. Ports are validated; one bad item cannot break rendering;
/api/v1/status keeps the page's bounds; reload errors on the network quote no value; a
response that is not valid HTTP is an http_error (pages) or unexpected_response (probes),
not a connect_error."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from aiohttp.test_utils import TestClient

from exporter.config import load_config, parse_config
from exporter.errors import ConfigError, PollFailed
from exporter.http.app import create_app
from exporter.http.status_api import status_document
from exporter.models import Component, ComponentStatus, Indicator, Outcome, PageSnapshot, PollError
from exporter.probes import http as http_probe
from exporter.runtime import Runtime
from exporter.sources.client import new_poll_client
from exporter.sources.fetch import get_json
from exporter.state import State


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:99999/x", "http://127.0.0.1:0/x", "http://a\tb/", "http://x/\x00"]
)
def test_urls_with_bad_ports_or_control_characters_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"probes": [{"name": "p", "type": "http", "url": url}]})
    (line,) = info.value.lines()
    assert line.startswith("probes[0].url: must")
    assert "99999" not in line


def test_an_item_that_slipped_past_validation_does_not_break_rendering() -> None:
    config = parse_config({"probes": [{"name": "p", "type": "http", "url": "http://h:80/"}]})
    bad = config.probes[0].model_copy(update={"url": "http://127.0.0.1:99999/x"})
    state = State()
    state.apply_config(config.model_copy(update={"probes": (bad,)}))
    document = status_document(state.snapshot(), ready=True, reload_error="")
    assert document["probes"][0]["target"] == "127.0.0.1"


def test_the_status_api_keeps_max_components() -> None:
    config = parse_config(
        {"status_pages": [{"name": "big", "url": "http://h", "max_components": 3}]}
    )
    state = State()
    state.apply_config(config)
    components = tuple(
        Component(id=f"c{i}", name=f"C{i}", status=ComponentStatus.OPERATIONAL, group="")
        for i in range(1000)
    )
    state.record_page_success("big", PageSnapshot(indicator=Indicator.NONE, components=components))
    (page,) = status_document(state.snapshot(), ready=True, reload_error="")["status_pages"]
    assert [c["name"] for c in page["components"]] == ["C0", "C1", "C2"]
    assert page["omitted"] == {"components": 997, "incidents": 0}


async def test_reload_errors_on_the_network_quote_no_value(
    tmp_path: Path, aiohttp_client: object
) -> None:
    path = tmp_path / "c.yml"
    path.write_text(yaml.safe_dump({"status_pages": []}))
    runtime = Runtime(load_config(path), path)
    client: TestClient = await aiohttp_client(create_app(runtime))  # type: ignore[type-arg,operator]
    secret = "sk-live-typed-into-the-wrong-field"
    path.write_text(
        yaml.safe_dump(
            {"probes": [{"name": "p", "type": "http", "url": "http://h", "page": secret}]}
        )
    )
    response = await client.post("/-/reload")
    assert response.status == 500
    text = await response.text()
    assert "probes[0].page: no status page named '…' in status_pages" in text
    status = await (await client.get("/api/v1/status")).text()
    landing = await (await client.get("/")).text()
    for shown in (text, status, landing, runtime.last_reload_error):
        assert secret not in shown


@pytest.fixture
async def not_http() -> AsyncIterator[str]:
    """A server that answers with a header line that is not valid HTTP."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nthis is not a header\r\nContent-Length: 2\r\n\r\n{}")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


async def test_an_invalid_response_header_is_not_a_connect_error(not_http: str) -> None:
    client = new_poll_client()
    try:
        with pytest.raises(PollFailed) as info:
            await get_json(client, f"{not_http}/api/v2/summary.json", timeout=5)
    finally:
        await client.aclose()
    assert info.value.reason is PollError.HTTP_ERROR
    assert str(info.value) == "http_error: the response is not valid HTTP"
    config = parse_config({"probes": [{"name": "p", "type": "http", "url": not_http}]})
    result = await http_probe.run(config.probes[0])  # type: ignore[arg-type]
    assert result.outcome is Outcome.UNEXPECTED_RESPONSE, result
