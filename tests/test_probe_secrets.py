"""A planted API key must reach the upstream and nothing else.

The key is given as `api_key`, as `api_key_file` and as a credential header, to
simulated Anthropic and OpenAI APIs that fail, echo it back (headers and body),
hang, reset or stall. It must appear in no `ProbeResult` field, no log line
(DEBUG included), no config error, and none of a running exporter's outputs:
/metrics, /api/v1/status, the landing page.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient

from exporter.config import (
    AnthropicProbeConfig,
    OpenAIProbeConfig,
    literal_secret_warnings,
    load_config,
    parse_config,
)
from exporter.errors import ConfigError
from exporter.http.app import create_app
from exporter.logs import Redactor
from exporter.models import Outcome
from exporter.probes import run_probe
from exporter.runtime import Runtime
from tests.llm_upstream import LLMUpstream, Reply, running

PLANTED = "sk-test-PLANTED-5f3a9c0e7d21"
Client = TestClient[web.Request, web.Application]
MakeClient = Callable[..., Awaitable[Client]]

KINDS: dict[str, tuple[Reply, Outcome]] = {
    "error": (Reply(status=401), Outcome.AUTH_ERROR),
    "echo_error": (Reply(status=401, echo_key=True), Outcome.AUTH_ERROR),
    "echo_stream_error": (Reply(error_after=1, echo_key=True), Outcome.OVERLOADED),
    "hang": (Reply(hang=True), Outcome.TIMEOUT),
    "reset": (Reply(reset=True), Outcome.CONNECT_ERROR),
    "stall": (Reply(stall_after=1), Outcome.TIMEOUT),
}


@pytest.fixture
async def sim() -> AsyncIterator[tuple[LLMUpstream, str]]:
    upstream = LLMUpstream()
    async with running(upstream) as base:
        yield upstream, base


@pytest.fixture
def redactor() -> Redactor:
    return Redactor()


@pytest.fixture
def redacting(
    caplog: pytest.LogCaptureFixture, redactor: Redactor
) -> Iterator[pytest.LogCaptureFixture]:
    """caplog at DEBUG behind a redactor, as a runtime installs its own."""
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(redactor)
    yield caplog
    caplog.handler.removeFilter(redactor)


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """caplog at DEBUG with no filter of the test's own; httpcore at DEBUG too (it logs the
    echoed key), whatever an earlier test's `setup_logging` set it to."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpcore")
    return caplog


def _fields(source: str, tmp_path: Path) -> dict[str, Any]:
    if source == "api_key":
        return {"api_key": PLANTED}
    if source == "api_key_file":
        path = tmp_path / "key"
        path.write_text(PLANTED + "\n")
        return {"api_key_file": str(path)}
    return {"api_key": "sk-other-key-0000", "headers": {"X-Gateway-Token": PLANTED}}


def _config(provider: str, base: str, fields: dict[str, Any]) -> Any:
    raw = {
        "name": "secret-test",
        "type": provider,
        "url": base,
        "interval": "5s",
        "timeout": "400ms",
        "stream_idle_timeout": "200ms",
    }
    if provider == "anthropic":
        return AnthropicProbeConfig.model_validate(raw | fields)
    return OpenAIProbeConfig.model_validate(raw | fields)


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
@pytest.mark.parametrize("source", ["api_key", "api_key_file", "header"])
@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_the_key_reaches_the_upstream_and_no_result_or_log(
    sim: tuple[LLMUpstream, str],
    redacting: pytest.LogCaptureFixture,
    redactor: Redactor,
    tmp_path: Path,
    provider: str,
    source: str,
    kind: str,
) -> None:
    upstream, base = sim
    upstream.reply, outcome = KINDS[kind]
    config = _config(provider, base, _fields(source, tmp_path))
    echoed = upstream.reply.echo_key
    if echoed:  # the echo lands in httpcore's DEBUG log: production's filter must catch it
        redactor.set_secrets(config.secret_values())
    else:  # nothing of ours, nor of httpx/httpcore, may log it even unfiltered
        redacting.handler.removeFilter(redactor)

    result = await run_probe(config)

    assert result.outcome is outcome, result.detail
    headers = upstream.requests[0].headers
    sent = headers.get("x-api-key") or headers.get("authorization") or ""
    assert PLANTED in sent or headers.get("x-gateway-token") == PLANTED  # so this can fail
    assert PLANTED not in repr(result)
    if echoed:
        assert "<redacted>" in result.request_id
    assert PLANTED not in repr(config)
    assert redacting.records, "DEBUG capture is on: something should have logged"
    assert PLANTED not in redacting.text
    assert all(PLANTED not in record.getMessage() for record in redacting.records)


def test_config_errors_and_warnings_never_quote_the_key(tmp_path: Path) -> None:
    bad = {"name": "p", "type": "anthropic", "api_key": PLANTED + "\nx"}
    with pytest.raises(ConfigError) as caught:
        parse_config({"probes": [bad]})
    assert "probes[0].api_key: header value must be printable ASCII" in str(caught.value)
    assert PLANTED not in str(caught.value)
    key_file = tmp_path / "key"
    key_file.write_text(f"{PLANTED} two words\n")
    with pytest.raises(ConfigError) as caught:
        parse_config({"probes": [{"name": "p", "type": "openai", "api_key_file": str(key_file)}]})
    assert "probes[0].api_key_file: the key in the file must be printable ASCII" in str(
        caught.value
    )
    assert PLANTED not in str(caught.value)
    raw = {"probes": [{"name": "p", "type": "openai", "api_key": PLANTED}]}
    warnings = literal_secret_warnings(raw)
    assert warnings == [
        "probes[0].api_key: a literal secret; prefer ${ENV_VAR} or a *_file sibling"
    ]
    assert PLANTED not in " ".join(warnings)


# --- a running exporter -------------------------------------------------------------


async def test_a_running_exporter_shows_the_key_nowhere(
    sim: tuple[LLMUpstream, str],
    aiohttp_client: MakeClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    """The runtime installs its own redactor: the test adds none."""
    upstream, base = sim
    upstream.reply = Reply(status=401, echo_key=True)
    monkeypatch.setenv("STATUSPROBE_TEST_LLM_KEY", PLANTED)
    (tmp_path / "openai-key").write_text(PLANTED + "\n")
    common = {"url": base, "interval": "1s", "page": "acme", "component": "API"}
    probes: list[dict[str, Any]] = [
        {"name": "claude", "type": "anthropic", "api_key": "${STATUSPROBE_TEST_LLM_KEY}"},
        {"name": "gpt", "type": "openai", "api_key_file": "openai-key", "api": "responses"},
        {
            "name": "claude-models",
            "type": "anthropic",
            "mode": "models",
            "api_key": "sk-other-key-0000",
            "headers": {"X-Gateway-Token": "${STATUSPROBE_TEST_LLM_KEY}"},
        },
    ]
    document = {
        "status_pages": [{"name": "acme", "url": base, "interval": "1h"}],
        "probes": [common | probe for probe in probes],
    }
    path = tmp_path / "statusprobe.yml"
    path.write_text(yaml.safe_dump(document))
    runtime = Runtime(load_config(path), path)
    client = await aiohttp_client(create_app(runtime))

    async with asyncio.timeout(10):
        while len({s.path for s in upstream.requests}) < 3 or not _all_failed(runtime):
            await asyncio.sleep(0.05)
    assert any(PLANTED in s.headers.get("x-api-key", "") for s in upstream.requests)
    assert any(PLANTED in s.headers.get("authorization", "") for s in upstream.requests)
    assert any(s.headers.get("x-gateway-token") == PLANTED for s in upstream.requests)

    status = await (await client.get("/api/v1/status")).json()
    failures = [p["last_failure"] for p in status["probes"]]
    assert all(f["outcome"] == "auth_error" for f in failures)
    assert all("<redacted>" in f["request_id"] for f in failures)  # the echo, masked
    outputs = [
        await (await client.get(route)).text() for route in ("/metrics", "/api/v1/status", "/")
    ]
    outputs.append(
        await (
            await client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
        ).text()
    )
    assert any("<secret>" in r.getMessage() for r in debug_logs.records)  # it did redact
    outputs += [debug_logs.text, repr(runtime.config)]
    for text in outputs:
        assert PLANTED not in text
    assert 'type="anthropic"' in outputs[0] and 'type="openai"' in outputs[0]


def _all_failed(runtime: Runtime) -> bool:
    probes = runtime.state.snapshot().probes
    return all(p.last_failure is not None for p in probes.values())
