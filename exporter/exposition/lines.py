"""statusprobe's own families as exposition lines, written directly and cached per entry.

prometheus_client's encoders take generic `Metric` objects: a `Sample` with its own labels
dict per series, every label *name* validated and escaped again on every line. Our
families are known in advance (metrics.py, series.py): metric and label names are
constants, so each family gets a %-template per sample name, with the labels already in
the order prometheus_client writes them (sorted by name). Only label *values* are
escaped, and values are formatted as prometheus_client's `floatToGoString` does.

A sample line is the same in every format native.py writes (Prometheus text and
OpenMetrics 1.0.0, with an escaping that leaves our names unchanged). Only the HELP/TYPE
headers and OpenMetrics' `# EOF` differ, and native.py has prometheus_client render those.
tests/test_exposition.py checks the bytes against prometheus_client.

The cache, and why it is safe
-----------------------------
State entries (`PageState`, `ProbeState`) are frozen and replaced whole on any change
(state.py), and what their lines are made of inside them is immutable too (frozen
dataclasses, tuples, the frozen config). So an entry object renders to the same lines
every time, given its two
other inputs: the name it is listed under (the `page` / `probe` label) and, for a page,
whether it is stale at the scrape's `now`. `EntryCache` maps `id(entry)` to
(entry, inputs, lines) and reuses the lines only for that very object (`is`) with equal
inputs; anything else is rendered again. It holds a reference to each entry it caches,
so an id cannot be reused by a new object while its lines are cached.

After each render the cache holds exactly the entries of that render: whatever left the
state is dropped, so it is bounded by the live entries (about the size of one
exposition). Concurrent renders (two scrapes whose steps interleave on the loop, or a
thread) each read the dict published before them and publish a new one at their end; any
of these is valid, because a hit is checked against the entry.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Sequence
from functools import cache
from itertools import accumulate
from math import copysign
from typing import Generic, TypeVar, cast

from exporter import metrics as m
from exporter.exposition.series import (
    PAGE_SPECS,
    PROBE_SPECS,
    PageSeries,
    ProbeSeries,
    add_page,
    add_probe,
)
from exporter.state import HistogramData, PageState, ProbeState

Chunks = tuple[bytes, ...]  # one entry's lines: one bytes per family, b"" where it has none
E = TypeVar("E")  # a state entry
K = TypeVar("K")  # the other inputs of its lines
T = TypeVar("T")
# A computation that pauses with a bare `yield` now and then and returns a T.
Steps = Generator[None, None, T]
# Entries rendered, and entries looked at, between two pauses of a render in steps: a
# rendered probe entry costs about 0.1 ms, a cached one well under a microsecond.
STEP_RENDERED = 32
STEP_ENTRIES = 2000

_GO_SPECIAL = {"inf": "+Inf", "-inf": "-Inf", "nan": "NaN"}
# Whole numbers, the most common values (counts, 0/1 states, status codes), precomputed.
_WHOLE = {float(n): f"{n}.0" for n in range(4096)}


def go_float(value: float) -> str:
    """`value` as prometheus_client's floatToGoString writes it: 1.0, 1.777e+09, +Inf, NaN."""
    whole = _WHOLE.get(value)
    if whole is not None and (value or copysign(1.0, value) > 0):  # -0.0 finds 0.0's "0.0"
        return whole
    text = repr(float(value))
    dot = text.find(".")
    if dot > 6 and value > 0:  # Go switches to exponents sooner than Python
        mantissa = f"{text[0]}.{text[1:dot]}{text[dot + 1 :]}".rstrip("0.")
        return f"{mantissa}e+{dot - 1:02d}"
    return _GO_SPECIAL.get(text, text)


def go_count(count: int) -> str:
    """go_float(count) for a count; the common small ones without the float round trip."""
    return f"{count}.0" if 0 <= count < 1_000_000 else go_float(count)


def escape(value: str) -> str:
    """A label value as both formats write it: backslash, newline and double quote escaped."""
    if "\\" in value or "\n" in value or '"' in value:
        return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
    return value


def _template(name: str, labels: Sequence[str]) -> tuple[str, tuple[int, ...]]:
    """A %-template of one sample line, with the labels sorted by name as prometheus_client
    writes them, and the order in which it takes the label values (indexes into `labels`);
    the sample value comes last."""
    order = tuple(sorted(range(len(labels)), key=labels.__getitem__))
    pairs = ",".join(f'{labels[i]}="%s"' for i in order)
    return f"{name}{{{pairs}}} %s\n" if labels else f"{name} %s\n", order


@cache
def _templates(spec: m.Metric) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """A gauge's or counter's sample template; a histogram's _bucket, _count and _sum."""
    if spec.type == "histogram":
        return tuple(
            _template(spec.name + suffix, spec.labels + extra)
            for suffix, extra in (("_bucket", ("le",)), ("_count", ()), ("_sum", ()))
        )
    if spec.type == "counter":  # as CounterMetricFamily names its samples
        return (_template(spec.name.removesuffix("_total") + "_total", spec.labels),)
    return (_template(spec.name, spec.labels),)


@cache
def _buckets(bounds: tuple[float, ...]) -> tuple[tuple[str, ...], bool]:
    """The `le` values of a bucket layout (HistogramData's own), and whether prometheus_client
    writes _count and _sum for it (not when a bucket is negative)."""
    les = tuple(le for le, _ in HistogramData.empty(bounds).cumulative())
    return les, float(les[0]) >= 0


class FamilyLines:
    """One family's lines for the entry being rendered: a series.Adder and HistogramAdder."""

    def __init__(self, spec: m.Metric) -> None:
        self._templates = _templates(spec)
        self._lines: list[str] = []

    def add_metric(self, labels: Sequence[str], value: float) -> None:
        template, order = self._templates[0]
        self._lines.append(template % (*[escape(labels[i]) for i in order], go_float(value)))

    def add_histogram(self, labels: Sequence[str], data: HistogramData) -> None:
        (bucket, bucket_order), (count, order), (sum_, _) = self._templates
        values = [escape(label) for label in labels] + [""]  # the last one: le
        les, with_sum = _buckets(data.bounds)
        cumulative = list(accumulate(data.counts))
        lines = self._lines
        for le, n in zip(les, cumulative, strict=True):
            values[-1] = le
            lines.append(bucket % (*[values[i] for i in bucket_order], go_count(n)))
        if with_sum:  # the +Inf bucket is the count
            ordered = [values[i] for i in order]
            lines.append(count % (*ordered, go_count(cumulative[-1])))
            lines.append(sum_ % (*ordered, go_float(data.sum)))

    def take(self) -> bytes:
        """The lines added since the last take, encoded."""
        if not self._lines:
            return b""
        data = "".join(self._lines).encode()
        self._lines.clear()
        return data


class EntryCache(Generic[E, K]):
    """Rendered lines by entry identity; the invariant is in the module docstring."""

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[E, K, Chunks]] = {}
        self.rendered = 0  # entries rendered (cache misses) so far, for tests and benches

    def chunks(
        self, items: Iterable[tuple[E, K]], render: Callable[[E, K], Chunks]
    ) -> list[Chunks]:
        """Each item's lines, from the cache when the entry and its inputs are unchanged."""
        return complete(self.chunks_in_steps(items, render))

    def chunks_in_steps(
        self, items: Iterable[tuple[E, K]], render: Callable[[E, K], Chunks]
    ) -> Steps[list[Chunks]]:
        """`chunks()`, pausing (a bare `yield`) after every `STEP_RENDERED` entries it
        renders and every `STEP_ENTRIES` it looks at, so a caller on the event loop can
        let other work run in between (native.Exposition.render_async)."""
        old, new = self._by_id, {}
        out = []
        rendered = 0
        for seen, (entry, inputs) in enumerate(items, 1):
            cached = old.get(id(entry))
            if cached is None or cached[0] is not entry or cached[1] != inputs:
                cached = (entry, inputs, render(entry, inputs))
                self.rendered += 1
                rendered += 1
                if rendered % STEP_RENDERED == 0:
                    yield
            new[id(entry)] = cached
            out.append(cached[2])
            if seen % STEP_ENTRIES == 0:
                yield
        self._by_id = new
        return out

    def __len__(self) -> int:
        return len(self._by_id)


class LineCache:
    """The cached lines of one collector's pages and probes."""

    def __init__(self) -> None:
        self.pages: EntryCache[PageState, tuple[str, bool]] = EntryCache()
        self.probes: EntryCache[ProbeState, str] = EntryCache()

    def page_chunks(self, pages: Sequence[tuple[str, PageState]], now: float) -> list[Chunks]:
        return complete(self.page_steps(pages, now))

    def probe_chunks(self, probes: Sequence[tuple[str, ProbeState]]) -> list[Chunks]:
        return complete(self.probe_steps(probes))

    def page_steps(self, pages: Sequence[tuple[str, PageState]], now: float) -> Steps[list[Chunks]]:
        out: PageSeries[FamilyLines] = PageSeries._make(map(FamilyLines, PAGE_SPECS))

        def render(page: PageState, inputs: tuple[str, bool]) -> Chunks:
            add_page(out, inputs[0], page, now)  # inputs[1] is page.is_stale(now)
            return tuple(family.take() for family in out)

        items = ((page, (name, page.is_stale(now))) for name, page in pages)
        return (yield from self.pages.chunks_in_steps(items, render))

    def probe_steps(self, probes: Sequence[tuple[str, ProbeState]]) -> Steps[list[Chunks]]:
        out: ProbeSeries[FamilyLines, FamilyLines] = ProbeSeries._make(
            map(FamilyLines, PROBE_SPECS)
        )

        def render(probe: ProbeState, name: str) -> Chunks:
            add_probe(out, name, probe)
            return tuple(family.take() for family in out)

        items = ((probe, name) for name, probe in probes)
        return (yield from self.probes.chunks_in_steps(items, render))


def complete(steps: Steps[T]) -> T:
    """Run a computation written in steps to its end, without pausing."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return cast(T, done.value)


def interleave(headers: Sequence[bytes], entries: Sequence[Chunks]) -> list[bytes]:
    """Family by family: its header, then every entry's lines of that family."""
    pieces: list[bytes] = []
    for i, header in enumerate(headers):
        pieces.append(header)
        pieces.extend([chunks[i] for chunks in entries])
    return pieces
