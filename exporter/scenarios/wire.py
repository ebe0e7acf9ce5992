"""The Anthropic and OpenAI wire formats, rendered (pure): what the simulated APIs send
(exporter/scenarios/replies.py; tests/llm_upstream.py for the probe tests).

Every shape is written after the provider's public documentation:

- Anthropic streaming: https://docs.claude.com/en/docs/build-with-claude/streaming
  (`message_start`, `content_block_start`, `ping`, `content_block_delta` with a
  `text_delta`, `content_block_stop`, `message_delta`, `message_stop`; an `error`
  event such as `overloaded_error` may arrive mid-stream).
- Anthropic errors: https://docs.claude.com/en/api/errors (400 invalid_request_error,
  401 authentication_error, 403 permission_error, 404 not_found_error, 413
  request_too_large, 429 rate_limit_error, 500 api_error, 529 overloaded_error;
  `{"type": "error", "error": {"type", "message"}, "request_id"}`; a `request-id`
  header on every response).
- Anthropic models: https://docs.claude.com/en/api/models-list (`data`, `has_more`,
  `first_id`, `last_id`).
- OpenAI Chat Completions streaming:
  https://platform.openai.com/docs/api-reference/chat/streaming (data-only events,
  `chat.completion.chunk` with `choices[0].delta.content`, then `data: [DONE]`).
- OpenAI Responses streaming events:
  https://platform.openai.com/docs/api-reference/responses-streaming
  (`response.created`, `response.output_text.delta`, `response.completed`,
  `response.incomplete`, `response.failed`, `error` with `code` and `message`).
- OpenAI errors: https://platform.openai.com/docs/guides/error-codes
  (`{"error": {"message", "type", "param", "code"}}`; 401 invalid_api_key, 429
  rate_limit_exceeded / insufficient_quota, 500 server_error, 503 "overloaded";
  an `x-request-id` header).
"""

from __future__ import annotations

import json
from typing import Any

ANTHROPIC_ERRORS = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
# status -> (type, code) as OpenAI sends them
OPENAI_ERRORS: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
    503: ("server_error", None),
}


def sse(data: object, event: str | None = None) -> bytes:
    """One server-sent event."""
    text = data if isinstance(data, str) else json.dumps(data)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {text}\n\n".encode()


# --- Anthropic ---------------------------------------------------------------------


def anthropic_error(status: int, kind: str, message: str, request_id: str) -> dict[str, Any]:
    kind = kind or ANTHROPIC_ERRORS.get(status, "api_error")
    error = {"type": kind, "message": message or kind.replace("_", " ").capitalize()}
    return {"type": "error", "error": error, "request_id": request_id}


def anthropic_event(kind: str, **fields: Any) -> bytes:
    return sse({"type": kind, **fields}, event=kind)


def anthropic_start(model: str) -> list[bytes]:
    message: dict[str, Any] = {
        "id": "msg_sim_01",
        "type": "message",
        "role": "assistant",
        "content": [],
        "model": model,
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 1},
    }
    return [
        anthropic_event("message_start", message=message),
        anthropic_event("content_block_start", index=0, content_block={"type": "text", "text": ""}),
        anthropic_event("ping"),
    ]


def anthropic_token(text: str) -> bytes:
    delta = {"type": "text_delta", "text": text}
    return anthropic_event("content_block_delta", index=0, delta=delta)


def anthropic_end(tokens: int) -> list[bytes]:
    delta = {"stop_reason": "end_turn", "stop_sequence": None}
    return [
        anthropic_event("content_block_stop", index=0),
        anthropic_event("message_delta", delta=delta, usage={"output_tokens": tokens}),
        anthropic_event("message_stop"),
    ]


def anthropic_stream_error(kind: str) -> bytes:
    error = {"type": kind, "message": kind.replace("_", " ").capitalize()}
    return anthropic_event("error", error=error)


def anthropic_models() -> dict[str, Any]:
    model = {
        "type": "model",
        "id": "claude-haiku-4-5",
        "display_name": "Claude Haiku 4.5",
        "created_at": "2025-10-01T00:00:00Z",
    }
    return {"data": [model], "has_more": True, "first_id": model["id"], "last_id": model["id"]}


# --- OpenAI ------------------------------------------------------------------------


def openai_error(status: int, kind: str, code: str | None, message: str) -> dict[str, Any]:
    default_kind, default_code = OPENAI_ERRORS.get(status, ("server_error", None))
    kind, code = kind or default_kind, code if kind else default_code
    text = message or f"simulated {kind}"
    return {"error": {"message": text, "type": kind, "param": None, "code": code}}


def chat_chunk(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
    chunk = {
        "id": "chatcmpl-sim",
        "object": "chat.completion.chunk",
        "created": 1_767_225_600,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }
    return sse(chunk)


def chat_start() -> list[bytes]:
    return [chat_chunk({"role": "assistant", "content": "", "refusal": None})]


def chat_token(text: str) -> bytes:
    return chat_chunk({"content": text})


def chat_end() -> list[bytes]:
    return [chat_chunk({}, finish_reason="stop"), sse("[DONE]")]


def chat_stream_error(kind: str, code: str | None) -> bytes:
    return sse(openai_error(500, kind, code, "simulated failure mid-stream"))


class ResponsesEvents:
    """Responses API events, numbered by `sequence_number` as the API numbers them."""

    def __init__(self) -> None:
        self.sequence = 0

    def event(self, kind: str, **fields: Any) -> bytes:
        data = {"type": kind, "sequence_number": self.sequence, **fields}
        self.sequence += 1
        return sse(data, event=kind)

    def response(self, status: str, **fields: Any) -> dict[str, Any]:
        base = {"id": "resp_sim", "object": "response", "status": status, "model": "gpt-4o-mini"}
        return base | {"error": None, "output": []} | fields

    def start(self) -> list[bytes]:
        item = {"id": "msg_sim", "type": "message", "role": "assistant", "content": []}
        return [
            self.event("response.created", response=self.response("in_progress")),
            self.event("response.in_progress", response=self.response("in_progress")),
            self.event("response.output_item.added", output_index=0, item=item),
        ]

    def token(self, text: str) -> bytes:
        fields = {"item_id": "msg_sim", "output_index": 0, "content_index": 0, "delta": text}
        return self.event("response.output_text.delta", **fields)

    def end(self, incomplete: bool = False) -> list[bytes]:
        if incomplete:
            details = {"incomplete_details": {"reason": "max_output_tokens"}}
            response = self.response("incomplete", **details)
            return [self.event("response.incomplete", response=response)]
        return [self.event("response.completed", response=self.response("completed"))]

    def error(self, code: str, failed_event: bool) -> bytes:
        if failed_event:
            error = {"code": code, "message": "simulated failure"}
            return self.event("response.failed", response=self.response("failed", error=error))
        return self.event("error", code=code, message="simulated failure", param=None)


def openai_models() -> dict[str, Any]:
    models = [
        {"id": "gpt-4o-mini", "object": "model", "created": 1_721_172_741, "owned_by": "system"},
    ]
    return {"object": "list", "data": models}
