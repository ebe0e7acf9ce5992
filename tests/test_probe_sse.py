"""The server-sent events parser and the provider error shapes (both pure).

SSE framing follows the WHATWG HTML standard, "Interpreting an event stream"
(https://html.spec.whatwg.org/multipage/server-sent-events.html); error shapes
follow the provider documentation named in tests/llm_wire.py.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exporter.probes.llm_errors import ProviderError, parse_error
from exporter.probes.sse import Event, SSEDecoder, SSEError

STREAM = (
    b'event: message_start\r\ndata: {"a": 1}\r\n\r\n'
    b": a comment, a keep-alive\n\n"
    b"data: first line\ndata: second line\n\n"
    b"event: ping\rdata:{}\r\r"
    b"id: 7\nretry: 10\ndata: [DONE]\n\n"
    b"event: no-data\n\n"
    b"data: unfinished"
)
EVENTS = [
    Event("message_start", '{"a": 1}'),
    Event("message", "first line\nsecond line"),
    Event("ping", "{}"),
    Event("message", "[DONE]"),
]


def test_a_whole_stream() -> None:
    assert SSEDecoder().feed(STREAM) == EVENTS


@given(st.lists(st.integers(min_value=1, max_value=len(STREAM) - 1), max_size=12))
def test_any_split_gives_the_same_events(cuts: list[int]) -> None:
    decoder, events, last = SSEDecoder(), [], 0
    for cut in [*sorted(set(cuts)), len(STREAM)]:
        events += decoder.feed(STREAM[last:cut])
        last = cut
    assert events == EVENTS


def test_crlf_split_across_chunks_is_one_line_end() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\ndata: b\r\n\r\n") == [Event("message", "a\nb")]


def test_utf8_split_across_chunks_and_a_leading_bom() -> None:
    data = "\ufeffdata: héllo ✓\n\n".encode()
    decoder = SSEDecoder()
    events = [e for i in range(len(data)) for e in decoder.feed(data[i : i + 1])]
    assert events == [Event("message", "héllo ✓")]


def test_oversized_events_and_lines_are_errors() -> None:
    with pytest.raises(SSEError, match="an event larger than 100"):
        SSEDecoder(max_event_chars=100).feed(
            b"data: " + b"x" * 60 + b"\ndata: " + b"y" * 60 + b"\n"
        )
    with pytest.raises(SSEError, match="a line longer than 100"):
        SSEDecoder(max_event_chars=100).feed(b"data: " + b"x" * 200)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (  # Anthropic error body and in-stream error event
            {
                "type": "error",
                "error": {"type": "overloaded_error", "message": "Overloaded"},
                "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy",
            },
            ProviderError(("overloaded_error",), "Overloaded", "req_011CSHoEeqs5C35K2UUqR7Fy"),
        ),
        (  # OpenAI error body, and an error chunk in a Chat Completions stream
            {
                "error": {
                    "message": "Incorrect API key provided",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "invalid_api_key",
                }
            },
            ProviderError(
                ("invalid_request_error", "invalid_api_key"), "Incorrect API key provided"
            ),
        ),
        (  # OpenAI Responses stream `error` event
            {"type": "error", "code": "server_error", "message": "boom", "sequence_number": 3},
            ProviderError(("server_error",), "boom"),
        ),
        (  # OpenAI Responses `response.failed`
            {
                "type": "response.failed",
                "response": {"status": "failed", "error": {"code": "server_error", "message": "x"}},
            },
            ProviderError(("server_error",), "x"),
        ),
        ({"type": "response.failed", "response": {}}, ProviderError(("response.failed",))),
        ({"error": "upstream connect error"}, ProviderError((), "upstream connect error")),
        ({"error": {"code": 503, "message": "busy"}}, ProviderError(("503",), "busy")),
        ({"ok": True}, None),
        ([1, 2], None),
        ("error", None),
    ],
)
def test_parse_error(payload: object, expected: ProviderError | None) -> None:
    assert parse_error(payload) == expected


def test_the_label_shows_only_identifiers() -> None:
    assert ProviderError(("invalid_request_error", "invalid_api_key")).label == (
        "invalid_request_error/invalid_api_key"
    )
    assert ProviderError(("Bad key sk-123 given",)).label == "error"
    assert ProviderError(()).label == "error"
