"""The `openai` probe: a minimal streamed Chat Completions or Responses call, or a models list.

`api: chat_completions` sends `POST {url}/v1/chat/completions` with
`Authorization: Bearer` and `{"model", "messages", "max_completion_tokens",
"stream": true}`. The stream (OpenAI's Chat Completions streaming reference) is
data-only server-sent events, each a `chat.completion.chunk` whose
`choices[0].delta.content` carries text, ended by `data: [DONE]`; a failure
mid-stream arrives as a chunk `{"error": {"message", "type", "code", ...}}`.

`api: responses` sends `POST {url}/v1/responses` with `{"model", "input",
"max_output_tokens", "stream": true, "store": false}`. Its stream (OpenAI's
"Responses streaming events") is typed events: `response.created`, ...,
`response.output_text.delta` (text), and at the end `response.completed`, or
`response.incomplete` (e.g. max_output_tokens reached: the API answered, so
it counts as the end), or `response.failed` / `error` for a failure.

`mode: models` sends `GET {url}/v1/models`: it checks the key and the API without
spending tokens.
"""

from __future__ import annotations

from exporter.config import OpenAIProbeConfig
from exporter.models import ProbeResult
from exporter.probes.clients import ProbeClients
from exporter.probes.llm import ApiCall, run_call
from exporter.probes.llm_errors import ProviderError, parse_error
from exporter.probes.sse import Event
from exporter.probes.stream import (
    END,
    PROGRESS,
    TOKEN,
    Seen,
    StreamJudge,
    event_json,
)

_NOT_JSON = Seen(problem="a stream event without JSON data")


async def run(config: OpenAIProbeConfig, clients: ProbeClients | None = None) -> ProbeResult:
    """Probe the OpenAI API once; the result says what happened, it never raises."""
    if config.mode == "models":
        return await run_call(config, clients, api_call(config), None)
    judge: type[StreamJudge] = ChatStream if config.api == "chat_completions" else ResponsesStream
    return await run_call(config, clients, api_call(config), judge)


def api_call(config: OpenAIProbeConfig) -> ApiCall:
    """The request; the API key is revealed only here, into its headers."""
    headers = {"Authorization": f"Bearer {config.api_key_value()}"}
    if config.mode == "models":
        return ApiCall("GET", "/v1/models", headers)
    headers["content-type"] = "application/json"
    if config.api == "responses":
        body: dict[str, object] = {
            "model": config.model,
            "input": config.prompt,
            "max_output_tokens": config.max_tokens,
            "stream": True,
            "store": False,  # a probe's answers need not be kept
        }
        return ApiCall("POST", "/v1/responses", headers, body)
    body = {
        "model": config.model,
        "messages": [{"role": "user", "content": config.prompt}],
        "max_completion_tokens": config.max_tokens,
        "stream": True,
    }
    return ApiCall("POST", "/v1/chat/completions", headers, body)


class ChatStream:
    """Judges the chunks of a streamed Chat Completions response."""

    end_event = "[DONE]"

    def see(self, event: Event) -> Seen:
        if event.data.strip() == "[DONE]":
            return END
        data = event_json(event)
        if data is None:
            return _NOT_JSON
        if "error" in data:
            return Seen(error=parse_error(data) or ProviderError(("error",)))
        choices = data.get("choices")
        first = choices[0] if isinstance(choices, list) and choices else None
        delta = first.get("delta") if isinstance(first, dict) else None
        if isinstance(delta, dict) and (_text(delta.get("content")) or _text(delta.get("refusal"))):
            return TOKEN
        return PROGRESS


class ResponsesStream:
    """Judges the events of a streamed Responses API response."""

    end_event = "response.completed"
    _TEXT = frozenset({"response.output_text.delta", "response.refusal.delta"})
    _ENDS = frozenset({"response.completed", "response.incomplete"})

    def see(self, event: Event) -> Seen:
        data = event_json(event)
        if data is None:
            return _NOT_JSON
        kind = data.get("type") or event.event
        if kind in self._TEXT and _text(data.get("delta")):
            return TOKEN
        if kind in self._ENDS:
            return END
        if kind in ("error", "response.failed"):
            return Seen(error=parse_error(data) or ProviderError((str(kind),)))
        return PROGRESS


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value)
