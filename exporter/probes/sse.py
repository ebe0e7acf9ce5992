"""An incremental parser of server-sent events (pure), as the WHATWG HTML standard
defines the `text/event-stream` format (section 9.2.6, "Interpreting an event stream").

Bytes go in as they arrive, complete events come out. Lines end with CRLF, LF or
CR; `event:` names the event, `data:` lines are joined with "\\n"; a line that
starts with ":" is a comment (a keep-alive); a blank line dispatches the event.
An event with no data is not dispatched, and an unfinished event at the end of
the stream is dropped, both as the standard says. `id:` and `retry:` are
ignored: a probe never reconnects.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

MAX_EVENT_CHARS = 1 << 20  # an event (or a line) larger than this is a broken stream
_LINE_END = re.compile(r"\r\n|\r|\n")


class SSEError(ValueError):
    """The stream is not a usable event stream (an oversized event or line)."""


@dataclass(frozen=True, slots=True)
class Event:
    event: str  # "message" when the stream named none
    data: str


class SSEDecoder:
    def __init__(self, max_event_chars: int = MAX_EVENT_CHARS) -> None:
        self._max = max_event_chars
        self._text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""  # an unfinished line
        self._event = ""
        self._data: list[str] = []
        self._size = 0
        self._first = True  # a byte-order mark at the very start is dropped

    def feed(self, chunk: bytes) -> list[Event]:
        """The events `chunk` completes, in order."""
        text = self._pending + self._text.decode(chunk)
        if self._first and text:
            text = text.removeprefix("\ufeff")
            self._first = False
        lines = _LINE_END.split(text)
        self._pending = lines.pop()
        if text.endswith("\r"):
            # "\r" may be the first half of "\r\n": wait for the next chunk to tell.
            self._pending = lines.pop() + "\r" if lines else "\r"
        if len(self._pending) > self._max:
            raise SSEError(f"a line longer than {self._max} characters")
        events: list[Event] = []
        for line in lines:
            event = self._line(line)
            if event is not None:
                events.append(event)
        return events

    def _line(self, line: str) -> Event | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None  # a comment
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            self._event = value
        elif field == "data":
            self._size += len(value) + 1
            if self._size > self._max:
                raise SSEError(f"an event larger than {self._max} characters")
            self._data.append(value)
        return None

    def _dispatch(self) -> Event | None:
        event, data = self._event or "message", self._data
        self._event, self._data, self._size = "", [], 0
        return Event(event, "\n".join(data)) if data else None
