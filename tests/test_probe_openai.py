"""The `openai` probe against the simulated OpenAI API on loopback (tests/llm_upstream.py).

Wire shapes follow OpenAI's Chat Completions streaming reference, its "Responses
streaming events" and its "Error codes" guide
(https://platform.openai.com/docs/api-reference/chat/streaming,
https://platform.openai.com/docs/api-reference/responses-streaming,
https://platform.openai.com/docs/guides/error-codes); tests/llm_wire.py renders them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from exporter.config import OpenAIProbeConfig
from exporter.models import Outcome
from exporter.probes import RUNNERS
from exporter.probes import openai as openai_probe
from tests.llm_probes import (  # noqa: F401 (ca_fixture, closed_port_fixture: fixtures)
    ca_fixture,
    closed_port_fixture,
    phases,
    probe_config,
    simulated_api,
)
from tests.llm_upstream import LLMUpstream, Reply, running, server_tls

KEY = "sk-proj-test-0123456789"
IDENTITY = {"name": "gpt", "type": "openai", "api_key": KEY}


def probe(url: str, **fields: Any) -> OpenAIProbeConfig:
    return probe_config(OpenAIProbeConfig, IDENTITY, url, fields)


@pytest.fixture
async def api() -> AsyncIterator[tuple[LLMUpstream, str]]:
    async with simulated_api() as served:
        yield served


APIS = ["chat_completions", "responses"]


# --- success ----------------------------------------------------------------------


async def test_chat_completions_success(api: tuple[LLMUpstream, str]) -> None:
    sim, base = api
    sim.reply = Reply(tokens=("Hel", "lo"), first_token_delay=0.15, token_delay=0.05)
    result = await openai_probe.run(probe(base))
    assert result.outcome is Outcome.SUCCESS, result.detail
    assert result.ttft is not None and 0.15 <= result.ttft < result.duration
    assert result.duration >= result.ttft + 0.05
    assert {"connect", "ttfb", "transfer"} <= set(phases(result))
    seen = sim.requests[0]
    assert (seen.method, seen.path) == ("POST", "/v1/chat/completions")
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert seen.headers["content-type"] == "application/json"
    assert seen.body == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "Reply with the single word: ok"}],
        "max_completion_tokens": 16,
        "stream": True,
    }


async def test_responses_api_success(api: tuple[LLMUpstream, str]) -> None:
    sim, base = api
    sim.reply = Reply(first_token_delay=0.1)
    result = await openai_probe.run(probe(base, api="responses", model="gpt-4.1-nano"))
    assert result.outcome is Outcome.SUCCESS, result.detail
    assert result.ttft is not None and result.ttft >= 0.1
    seen = sim.requests[0]
    assert (seen.method, seen.path) == ("POST", "/v1/responses")
    assert seen.body == {
        "model": "gpt-4.1-nano",
        "input": "Reply with the single word: ok",
        "max_output_tokens": 16,
        "stream": True,
        "store": False,
    }


async def test_responses_incomplete_at_max_output_tokens_is_success(
    api: tuple[LLMUpstream, str],
) -> None:
    sim, base = api
    sim.reply = Reply(incomplete=True)
    result = await openai_probe.run(probe(base, api="responses"))
    assert result.outcome is Outcome.SUCCESS, result.detail


def test_registry_has_openai() -> None:
    assert RUNNERS["openai"] is openai_probe.run


# --- errors the API reports ----------------------------------------------------------


@pytest.mark.parametrize("which", APIS)
@pytest.mark.parametrize(
    ("reply", "outcome", "detail"),
    [
        (Reply(status=401), Outcome.AUTH_ERROR, "HTTP 401 invalid_request_error/invalid_api_key"),
        (Reply(status=403), Outcome.AUTH_ERROR, "HTTP 403 invalid_request_error/unsupported_"),
        (Reply(status=429), Outcome.RATE_LIMITED, "HTTP 429 requests/rate_limit_exceeded"),
        (
            Reply(status=429, error="insufficient_quota", code="insufficient_quota"),
            Outcome.RATE_LIMITED,
            "HTTP 429 insufficient_quota",
        ),
        (
            Reply(status=429, message="The engine is currently overloaded, please try again later"),
            Outcome.OVERLOADED,
            "HTTP 429 requests/rate_limit_exceeded",
        ),
        (
            Reply(status=503, message="That model is currently overloaded with other requests."),
            Outcome.OVERLOADED,
            "HTTP 503 server_error",
        ),
        (
            Reply(status=503, error="service_unavailable_error", code="server_is_overloaded"),
            Outcome.OVERLOADED,
            "HTTP 503 service_unavailable_error/server_is_overloaded",
        ),
        (Reply(status=529), Outcome.OVERLOADED, "HTTP 529 server_error"),
        (Reply(status=500), Outcome.SERVER_ERROR, "HTTP 500 server_error"),
        (Reply(status=400), Outcome.CLIENT_ERROR, "HTTP 400 invalid_request_error"),
        (Reply(status=404), Outcome.CLIENT_ERROR, "HTTP 404 invalid_request_error/model_not_"),
    ],
)
async def test_error_responses(
    api: tuple[LLMUpstream, str], which: str, reply: Reply, outcome: Outcome, detail: str
) -> None:
    sim, base = api
    sim.reply = reply
    result = await openai_probe.run(probe(base, api=which))
    assert result.outcome is outcome
    assert result.status_code == reply.status
    assert result.detail.startswith(detail)
    assert result.request_id == "req_sim_0001"  # from x-request-id


@pytest.mark.parametrize("which", APIS)
async def test_html_instead_of_json(api: tuple[LLMUpstream, str], which: str) -> None:
    sim, base = api
    sim.reply = Reply(body="<html><body>Service Unavailable</body></html>", status=200)
    result = await openai_probe.run(probe(base, api=which))
    assert result.outcome is Outcome.UNEXPECTED_RESPONSE
    assert "text/html" in result.detail
    sim.reply = Reply(body="<html>Bad gateway</html>", status=502)
    assert (await openai_probe.run(probe(base, api=which))).outcome is Outcome.SERVER_ERROR


async def test_a_200_json_error_body_is_classified(api: tuple[LLMUpstream, str]) -> None:
    sim, base = api
    body = '{"error": {"message": "overloaded", "type": "server_error", "code": null}}'
    sim.reply = Reply(body=body, content_type="application/json")
    result = await openai_probe.run(probe(base))
    assert (result.outcome, result.detail) == (Outcome.OVERLOADED, "HTTP 200 server_error")


# --- the stream ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("which", "reply", "outcome", "detail"),
    [
        (
            "chat_completions",
            Reply(error_after=1, stream_error="server_is_overloaded"),
            Outcome.OVERLOADED,
            "stream error event server_error/server_is_overloaded after the first token",
        ),
        (
            "chat_completions",
            Reply(error_after=0, stream_error="rate_limit_exceeded"),
            Outcome.RATE_LIMITED,
            "stream error event server_error/rate_limit_exceeded before the first token",
        ),
        (
            "responses",
            Reply(error_after=1, stream_error="server_error"),
            Outcome.SERVER_ERROR,
            "stream error event server_error after the first token",
        ),
        (
            "responses",
            Reply(error_after=1, stream_error="server_is_overloaded", failed_event=True),
            Outcome.OVERLOADED,
            "stream error event server_is_overloaded after the first token",
        ),
    ],
)
async def test_error_events_mid_stream(
    api: tuple[LLMUpstream, str], which: str, reply: Reply, outcome: Outcome, detail: str
) -> None:
    sim, base = api
    sim.reply = reply
    result = await openai_probe.run(probe(base, api=which))
    assert result.outcome is outcome
    assert result.detail == detail
    assert (result.ttft is None) is (reply.error_after == 0)


@pytest.mark.parametrize("which", APIS)
@pytest.mark.parametrize(("after", "where"), [(1, "after"), (0, "before")])
async def test_a_stall_is_a_timeout(
    api: tuple[LLMUpstream, str], which: str, after: int, where: str
) -> None:
    sim, base = api
    sim.reply = Reply(stall_after=after, ping_every=0.05)  # SSE comments: keep-alives only
    result = await openai_probe.run(probe(base, api=which))
    assert result.outcome is Outcome.TIMEOUT
    assert result.detail == f"stream stalled: no event for 0.3s {where} the first token"
    assert result.duration < 1.0


@pytest.mark.parametrize(("which", "end"), [("chat_completions", "[DONE]"), ("responses", "resp")])
async def test_a_cut_stream_is_unexpected_response(
    api: tuple[LLMUpstream, str], which: str, end: str
) -> None:
    sim, base = api
    sim.reply = Reply(cut_after=1)
    result = await openai_probe.run(probe(base, api=which))
    assert result.outcome is Outcome.UNEXPECTED_RESPONSE
    assert result.detail.startswith(f"stream cut off before {end}")


# --- models mode ------------------------------------------------------------------


async def test_models_mode(api: tuple[LLMUpstream, str]) -> None:
    sim, base = api
    result = await openai_probe.run(probe(base, mode="models"))
    assert result.outcome is Outcome.SUCCESS, result.detail
    assert result.ttft is None
    seen = sim.requests[0]
    assert (seen.method, seen.path) == ("GET", "/v1/models")
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    sim.api_key = "sk-other"
    result = await openai_probe.run(probe(base, mode="models"))
    assert result.outcome is Outcome.AUTH_ERROR


# --- transport failures -----------------------------------------------------------


async def test_transport_failures(api: tuple[LLMUpstream, str], closed_port: int) -> None:
    refused = await openai_probe.run(probe(f"http://127.0.0.1:{closed_port}"))
    assert refused.outcome is Outcome.CONNECT_ERROR
    unresolvable = await openai_probe.run(probe("http://api.openai.invalid"))
    assert unresolvable.outcome is Outcome.DNS_ERROR
    sim, base = api
    sim.reply = Reply(reset=True)
    assert (await openai_probe.run(probe(base))).outcome is Outcome.CONNECT_ERROR


async def test_tls(ca: trustme.CA, tmp_path: Path) -> None:
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    sim = LLMUpstream()
    async with running(sim, server_tls(ca)) as base:
        trusted = await openai_probe.run(probe(base, api="responses", tls={"ca_file": ca_file}))
        assert trusted.outcome is Outcome.SUCCESS, trusted.detail
        assert "tls" in phases(trusted)
        untrusted = await openai_probe.run(probe(base))
        assert untrusted.outcome is Outcome.TLS_ERROR
