"""The `anthropic` probe: a minimal streamed Messages API call, or a models list.

`mode: generate` sends `POST {url}/v1/messages` with `x-api-key`,
`anthropic-version` and `{"model", "max_tokens", "stream": true, "messages":
[{"role": "user", "content": prompt}]}`. The stream (Anthropic's "Streaming
Messages" documentation) is `message_start`, then per content block
`content_block_start`, `content_block_delta`s and `content_block_stop`, then
`message_delta` and `message_stop`, with `ping`s anywhere; an `error` event
(`{"type": "error", "error": {"type": "overloaded_error", ...}}`) may arrive
mid-stream. The first `content_block_delta` carrying a `text_delta` is the
first token; `message_stop` is the end.

`mode: models` sends `GET {url}/v1/models?limit=1` with the same headers: it
checks the key and the API without spending tokens.
"""

from __future__ import annotations

from exporter.config import AnthropicProbeConfig
from exporter.models import ProbeResult
from exporter.probes.clients import ProbeClients
from exporter.probes.llm import ApiCall, run_call
from exporter.probes.llm_errors import ProviderError, parse_error
from exporter.probes.sse import Event
from exporter.probes.stream import (
    END,
    KEEPALIVE,
    PROGRESS,
    TOKEN,
    Seen,
    event_json,
)


async def run(config: AnthropicProbeConfig, clients: ProbeClients | None = None) -> ProbeResult:
    """Probe the Anthropic API once; the result says what happened, it never raises."""
    if config.mode == "models":
        return await run_call(config, clients, api_call(config), None)
    return await run_call(config, clients, api_call(config), MessagesStream)


def api_call(config: AnthropicProbeConfig) -> ApiCall:
    """The request; the API key is revealed only here, into its headers."""
    headers = {
        "x-api-key": config.api_key_value(),
        "anthropic-version": config.anthropic_version,
    }
    if config.mode == "models":
        return ApiCall("GET", "/v1/models?limit=1", headers)
    body: dict[str, object] = {
        "model": config.model,
        "max_tokens": config.max_tokens,
        "stream": True,
        "messages": [{"role": "user", "content": config.prompt}],
    }
    return ApiCall("POST", "/v1/messages", headers | {"content-type": "application/json"}, body)


class MessagesStream:
    """Judges the events of a streamed Messages API response."""

    end_event = "message_stop"

    def see(self, event: Event) -> Seen:
        data = event_json(event)
        if data is None:
            return Seen(problem=f"a {_name(event.event)} event without JSON data")
        kind = data.get("type") or event.event
        if kind == "ping":
            return KEEPALIVE
        if kind == "error":
            return Seen(error=parse_error(data) or ProviderError(("error",)))
        if kind == "content_block_delta":
            delta = data.get("delta")
            if isinstance(delta, dict) and delta.get("type") == "text_delta" and delta.get("text"):
                return TOKEN
        if kind == "message_stop":
            return END
        return PROGRESS


def _name(event: str) -> str:
    return event if event.replace("_", "").isalnum() and len(event) <= 40 else "stream"
