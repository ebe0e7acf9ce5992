"""State and history -> what the board shows, one `Upstream` per status page (pure).

An upstream is a status page and the probes mapped to it (`page:` in the probe's config);
probes without a page form one more upstream at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from exporter.board.judge import DIVERGENCE_WINDOW, MIN_SPAN, Verdict, admitted, failures
from exporter.durations import format_duration
from exporter.exposition.series import target_host
from exporter.history import History, Poll, Run
from exporter.models import Incident, PageSnapshot
from exporter.state import PageState, ProbeState, StateSnapshot

WINDOWS = (300.0, 3600.0, 86400.0)  # 5m, 1h, 24h
LAST_FAILURES = 5  # per upstream


@dataclass(frozen=True)
class Options:
    """How the board judges and refreshes. The demo compresses time by `time_scale`."""

    time_scale: float = 1.0  # >1: the story plays faster than life; windows shrink alike
    refresh_seconds: float = 10.0
    banner: Callable[[], str] | None = None  # a line above everything (the demo's phase)

    def seconds(self, real: float) -> float:
        return real / self.time_scale


@dataclass(frozen=True)
class Window:
    label: str
    ok: int
    runs: int


@dataclass(frozen=True)
class ProbeView:
    name: str
    type: str
    target: str
    component: str | None
    official: str | None  # what the page says about what it measures; None: unknown
    windows: tuple[Window, ...]
    runs: tuple[Run, ...]
    verdict: Verdict  # over the divergence window
    diverging: bool  # failing, and the page admitted nothing in the window
    acknowledged: bool  # failing, and the page admitted trouble with it
    keyless: bool | None = None


@dataclass(frozen=True)
class Failure:
    probe: str
    run: Run


@dataclass(frozen=True)
class Notice:
    """An incident or a maintenance as the board lists it."""

    name: str
    impact: str
    status: str
    started_at: float | None
    link: str


@dataclass(frozen=True)
class PageView:
    name: str
    provider: str
    url: str
    configured: bool
    polled: bool = False
    up: bool = False
    stale: bool = True
    last_success: float | None = None
    down_since: float | None = None  # the first failed poll of the current failing streak
    last_error: str = ""
    indicator: str | None = None
    description: str = ""
    incidents: tuple[Notice, ...] = ()
    maintenances: tuple[Notice, ...] = ()
    polls: tuple[Poll, ...] = ()


@dataclass(frozen=True)
class Upstream:
    page: PageView | None  # None: the probes without a status page
    probes: tuple[ProbeView, ...]
    failures: tuple[Failure, ...]
    start: float  # the oldest time any strip shows

    @property
    def diverging(self) -> tuple[ProbeView, ...]:
        return tuple(p for p in self.probes if p.diverging)


@dataclass(frozen=True)
class Board:
    version: str
    now: float
    ready: bool
    waiting: tuple[str, ...]  # what the first round still waits for
    reload_error: str
    upstreams: tuple[Upstream, ...]
    options: Options
    window: str  # the divergence window, as a duration
    banner: str = ""
    counts: Mapping[str, int] = field(default_factory=dict)


def incident_link(page: PageState, incident: Incident) -> str:
    """The incident on the provider's page: Statuspage has /incidents/<id>, the others get
    the page itself."""
    provider = (page.snapshot and page.snapshot.provider) or page.config.provider
    base = page.config.url.rstrip("/")
    return f"{base}/incidents/{incident.id}" if provider == "statuspage" else base


def official(snapshot: PageSnapshot | None, component: str | None) -> str | None:
    """What the page says about `component` (None: the page as a whole): a component
    status, or "operational" for indicator none; None when unknown."""
    if snapshot is None:
        return None
    if component is None:
        value = snapshot.indicator.value
        return "operational" if value == "none" else value
    for comp in snapshot.components:
        if comp.name == component:
            return comp.status.value
    return None


def _down_since(polls: Sequence[Poll]) -> float | None:
    since = None
    for poll in reversed(polls):
        if poll.up:
            break
        since = poll.at
    return since


def _page(name: str, page: PageState | None, history: History, now: float) -> PageView:
    if page is None:
        return PageView(name, "", "", configured=False)
    snap = page.snapshot
    polls = tuple(history.polls(name))
    notices = [
        tuple(
            Notice(i.name, i.impact.value, i.status, i.started_at, incident_link(page, i))
            for i in items
        )
        for items in ((snap.incidents, snap.maintenances) if snap else ((), ()))
    ]
    return PageView(
        name,
        (snap and snap.provider) or page.config.provider,
        page.config.url,
        configured=True,
        polled=page.polled,
        up=page.up,
        stale=page.is_stale(now),
        last_success=page.last_success,
        down_since=None if page.up else _down_since(polls),
        last_error=page.last_error,
        indicator=snap.indicator.value if snap else None,
        description=snap.description if snap else "",
        incidents=notices[0],
        maintenances=notices[1],
        polls=polls,
    )


def _probe(
    name: str,
    probe: ProbeState,
    page: PageState | None,
    history: History,
    now: float,
    options: Options,
) -> ProbeView:
    cfg = probe.config
    # `keyless` (the probe sends no credential) where the config model has it
    keyless = getattr(cfg, "keyless", None)
    ring = history.probes.get(name)
    runs = tuple(ring.runs) if ring else ()
    windows = []
    for real in WINDOWS:
        seconds = options.seconds(real)
        ok, total = ring.success(now, seconds) if ring else (0, 0)
        windows.append(Window(format_duration(seconds), ok, total))
    said = official(page.snapshot if page else None, cfg.component)
    window = options.seconds(DIVERGENCE_WINDOW)
    recent = ring.window(now, window) if ring else []
    verdict = failures(recent, options.seconds(MIN_SPAN))
    admits = page is not None and admitted(
        list(history.polls(page.config.name)),
        cfg.component,
        now,
        window,
        page.config.effective_stale_after,
    )
    return ProbeView(
        name,
        cfg.type,
        target_host(cfg.url),
        cfg.component,
        said,
        tuple(windows),
        runs,
        verdict,
        # mapped probes only, as the rule (`page!=""` on statusprobe_probe_info)
        cfg.page is not None and verdict.failing and not admits,
        cfg.page is not None and verdict.failing and admits,
        keyless,
    )


def _failures(probes: Sequence[ProbeView], states: Mapping[str, ProbeState]) -> list[Failure]:
    out = [Failure(p.name, r) for p in probes for r in p.runs if not r.success]
    shown = {p.name for p in probes if any(not r.success for r in p.runs)}
    for p in probes:  # older than the ring: the state's last failure
        state = states[p.name]
        if p.name not in shown and state.last_failure and state.last_failure_at is not None:
            out.append(Failure(p.name, Run.of(state.last_failure, state.last_failure_at)))
    out.sort(key=lambda f: f.run.at, reverse=True)
    return out[:LAST_FAILURES]


def build(
    snapshot: StateSnapshot,
    history: History,
    *,
    version: str,
    ready: bool,
    reload_error: str,
    now: float,
    options: Options,
) -> Board:
    names = sorted(snapshot.pages)
    by_page: dict[str | None, list[str]] = {}
    for name, probe in sorted(snapshot.probes.items()):
        by_page.setdefault(probe.config.page, []).append(name)
    # probes naming a page that is not configured still get an upstream
    names += sorted(n for n in by_page if n is not None and n not in snapshot.pages)
    groups: list[tuple[str | None, list[str]]] = [(n, by_page.get(n, [])) for n in names]
    if None in by_page:
        groups.append((None, by_page[None]))
    upstreams = []
    for page_name, probe_names in groups:
        page_state = snapshot.pages.get(page_name) if page_name else None
        probes = tuple(
            _probe(n, snapshot.probes[n], page_state, history, now, options) for n in probe_names
        )
        page = _page(page_name, page_state, history, now) if page_name else None
        times = [r.at for p in probes for r in p.runs[:1]]
        times += [page.polls[0].at] if page and page.polls else []
        start = min(times, default=now)
        start = min(start, now - options.seconds(600))  # at least ten minutes wide
        upstreams.append(Upstream(page, probes, tuple(_failures(probes, snapshot.probes)), start))
    waiting = tuple(
        [f"the first poll of page {n}" for n, p in sorted(snapshot.pages.items()) if not p.polled]
        + [f"the first run of probe {n}" for n, p in sorted(snapshot.probes.items()) if not p.last]
    )
    banner = options.banner() if options.banner else ""
    return Board(
        version,
        now,
        ready,
        waiting,
        reload_error,
        tuple(upstreams),
        options,
        format_duration(options.seconds(DIVERGENCE_WINDOW)),
        banner,
        {"pages": len(snapshot.pages), "probes": len(snapshot.probes)},
    )
