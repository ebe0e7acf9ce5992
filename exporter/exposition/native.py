"""The /metrics and /probe bodies: statusprobe's own families written natively, the rest
by prometheus_client, byte for byte what prometheus_client alone would write.

`Exposition` takes the two things it renders explicitly: the `State` (our families) and a
collector of everything else (build_info, scheduler, process_*, python_info, ...).
Content negotiation is prometheus_client's `choose_encoder`, unchanged: it picks the
format, the escaping and the Content-Type. When its choice is one `native_format` knows
(Prometheus text, or OpenMetrics 1.0.0, with an escaping that leaves our names as they
are: everything Prometheus 2.x and 3.x ask for by default), the body is

- the other collectors' families, rendered by that same encoder;
- the state's families, written by lines.py from one state snapshot (and cached per entry);
- OpenMetrics' one `# EOF` at the very end.

Any other choice (escaping=dots, OpenMetrics escaping=values or another version) renders
the other collectors and then `StatusprobeCollector` through the encoder: the same order,
so the same body. The HELP/TYPE headers of our families are prometheus_client's own
rendering of each family without samples, once per format.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, partial
from typing import cast

from prometheus_client.core import Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.exposition import generate_latest as generate_text
from prometheus_client.openmetrics.exposition import ALLOWUTF8, UNDERSCORES, VALUES
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics
from prometheus_client.registry import Collector

from exporter import metrics as m
from exporter.exposition.collector import StatusprobeCollector, metric_family, page_families
from exporter.exposition.lines import LineCache, Steps, complete, interleave
from exporter.exposition.series import PAGE_SPECS, PROBE_SPECS
from exporter.state import PageState, State

Encoder = Callable[[Collector], bytes]
EOF = b"# EOF\n"

# Escapings under which prometheus_client writes our names (all legacy-valid) unchanged.
# Not `dots` (it doubles every underscore) and, for OpenMetrics, not `values` (it
# prefixes every sample name with U__): those go through prometheus_client whole.
TEXT_ESCAPINGS = frozenset({UNDERSCORES, ALLOWUTF8, VALUES})
OPENMETRICS_ESCAPINGS = frozenset({UNDERSCORES, ALLOWUTF8})


@dataclass(frozen=True, slots=True)
class NativeFormat:
    openmetrics: bool
    escaping: str

    def encoder(self) -> Encoder:
        if self.openmetrics:
            return partial(generate_openmetrics, escaping=self.escaping, version="1.0.0")
        return partial(generate_text, escaping=self.escaping)


def native_format(encoder: Encoder) -> NativeFormat | None:
    """The format of an encoder `choose_encoder` returned, if we write it natively."""
    func, args, kwargs = encoder, (), {}
    if isinstance(encoder, partial):
        func, args, kwargs = encoder.func, encoder.args, encoder.keywords
    escaping = kwargs.get("escaping", UNDERSCORES)
    if args or not set(kwargs) <= {"escaping", "version"}:
        return None
    if func is generate_text and "version" not in kwargs and escaping in TEXT_ESCAPINGS:
        return NativeFormat(openmetrics=False, escaping=escaping)
    if (
        func is generate_openmetrics
        and kwargs.get("version") == "1.0.0"
        and escaping in OPENMETRICS_ESCAPINGS
    ):
        return NativeFormat(openmetrics=True, escaping=escaping)
    return None


class _Families(Collector):
    """A fixed list of families, for prometheus_client's encoders."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)


def _encode(encoder: Encoder, fmt: NativeFormat, families: list[Metric]) -> bytes:
    """prometheus_client's rendering of `families`, without OpenMetrics' `# EOF`."""
    if not families:
        return b""
    body = encoder(_Families(families))
    return body.removesuffix(EOF) if fmt.openmetrics else body


@cache
def family_headers(fmt: NativeFormat) -> tuple[tuple[bytes, ...], tuple[bytes, ...]]:
    """HELP and TYPE lines of the page families and of the probe families in `fmt`."""
    encoder = fmt.encoder()

    def headers(specs: Iterable[m.Metric]) -> tuple[bytes, ...]:
        return tuple(_encode(encoder, fmt, [metric_family(spec)]) for spec in specs)

    return headers(PAGE_SPECS), headers(PROBE_SPECS)


class _Chain(Collector):
    """Several collectors as one, in order."""

    def __init__(self, *collectors: Collector) -> None:
        self._collectors = collectors

    def collect(self) -> Iterator[Metric]:
        for collector in self._collectors:
            yield from collector.collect()


class Exposition:
    """/metrics for a state and the other collectors of the process."""

    def __init__(
        self, state: State, others: Collector, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._state = state
        self._clock = clock  # wall clock: staleness compares it with last_success
        self._others = others
        self._lines = LineCache()
        # For the formats not written natively, and for anyone who wants one registry.
        self.collector = StatusprobeCollector(state, clock=clock)
        self.registry: Collector = _Chain(others, self.collector)

    @property
    def lines(self) -> LineCache:
        return self._lines

    def render(self, accept: str) -> tuple[bytes, str]:
        """The exposition for an Accept header, and its Content-Type."""
        return complete(self.render_steps(accept))

    async def render_async(self, accept: str) -> tuple[bytes, str]:
        """`render()` on the event loop, letting other work run every few milliseconds.

        A render in a thread holds the GIL for most of its length, and the loop, which
        gives the GIL back at every socket call, waits for it each time: at 10,000 probes
        it stalled for 20-80 ms at a time during every scrape. In steps on the loop, a
        stall lasts one step. Formats not written natively go to a thread, as before."""
        if native_format(choose_encoder(accept)[0]) is None:
            return await asyncio.to_thread(self.render, accept)
        steps = self.render_steps(accept)
        while True:
            try:
                next(steps)
            except StopIteration as done:
                return cast(tuple[bytes, str], done.value)
            await asyncio.sleep(0)

    def render_steps(self, accept: str) -> Steps[tuple[bytes, str]]:
        """`render()`, pausing between steps (lines.Steps)."""
        encoder, content_type = choose_encoder(accept)
        fmt = native_format(encoder)
        if fmt is None:
            return encoder(self.registry), content_type
        pieces = [_encode(encoder, fmt, list(self._others.collect()))]
        snap = self._state.snapshot()
        page_headers, probe_headers = family_headers(fmt)
        pages = yield from self._lines.page_steps(sorted(snap.pages.items()), self._clock())
        yield
        probes = yield from self._lines.probe_steps(sorted(snap.probes.items()))
        yield
        pieces += interleave(page_headers, pages)
        for i, header in enumerate(probe_headers):  # a family at a time, joined
            pieces.append(header + b"".join([chunks[i] for chunks in probes]))
            yield
        if fmt.openmetrics:
            pieces.append(EOF)
        return b"".join(pieces), content_type


def render_pages(
    pages: Sequence[tuple[str, PageState]], now: float, accept: str
) -> tuple[bytes, str]:
    """The page families alone (what /probe serves), and the Content-Type."""
    encoder, content_type = choose_encoder(accept)
    fmt = native_format(encoder)
    if fmt is None:
        return encoder(_Families(page_families(list(pages), now))), content_type
    page_headers, _ = family_headers(fmt)
    pieces = interleave(page_headers, LineCache().page_chunks(pages, now))
    if fmt.openmetrics:
        pieces.append(EOF)
    return b"".join(pieces), content_type
