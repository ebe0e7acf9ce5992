"""Series -> what happened, per upstream (pure).

An upstream is a status page and the probes mapped to it (`page` on statusprobe_probe_info;
a probe without a page is an upstream of its own). Counter increases are taken between
consecutive steps, so a failure shows at the first step after the scrape that saw it: the
measured onset is at most one scrape interval plus one step after the failed run.

An episode of trouble is a stretch of steps with failed runs, where gaps shorter than
`GAP` of the range are bridged; an episode with fewer than `MIN_FAILURES` failed runs
counts as isolated failures. The page admits the trouble when a component the upstream's
probes measure is not operational (for a probe of a whole page: the indicator is not
`none`) or an incident is open on the page, in any region's view.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from exporter.report.fetch import Data
from exporter.report.prometheus import Series
from exporter.rules import Params

GAP = 0.05  # share of the range bridged between failing steps
MIN_FAILURES = 3
BUCKETS = 60  # the chart's resolution, and the peak ratio's
_PARAMS = Params()
AVAILABLE = frozenset(_PARAMS.claimed_available_statuses.split("|"))
AVAILABLE_INDICATORS = frozenset(_PARAMS.claimed_available_indicators.split("|"))


@dataclass(frozen=True)
class Share:
    failed: int
    runs: int

    @property
    def ratio(self) -> float:
        return self.failed / self.runs if self.runs else 0.0


@dataclass(frozen=True)
class Admission:
    at: float  # when the page first admitted it (possibly before the onset)
    lag: float  # at - onset, seconds; <= 0: admitted before (or when) it was measured
    how: tuple[str, ...]  # what the page showed then


@dataclass(frozen=True)
class Episode:
    onset: float
    end: float
    failed: int
    runs: int
    regions: dict[str, Share]  # every region with runs, most failing first
    probes: dict[str, Share]
    outcomes: dict[str, int]  # failed runs by outcome, most first
    peak_ratio: float  # the highest ratio of one region in one chart bucket
    worst_duration: str  # e.g. "<= 10s (probe claude-api, region b)"
    worst_ttft: str
    admitted: Admission | None

    @property
    def ratio(self) -> float:
        return self.failed / self.runs if self.runs else 0.0


@dataclass(frozen=True)
class Band:
    """What the page said over a stretch: ok, degraded, outage, maintenance, incident."""

    start: float
    end: float
    kind: str
    text: str


@dataclass
class Upstream:
    name: str  # the page, or "probe <name>" for a probe without a page
    page: str
    components: tuple[str, ...]
    probes: tuple[str, ...]
    regions: tuple[str, ...]
    measured: Share = Share(0, 0)  # over the whole range
    official: float | None = None  # share of the range the page claimed available
    episodes: list[Episode] = field(default_factory=list)
    isolated: list[tuple[float, str, str]] = field(default_factory=list)  # at, region, outcome
    # chart: bucket start times; region -> ratio per bucket (None: no runs)
    buckets: list[float] = field(default_factory=list)
    series: dict[str, list[float | None]] = field(default_factory=dict)
    bands: list[Band] = field(default_factory=list)

    @property
    def trouble(self) -> bool:
        return bool(self.episodes or self.isolated)


@dataclass(frozen=True)
class Report:
    start: float
    end: float
    step: float
    upstreams: list[Upstream]
    runs: int  # every probe run in the range

    @property
    def troubled(self) -> list[Upstream]:
        return [u for u in self.upstreams if u.trouble]


def _increases(series: Series, data: Data) -> dict[int, float]:
    """Step index -> counter increase since the previous step (a reset counts from 0)."""
    out: dict[int, float] = {}
    prev: tuple[int, float] | None = None
    for t, v in series.points:
        k = data.index(t)
        if prev is not None and prev[0] == k - 1:
            delta = v - prev[1] if v >= prev[1] else v
            if delta > 0:
                out[k] = delta
        prev = (k, v)
    return out


@dataclass
class _Probe:
    runs: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    failed: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    outcomes: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))


def _probes(data: Data) -> dict[tuple[str, str], _Probe]:
    """(region, probe) -> runs, failures and outcomes per step."""
    out: dict[tuple[str, str], _Probe] = defaultdict(_Probe)
    for s in data.results:
        key = (s.labels.get("region", ""), s.labels.get("probe", ""))
        outcome = s.labels.get("outcome", "")
        probe = out[key]
        for k, n in _increases(s, data).items():
            probe.runs[k] += n
            if outcome != "success":
                probe.failed[k] += n
                probe.outcomes[k][outcome] += round(n)
    return out


def _mapping(data: Data) -> dict[str, tuple[str, str | None]]:
    """probe -> (page, component or None for the whole page)."""
    out: dict[str, tuple[str, str | None]] = {}
    for s in data.info:
        probe = s.labels.get("probe", "")
        out[probe] = (s.labels.get("page", ""), s.labels.get("component") or None)
    return out


def _present(series: Iterable[Series], data: Data) -> set[int]:
    return {data.index(t) for s in series for t, v in s.points if v > 0}


def _status_steps(data: Data, page: str, components: Sequence[str | None]) -> dict[int, list[str]]:
    """Step -> what the page showed that admits trouble with the upstream's components (an
    empty list: nothing; no entry: no status-page data at that step). As the rules pack
    reads it: a listed component not operational, or an open incident naming it; for a
    whole-page probe or a component the page does not list, the indicator or any incident."""
    mine = {c for c in components if c}
    listed: dict[int, set[str]] = defaultdict(set)
    out: dict[int, list[str]] = {}
    for s in data.components:
        if s.labels.get("page") != page:
            continue
        component, status = s.labels.get("component", ""), s.labels.get("status", "")
        for k in _present([s], data):
            listed[k].add(component)
            shown = out.setdefault(k, [])
            if component in mine and status != "operational":
                shown.append(f"{component}: {status}")
    indicator: dict[int, str] = {}
    for s in data.indicator:
        if s.labels.get("page") == page:
            for k in _present([s], data):
                out.setdefault(k, [])
                if s.labels.get("indicator", "none") != "none":
                    indicator[k] = s.labels["indicator"]
    incidents: dict[int, dict[str, str]] = defaultdict(dict)  # step -> id -> text
    for s in data.incidents:
        if s.labels.get("page") == page:
            text = (
                f"incident “{s.labels.get('name', '')}” ({s.labels.get('impact', '')}, "
                f"{s.labels.get('status', '')})"
            )
            for k in _present([s], data):
                incidents[k][s.labels.get("incident_id", "")] = text
    naming: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for s in data.incident_components:
        if s.labels.get("page") == page:
            for k in _present([s], data):
                naming[k][s.labels.get("component", "")].add(s.labels.get("incident_id", ""))
    for k, shown in out.items():
        page_wide = None in components or bool(mine - listed[k])
        for component in sorted(mine & listed[k]):
            shown += [incidents[k][i] for i in sorted(naming[k][component]) if i in incidents[k]]
        if page_wide:
            if k in indicator:
                shown.append(f"page indicator {indicator[k]}")
            shown += list(incidents[k].values())
    return out


def _official(data: Data, page: str, components: Sequence[str | None]) -> float | None:
    """Share of the steps with page data where the page claimed the upstream available."""
    named = {c for c in components if c}
    steps: dict[int, bool] = {}
    for s in data.components:
        if s.labels.get("page") == page and s.labels.get("component") in named:
            ok = s.labels.get("status") in AVAILABLE
            for k in _present([s], data):
                steps[k] = steps.get(k, True) and ok
    if None in components:
        for s in data.indicator:
            if s.labels.get("page") == page:
                ok = s.labels.get("indicator") in AVAILABLE_INDICATORS
                for k in _present([s], data):
                    steps[k] = steps.get(k, True) and ok
    return sum(steps.values()) / len(steps) if steps else None


def _worst(
    data: Data, histograms: list[Series], keys: set[tuple[str, str]], lo: int, hi: int
) -> str:
    """The highest latency bucket that saw a run between steps lo and hi."""
    worst: tuple[float, str, str] | None = None
    by_key: dict[tuple[str, str], dict[float, list[tuple[float, float]]]] = defaultdict(dict)
    for s in histograms:
        key = (s.labels.get("region", ""), s.labels.get("probe", ""))
        if key in keys:
            by_key[key][float(s.labels.get("le", "inf"))] = s.points
    for (region, probe), buckets in by_key.items():
        grew = {}
        for le, points in buckets.items():
            before = [v for t, v in points if data.index(t) <= lo - 1]
            after = [v for t, v in points if data.index(t) <= hi]
            if after:
                start = before[-1] if before else 0.0
                grew[le] = after[-1] - start if after[-1] >= start else after[-1]
        total = grew.get(math.inf, 0.0)
        if total <= 0:
            continue
        le = min(b for b, n in grew.items() if n >= total)
        if worst is None or le > worst[0]:
            worst = (le, probe, region)
    if worst is None:
        return "no data"
    le, probe, region = worst
    where = f"probe {probe}" + (f", region {region}" if region else "")
    bound = "above the largest bucket" if math.isinf(le) else f"≤ {le:g}s"
    return f"{bound} ({where})"


def _totals(data: Data) -> dict[tuple[str, str], Share]:
    """(region, probe) -> failed and total runs over the range (the instant query)."""
    failed: dict[tuple[str, str], float] = defaultdict(float)
    runs: dict[tuple[str, str], float] = defaultdict(float)
    for s in data.totals:
        key = (s.labels.get("region", ""), s.labels.get("probe", ""))
        value = s.points[0][1]
        runs[key] += value
        if s.labels.get("outcome") != "success":
            failed[key] += value
    return {k: Share(round(failed[k]), round(n)) for k, n in runs.items()}


def _sum(shares: Iterable[Share]) -> Share:
    failed = runs = 0
    for s in shares:
        failed += s.failed
        runs += s.runs
    return Share(failed, runs)


def _episodes(steps: list[int], gap: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for k in sorted(steps):
        if out and k - out[-1][1] <= gap:
            out[-1] = (out[-1][0], k)
        else:
            out.append((k, k))
    return out


def _share(probes: Iterable[_Probe], lo: int, hi: int) -> Share:
    failed = runs = 0.0
    for p in probes:
        failed += sum(n for k, n in p.failed.items() if lo <= k <= hi)
        runs += sum(n for k, n in p.runs.items() if lo <= k <= hi)
    return Share(round(failed), round(runs))


def _sorted(shares: dict[str, Share]) -> dict[str, Share]:
    return dict(sorted(shares.items(), key=lambda kv: (-kv[1].ratio, kv[0])))


def analyse(data: Data) -> Report:
    probes = dict(_probes(data))  # range data: only the probes that failed somewhere
    mapping = _mapping(data)
    n = len(data.times) - 1
    totals = _totals(data)
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for region, probe in sorted(set(probes) | set(totals)):
        page = mapping.get(probe, ("", None))[0]
        groups[page or f"probe {probe}"].append((region, probe))
    upstreams = []
    total_runs = 0
    bucket_steps = max(n // BUCKETS, 1)
    for name, keys in sorted(groups.items()):
        names = sorted({p for _, p in keys})
        page = mapping.get(names[0], ("", None))[0]
        components = sorted({mapping.get(p, ("", None))[1] for p in names}, key=str)
        members = [probes.get(k) or _Probe() for k in keys]
        up = Upstream(
            name,
            page,
            tuple(c or "(whole page)" for c in components),
            tuple(names),
            tuple(sorted({r for r, _ in keys})),
            measured=_sum(_share([probes[k]], 0, n) if k in probes else totals[k] for k in keys),
            official=_official(data, page, components) if page else None,
        )
        total_runs += up.measured.runs
        admits = _status_steps(data, page, components) if page else {}
        failing = sorted({k for p in members for k, f in p.failed.items() if f > 0})
        for lo, hi in _episodes(failing, max(round(GAP * n), 1)):
            share = _share(members, lo, hi)
            if share.failed < MIN_FAILURES:
                for (region, _), p in zip(keys, members, strict=True):
                    for k in range(lo, hi + 1):
                        for outcome in p.outcomes.get(k, {}):
                            up.isolated.append((data.times[k], region, outcome))
                continue
            up.episodes.append(_episode(data, keys, members, lo, hi, admits, bucket_steps))
        up.isolated.sort()
        if up.trouble:
            _chart(up, data, keys, members, admits, bucket_steps)
        upstreams.append(up)
    return Report(data.start, data.end, data.step, upstreams, total_runs)


def _episode(
    data: Data,
    keys: list[tuple[str, str]],
    members: list[_Probe],
    lo: int,
    hi: int,
    admits: dict[int, list[str]],
    bucket_steps: int,
) -> Episode:
    share = _share(members, lo, hi)
    regions: dict[str, list[_Probe]] = defaultdict(list)
    by_probe: dict[str, list[_Probe]] = defaultdict(list)
    outcomes: Counter[str] = Counter()
    for (region, probe), p in zip(keys, members, strict=True):
        regions[region].append(p)
        by_probe[probe].append(p)
        for k, counts in p.outcomes.items():
            if lo <= k <= hi:
                outcomes.update(counts)
    peak = 0.0
    for ps in regions.values():
        for b in range(lo - lo % bucket_steps, hi + 1, bucket_steps):
            s = _share(ps, b, b + bucket_steps - 1)
            if s.runs:
                peak = max(peak, s.ratio)
    onset = data.times[lo]
    admitted = None
    first = next((k for k in range(lo, len(data.times)) if admits.get(k)), None)
    if first is not None:
        while first - 1 in admits and admits[first - 1]:  # admitted earlier already
            first -= 1
        at = data.times[first]
        admitted = Admission(at, at - onset, tuple(dict.fromkeys(admits[first])))
    key_set = set(keys)
    return Episode(
        onset,
        data.times[hi],
        share.failed,
        share.runs,
        _sorted({r: _share(ps, lo, hi) for r, ps in regions.items()}),
        _sorted({p: _share(ps, lo, hi) for p, ps in by_probe.items()}),
        dict(outcomes.most_common()),
        peak,
        _worst(data, data.duration, key_set, lo, hi),
        _worst(data, data.ttft, key_set, lo, hi),
        admitted,
    )


def _chart(
    up: Upstream,
    data: Data,
    keys: list[tuple[str, str]],
    members: list[_Probe],
    admits: dict[int, list[str]],
    bucket_steps: int,
) -> None:
    n = len(data.times) - 1
    starts = list(range(0, n + 1, bucket_steps))
    up.buckets = [data.times[b] for b in starts]
    regions: dict[str, list[_Probe]] = defaultdict(list)
    for (region, _), p in zip(keys, members, strict=True):
        regions[region].append(p)
    for region, ps in sorted(regions.items()):
        line: list[float | None] = []
        for b in starts:
            s = _share(ps, b, b + bucket_steps - 1)
            line.append(s.ratio if s.runs else None)
        up.series[region] = line
    band: Band | None = None
    for k, t in enumerate(data.times):
        shown = admits.get(k)
        if shown is None:
            kind, text = "none", "no status-page data"
        elif not shown:
            kind, text = "ok", "operational"
        else:
            text = "; ".join(dict.fromkeys(shown))
            kind = (
                "outage"
                if "major_outage" in text
                else ("incident" if "incident" in text else "degraded")
            )
        if band is not None and band.kind == kind and band.text == text:
            band = Band(band.start, t + data.step, kind, text)
            up.bands[-1] = band
        else:
            band = Band(t, t + data.step, kind, text)
            up.bands.append(band)
