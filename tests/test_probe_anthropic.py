"""The `anthropic` probe against the simulated Anthropic API on loopback (tests/llm_upstream.py).

Wire shapes follow Anthropic's "Streaming Messages" and "Errors" documentation
(https://docs.claude.com/en/docs/build-with-claude/streaming,
https://docs.claude.com/en/api/errors); tests/llm_wire.py renders them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import trustme
import yaml

from exporter.config import AnthropicProbeConfig, load_config
from exporter.models import Outcome
from exporter.probes import RUNNERS, ProbeClients, run_probe
from exporter.probes import anthropic as anthropic_probe
from exporter.runtime import Runtime
from tests.llm_probes import (  # noqa: F401 (ca_fixture, closed_port_fixture: fixtures)
    ca_fixture,
    closed_port_fixture,
    phases,
    probe_config,
    simulated_api,
)
from tests.llm_upstream import LLMUpstream, Reply, running, server_tls

KEY = "sk-ant-test-0123456789"
IDENTITY = {"name": "claude", "type": "anthropic", "api_key": KEY}


def probe(url: str, **fields: Any) -> AnthropicProbeConfig:
    return probe_config(AnthropicProbeConfig, IDENTITY, url, fields)


@pytest.fixture
async def api() -> AsyncIterator[tuple[LLMUpstream, str]]:
    async with simulated_api("localhost") as served:
        yield served


# --- success ----------------------------------------------------------------------


async def test_success_measures_ttft_and_sends_a_minimal_streamed_request(
    api: tuple[LLMUpstream, str],
) -> None:
    sim, base = api
    sim.reply = Reply(tokens=("Hel", "lo"), first_token_delay=0.15, token_delay=0.05)
    result = await anthropic_probe.run(probe(base))
    assert result.outcome is Outcome.SUCCESS, result.detail
    assert result.status_code == 200
    assert result.ttft is not None
    assert 0.15 <= result.ttft < result.duration
    assert result.duration >= result.ttft + 0.05  # the whole stream, not just the first token
    assert set(phases(result)) == {"dns", "connect", "ttfb", "transfer"}
    assert result.request_id == ""
    seen = sim.requests[0]
    assert (seen.method, seen.path) == ("POST", "/v1/messages")
    assert seen.headers["x-api-key"] == KEY
    assert seen.headers["anthropic-version"] == "2023-06-01"
    assert seen.headers["content-type"] == "application/json"
    assert seen.body == {
        "model": "claude-haiku-4-5",
        "max_tokens": 16,
        "stream": True,
        "messages": [{"role": "user", "content": "Reply with the single word: ok"}],
    }


async def test_configured_model_prompt_version_and_headers_are_sent(
    api: tuple[LLMUpstream, str],
) -> None:
    sim, base = api
    config = probe(
        base,
        model="claude-sonnet-4-5",
        max_tokens=4,
        prompt="hi",
        anthropic_version="2023-01-01",
        headers={"anthropic-beta": "x-1"},
    )
    assert (await anthropic_probe.run(config)).outcome is Outcome.SUCCESS
    seen = sim.requests[0]
    assert seen.body is not None
    assert (seen.body["model"], seen.body["max_tokens"]) == ("claude-sonnet-4-5", 4)
    assert seen.body["messages"][0]["content"] == "hi"
    assert seen.headers["anthropic-version"] == "2023-01-01"
    assert seen.headers["anthropic-beta"] == "x-1"


def test_registry_has_anthropic() -> None:
    assert RUNNERS["anthropic"] is anthropic_probe.run


# --- errors the API reports ----------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "outcome", "kind"),
    [
        (401, Outcome.AUTH_ERROR, "authentication_error"),
        (403, Outcome.AUTH_ERROR, "permission_error"),
        (429, Outcome.RATE_LIMITED, "rate_limit_error"),
        (529, Outcome.OVERLOADED, "overloaded_error"),
        (500, Outcome.SERVER_ERROR, "api_error"),
        (400, Outcome.CLIENT_ERROR, "invalid_request_error"),
        (404, Outcome.CLIENT_ERROR, "not_found_error"),
        (413, Outcome.CLIENT_ERROR, "request_too_large"),
    ],
)
async def test_error_responses(
    api: tuple[LLMUpstream, str], status: int, outcome: Outcome, kind: str
) -> None:
    sim, base = api
    sim.reply = Reply(status=status, request_id="req_018EeWyXxfu5pfWkrYcMdjWG")
    result = await anthropic_probe.run(probe(base))
    assert result.outcome is outcome
    assert result.status_code == status
    assert result.detail == f"HTTP {status} {kind}"
    assert result.request_id == "req_018EeWyXxfu5pfWkrYcMdjWG"
    assert result.ttft is None


async def test_the_error_type_refines_the_status(api: tuple[LLMUpstream, str]) -> None:
    sim, base = api
    sim.reply = Reply(status=400, error="rate_limit_error")  # the body, not the status, says why
    assert (await anthropic_probe.run(probe(base))).outcome is Outcome.RATE_LIMITED


async def test_request_id_from_the_error_body_when_no_header(
    api: tuple[LLMUpstream, str],
) -> None:
    sim, base = api
    body = '{"type": "error", "error": {"type": "api_error", "message": "Internal"}, '
    body += '"request_id": "req_body_only"}'
    sim.reply = Reply(status=500, body=body, content_type="application/json", request_id="")
    result = await anthropic_probe.run(probe(base))
    assert (result.outcome, result.request_id) == (Outcome.SERVER_ERROR, "req_body_only")
    assert result.detail == "HTTP 500 api_error"


@pytest.mark.parametrize(
    ("status", "outcome"), [(200, Outcome.UNEXPECTED_RESPONSE), (502, Outcome.SERVER_ERROR)]
)
async def test_html_instead_of_json(
    api: tuple[LLMUpstream, str], status: int, outcome: Outcome
) -> None:
    sim, base = api
    page = "<html><body>Just a moment...</body></html>"  # a CDN page
    sim.reply = Reply(status=status, body=page)
    result = await anthropic_probe.run(probe(base))
    assert result.outcome is outcome
    assert "Just a moment" not in result.detail
    if status == 200:
        assert result.detail == "HTTP 200: content-type text/html, expected text/event-stream"


# --- the stream ---------------------------------------------------------------------


async def test_overloaded_error_mid_stream(api: tuple[LLMUpstream, str]) -> None:
    sim, base = api
    sim.reply = Reply(error_after=1, stream_error="overloaded_error")
    result = await anthropic_probe.run(probe(base))
    assert result.outcome is Outcome.OVERLOADED
    assert result.status_code == 200
    assert result.detail == "stream error event overloaded_error after the first token"
    assert result.ttft is not None  # the first token did arrive
    assert result.request_id == "req_sim_0001"


@pytest.mark.parametrize(
    ("kind", "outcome"),
    [
        ("api_error", Outcome.SERVER_ERROR),
        ("rate_limit_error", Outcome.RATE_LIMITED),
        ("something_new_error", Outcome.SERVER_ERROR),
    ],
)
async def test_error_event_before_the_first_token(
    api: tuple[LLMUpstream, str], kind: str, outcome: Outcome
) -> None:
    sim, base = api
    sim.reply = Reply(error_after=0, stream_error=kind)
    result = await anthropic_probe.run(probe(base))
    assert result.outcome is outcome
    assert result.detail == f"stream error event {kind} before the first token"
    assert result.ttft is None


@pytest.mark.parametrize(("after", "where"), [(1, "after"), (0, "before")])
async def test_a_stall_is_a_timeout_at_the_idle_timeout(
    api: tuple[LLMUpstream, str], after: int, where: str
) -> None:
    sim, base = api
    sim.reply = Reply(stall_after=after)
    result = await anthropic_probe.run(probe(base, stream_idle_timeout="300ms"))
    assert result.outcome is Outcome.TIMEOUT
    assert result.detail == f"stream stalled: no event for 0.3s {where} the first token"
    assert 0.3 <= result.duration < 1.0  # the idle timeout, not the 2 s timeout
    assert (result.ttft is None) is (after == 0)
    assert result.status_code == 200


async def test_pings_do_not_keep_a_stalled_stream_alive(api: tuple[LLMUpstream, str]) -> None:
    sim, base = api
    sim.reply = Reply(stall_after=1, ping_every=0.05)
    result = await anthropic_probe.run(probe(base, stream_idle_timeout="300ms"))
    assert result.outcome is Outcome.TIMEOUT
    assert "stalled" in result.detail
    assert result.duration < 1.0


async def test_slow_tokens_within_the_idle_timeout_are_fine(
    api: tuple[LLMUpstream, str],
) -> None:
    sim, base = api
    sim.reply = Reply(tokens=("a", "b", "c", "d"), token_delay=0.15)  # 0.45 s in all
    result = await anthropic_probe.run(probe(base, stream_idle_timeout="300ms"))
    assert result.outcome is Outcome.SUCCESS, result.detail


async def test_a_stream_that_outlasts_the_timeout(api: tuple[LLMUpstream, str]) -> None:
    sim, base = api
    sim.reply = Reply(tokens=("a",) * 20, token_delay=0.1)  # 2 s; never idle for 300 ms
    result = await anthropic_probe.run(probe(base, timeout="1s"))
    assert result.outcome is Outcome.TIMEOUT
    assert result.detail == "no complete response within 1s (reading the stream)"
    assert result.ttft is not None


async def test_a_cut_stream_is_unexpected_response(api: tuple[LLMUpstream, str]) -> None:
    sim, base = api
    sim.reply = Reply(cut_after=1)
    result = await anthropic_probe.run(probe(base))
    assert result.outcome is Outcome.UNEXPECTED_RESPONSE
    assert result.detail.startswith("stream cut off before message_stop after the first token")
    assert result.request_id == "req_sim_0001"


async def test_a_stream_without_text_is_unexpected_response(
    api: tuple[LLMUpstream, str],
) -> None:
    sim, base = api
    sim.reply = Reply(tokens=())
    result = await anthropic_probe.run(probe(base))
    assert result.outcome is Outcome.UNEXPECTED_RESPONSE
    assert result.detail.startswith("stream ended without any text")


async def test_a_hang_before_the_headers_is_a_timeout(api: tuple[LLMUpstream, str]) -> None:
    sim, base = api
    sim.reply = Reply(hang=True)
    result = await anthropic_probe.run(probe(base, timeout="500ms", stream_idle_timeout="200ms"))
    assert result.outcome is Outcome.TIMEOUT
    assert result.detail == "no complete response within 0.5s (waiting for response headers)"


# --- models mode -------------------------------------------------------------------


async def test_models_mode_lists_models_without_generating(
    api: tuple[LLMUpstream, str],
) -> None:
    sim, base = api
    result = await anthropic_probe.run(probe(base, mode="models"))
    assert result.outcome is Outcome.SUCCESS, result.detail
    assert result.detail == "HTTP 200, 1 models listed"
    assert result.ttft is None
    seen = sim.requests[0]
    assert (seen.method, seen.path, seen.body) == ("GET", "/v1/models", None)
    assert seen.headers["x-api-key"] == KEY
    assert seen.headers["anthropic-version"] == "2023-06-01"


async def test_models_mode_errors(api: tuple[LLMUpstream, str]) -> None:
    sim, base = api
    sim.api_key = "sk-ant-the-right-one"
    result = await anthropic_probe.run(probe(base, mode="models"))
    assert (result.outcome, result.detail) == (Outcome.AUTH_ERROR, "HTTP 401 authentication_error")
    sim.api_key = None
    sim.reply = Reply(body='{"models": []}', content_type="application/json")
    result = await anthropic_probe.run(probe(base, mode="models"))
    assert result.outcome is Outcome.UNEXPECTED_RESPONSE
    assert result.detail == "HTTP 200: no `data` list of models"


# --- transport failures -----------------------------------------------------------


async def test_transport_failures(api: tuple[LLMUpstream, str], closed_port: int) -> None:
    refused = await anthropic_probe.run(probe(f"http://127.0.0.1:{closed_port}"))
    assert refused.outcome is Outcome.CONNECT_ERROR
    unresolvable = await anthropic_probe.run(probe("http://api.anthropic.invalid"))
    assert unresolvable.outcome is Outcome.DNS_ERROR
    assert unresolvable.detail.startswith("cannot resolve api.anthropic.invalid")
    sim, base = api
    sim.reply = Reply(reset=True)
    reset = await anthropic_probe.run(probe(base))
    assert reset.outcome is Outcome.CONNECT_ERROR, reset.detail


# --- TLS -------------------------------------------------------------------------


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


async def test_tls(ca: trustme.CA, ca_file: str) -> None:
    sim = LLMUpstream()
    async with running(sim, server_tls(ca)) as base:
        assert base.startswith("https://")
        trusted = await anthropic_probe.run(probe(base, tls={"ca_file": ca_file}))
        assert trusted.outcome is Outcome.SUCCESS, trusted.detail
        assert {"connect", "tls", "ttfb", "transfer"} <= set(phases(trusted))
        assert trusted.tls_not_after is not None
        self_signed = await anthropic_probe.run(probe(base))  # our CA is not in certifi's
        assert self_signed.outcome is Outcome.TLS_ERROR
        assert "certificate" in self_signed.detail


async def test_expired_certificate_is_tls_error(ca: trustme.CA, ca_file: str) -> None:
    expired = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    sim = LLMUpstream()
    async with running(sim, server_tls(ca, not_after=expired)) as base:
        result = await anthropic_probe.run(probe(base, tls={"ca_file": ca_file}))
    assert result.outcome is Outcome.TLS_ERROR
    assert "expired" in result.detail


# --- connection reuse ----------------------------------------------------------------


@pytest.mark.parametrize("reuse", [False, True])
async def test_connection_reuse(ca: trustme.CA, ca_file: str, reuse: bool) -> None:
    sim = LLMUpstream()
    clients = ProbeClients()
    async with running(sim, server_tls(ca)) as base:
        config = probe(base, tls={"ca_file": ca_file}, reuse_connections=reuse)
        first = await run_probe(config, clients)
        second = await run_probe(config, clients)
        await clients.aclose()
    assert first.outcome is second.outcome is Outcome.SUCCESS
    assert {"connect", "tls"} <= set(phases(first))
    assert first.tls_not_after is not None
    if reuse:
        assert "connect" not in phases(second) and "tls" not in phases(second)
        assert second.tls_not_after == first.tls_not_after  # remembered, not re-read
        assert sim.connections == 1
    else:
        assert {"connect", "tls"} <= set(phases(second))
        assert sim.connections == 2


async def test_user_agent_is_ours_unless_configured(api: tuple[LLMUpstream, str]) -> None:
    sim, base = api
    await anthropic_probe.run(probe(base))
    await anthropic_probe.run(probe(base, headers={"user-agent": "mine/1"}))
    assert sim.requests[0].headers["user-agent"].startswith("statusprobe/")
    assert sim.requests[1].headers["user-agent"] == "mine/1"


async def test_ttft_and_outcomes_reach_the_metrics(
    api: tuple[LLMUpstream, str], tmp_path: Path
) -> None:
    sim, base = api
    sim.queue.append(Reply(first_token_delay=0.05))
    sim.reply = Reply(status=529)
    path = tmp_path / "statusprobe.yml"
    probe_raw = {"name": "claude", "type": "anthropic", "url": base, "api_key": KEY}
    path.write_text(yaml.safe_dump({"probes": [probe_raw | {"interval": "1s"}]}))
    runtime = Runtime(load_config(path), path)
    await runtime.start()
    try:
        async with asyncio.timeout(5):
            while len(sim.requests) < 2 or runtime.state.snapshot().probes["claude"].last is None:
                await asyncio.sleep(0.02)
            while runtime.state.snapshot().probes["claude"].outcome_count(Outcome.OVERLOADED) < 1:
                await asyncio.sleep(0.02)
    finally:
        await runtime.stop()
    text = runtime.exposition.render("")[0].decode()
    assert 'statusprobe_probe_ttft_seconds_count{probe="claude"} 1.0' in text
    assert 'statusprobe_probe_results_total{outcome="success",probe="claude"} 1.0' in text
    assert 'statusprobe_probe_results_total{outcome="overloaded",probe="claude"}' in text
    assert 'type="anthropic"' in text
