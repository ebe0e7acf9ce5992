"""The JSON status document (`/api/v1/status`), also the source of the landing page.

It shows what the metrics cannot: the last error text of each page, the
provider's request id of each probe's last failure (for support tickets).
It never contains a secret: probe configs are summarised, never dumped.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from exporter import __version__
from exporter.caps import dropped, kept_components, kept_incidents
from exporter.exposition.collector import target_host
from exporter.models import OUTCOMES, ProbeResult
from exporter.state import PageState, ProbeState, StateSnapshot


def _page(name: str, page: PageState, now: float) -> dict[str, Any]:
    snap = page.snapshot
    components = snap.components if snap else ()
    incidents = snap.incidents if snap else ()
    return {
        "name": name,
        # what `auto` detected, else what is configured (as statusprobe_page_info shows)
        "provider": (snap and snap.provider) or page.config.provider,
        "url": page.config.url,
        "up": page.up,
        "polled": page.polled,
        "stale": page.is_stale(now),  # metrics no longer mirror this snapshot
        "last_success": page.last_success,
        "last_error": page.last_error,
        "unknown_values": list(snap.unknown_values) if snap else [],
        "indicator": snap.indicator.value if snap else None,
        "description": snap.description if snap else None,
        # The same bounds as the metrics (caps.py): a page listing 100,000 components
        # must not make this document megabytes long.
        "components": [
            {"name": c.name, "group": c.group, "status": c.status.value}
            for c in kept_components(components, page.config.max_components)
        ],
        "incidents": [
            {"id": i.id, "name": i.name, "impact": i.impact.value, "status": i.status}
            for i in kept_incidents(incidents, page.config.max_incidents)
        ],
        "omitted": dict(
            zip(
                ("components", "incidents"),
                dropped(
                    components,
                    incidents,
                    max_components=page.config.max_components,
                    max_incidents=page.config.max_incidents,
                ),
                strict=True,
            )
        ),
    }


def _result(result: ProbeResult | None, at: float | None) -> dict[str, Any] | None:
    if result is None:
        return None
    return {
        "outcome": result.outcome.value,
        "status_code": result.status_code,
        "duration_seconds": round(result.duration, 6),
        "ttft_seconds": None if result.ttft is None else round(result.ttft, 6),
        "detail": result.detail,
        "request_id": result.request_id,
        "at": at,
    }


def _official(probe: ProbeState, pages: Mapping[str, PageState]) -> str | None:
    """What the mapped page says about what this probe measures; None when unmapped."""
    if probe.config.page is None:
        return None
    page = pages.get(probe.config.page)
    if page is None or page.snapshot is None:
        return "unknown (page not polled)"
    return page.snapshot.official_status(probe.config.component)


def _probe(name: str, probe: ProbeState, pages: Mapping[str, PageState]) -> dict[str, Any]:
    cfg = probe.config
    return {
        "name": name,
        "type": cfg.type,
        "keyless": cfg.keyless,  # sends no credential: sees what anonymous callers see
        "target": target_host(cfg.url),
        "page": cfg.page,
        "component": cfg.component,
        "official": _official(probe, pages),
        "last": _result(probe.last, probe.last_run),
        "last_failure": _result(probe.last_failure, probe.last_failure_at),
        "outcomes": {o.value: n for o, n in zip(OUTCOMES, probe.outcomes, strict=True) if n},
    }


def status_document(
    snapshot: StateSnapshot, *, ready: bool, reload_error: str, now: float | None = None
) -> dict[str, Any]:
    now = time.time() if now is None else now
    return {
        "version": __version__,
        "ready": ready,
        "config": {"last_reload_successful": not reload_error, "last_reload_error": reload_error},
        "status_pages": [_page(n, p, now) for n, p in sorted(snapshot.pages.items())],
        "probes": [_probe(n, p, snapshot.pages) for n, p in sorted(snapshot.probes.items())],
    }
