"""A probe response's body, decoded with a bound: every probe read goes through here.

httpx's own decoder inflates a whole network chunk in one call, so 6.8 KB sent as
`Content-Encoding: gzip, gzip` became gigabytes in memory before any size check could
run. Here the raw bytes go through the bounded decoder the status-page polls use
(sources/decoding.py): each decoded piece is at most 64 KiB, produced only when the
reader asks for it, so a reader that stops at its cap (a body, an error body, the
models list) or judges a stream piece by piece holds about its cap plus 64 KiB,
whatever the body would expand to. A coding other than gzip or deflate, or a corrupt
one, is an `httpx.DecodingError` (the probe's `unexpected_response`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from exporter.sources.decoding import DecodingFailed, StreamDecoder


async def aiter_decoded(
    response: httpx.Response, wire_limit: int | None = None
) -> AsyncIterator[bytes]:
    """The decoded body of a streamed response, piece by piece.

    With `wire_limit`, reading also stops after that many bytes on the wire, so data
    that decodes to nothing (garbage after the end of a gzip stream) cannot keep a
    capped read going.
    """
    try:
        decoder = StreamDecoder(response.headers.get("content-encoding", ""))
    except DecodingFailed as exc:
        raise httpx.DecodingError(str(exc), request=response.request) from None
    wire = 0
    async for chunk in response.aiter_raw():
        try:
            for piece in decoder.decode(chunk):
                yield piece
        except DecodingFailed as exc:
            raise httpx.DecodingError(str(exc), request=response.request) from None
        wire += len(chunk)
        if wire_limit is not None and wire >= wire_limit:
            return
