"""Content decoding (gzip, deflate) with a hard bound on the memory a body can claim.

httpx decodes a compressed body with one unbounded `decompress` call per network chunk,
so one 64 KiB chunk of a gzip bomb becomes ~64 MiB in memory before a size check after
decoding can run. `BoundedDecoder` asks zlib for at most `STEP` bytes per call and stops
as soon as the decoded size passes its limit, so a hostile body never holds more than
about `limit + STEP` bytes, whatever it would expand to. The encoded (wire) size has the
same limit: garbage after the end of a gzip stream cannot pile up either.

Only what `ACCEPT_ENCODING` offers is decoded; another coding is `DecodingFailed`.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

ACCEPT_ENCODING = "gzip, deflate"
STEP = 64 * 1024  # the most bytes one zlib call may produce


class DecodingFailed(Exception):
    """The body's content coding is corrupt or one that was not offered."""


class LimitExceeded(Exception):
    """The body, encoded or decoded, is larger than the limit."""


class _Inflate:
    """One gzip or deflate layer, decoded in bounded steps."""

    def __init__(self, coding: str) -> None:
        self._gzip = coding in ("gzip", "x-gzip")
        self._obj = zlib.decompressobj(zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS)
        self._started = False
        self._head = b""  # deflate: the first byte, until the second arrives

    def pieces(self, data: bytes) -> Iterator[bytes]:
        if not self._started and data:
            if not self._gzip:
                # zlib-wrapped or raw deflate: the first two bytes tell, so wait for two
                # (a network chunk may hold one).
                data = self._head + data
                if len(data) < 2:
                    self._head = data
                    return
                if not _has_zlib_header(data):
                    self._obj = zlib.decompressobj(-zlib.MAX_WBITS)  # raw, as some send
            self._started = True
        # Ask for STEP bytes at a time; input zlib did not get to waits in unconsumed_tail.
        # Stop at the end of the stream: what follows it is ignored, never buffered.
        while not self._obj.eof:
            try:
                out = self._obj.decompress(data, STEP)
            except zlib.error:
                raise DecodingFailed("corrupt compressed data") from None
            data = self._obj.unconsumed_tail
            if out:
                yield out
            if not data and len(out) < STEP:  # a full STEP may leave more output pending
                return


def _has_zlib_header(data: bytes) -> bool:
    return len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0


class StreamDecoder:
    """The body's content codings undone in bounded steps: `decode(chunk)` yields pieces of
    at most `STEP` bytes, lazily, so a reader that stops early stops the inflating too.

    Stacked codings (`gzip, gzip`) are undone one bounded layer after the other. Probe
    bodies and streams are read through it (probes/body.py).
    """

    def __init__(self, content_encoding: str) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",")]
        codings = [c for c in codings if c and c != "identity"]
        unknown = [c for c in codings if c not in ("gzip", "x-gzip", "deflate")]
        if unknown:
            raise DecodingFailed("a content coding that was not offered")
        # Codings are listed in the order they were applied: undo the last one first.
        self._stages: list[_Inflate] = [_Inflate(c) for c in reversed(codings)]

    def decode(self, chunk: bytes) -> Iterator[bytes]:
        pieces: Iterable[bytes] = [chunk]
        for stage in self._stages:
            pieces = _through(stage, pieces)
        yield from pieces


class BoundedDecoder:
    """Feed the raw body chunk by chunk, then `finish()`; at most `limit` bytes either way."""

    def __init__(self, content_encoding: str, limit: int) -> None:
        self._decoder = StreamDecoder(content_encoding)
        self._limit = limit
        self._wire = 0
        self._body = bytearray()

    def feed(self, chunk: bytes) -> None:
        self._wire += len(chunk)
        if self._wire > self._limit:
            raise LimitExceeded
        for piece in self._decoder.decode(chunk):
            self._body += piece
            if len(self._body) > self._limit:
                raise LimitExceeded

    def finish(self) -> bytes:
        return bytes(self._body)


def _through(stage: _Inflate, pieces: Iterable[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield from stage.pieces(piece)
