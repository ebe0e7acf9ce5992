"""The Anthropic and OpenAI wire formats now live in the package, where the scenario engine
(and `statusprobe demo`) use them too: exporter/scenarios/wire.py names the documentation
each shape follows. This module keeps the old import path for tests."""

from __future__ import annotations

from exporter.scenarios.wire import (
    ANTHROPIC_ERRORS,
    OPENAI_ERRORS,
    ResponsesEvents,
    anthropic_end,
    anthropic_error,
    anthropic_event,
    anthropic_models,
    anthropic_start,
    anthropic_stream_error,
    anthropic_token,
    chat_chunk,
    chat_end,
    chat_start,
    chat_stream_error,
    chat_token,
    openai_error,
    openai_models,
    sse,
)

__all__ = [
    "ANTHROPIC_ERRORS",
    "OPENAI_ERRORS",
    "ResponsesEvents",
    "anthropic_end",
    "anthropic_error",
    "anthropic_event",
    "anthropic_models",
    "anthropic_start",
    "anthropic_stream_error",
    "anthropic_token",
    "chat_chunk",
    "chat_end",
    "chat_start",
    "chat_stream_error",
    "chat_token",
    "openai_error",
    "openai_models",
    "sse",
]
