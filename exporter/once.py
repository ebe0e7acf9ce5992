"""`statusprobe once`: one round of every page and probe, printed as tables.

The table puts what each page says next to what each probe measured, which is
the whole point of the project in one screen. Upstream failures are data:
they are printed, and the exit code stays 0.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import TypeVar

from exporter.config import Config, ProbeConfig, StatusPageConfig
from exporter.errors import PollFailed
from exporter.logs import Redactor
from exporter.models import PageSnapshot, ProbeResult
from exporter.poller import PagePoller
from exporter.probes import run_probe
from exporter.sources.client import new_poll_client

PageOutcome = PageSnapshot | PollFailed
KEYLESS_NOTE = (
    "KEYLESS yes: the probe sends no credential, so it sees what anonymous callers see, "
    "not failures that hit only signed-in ones (docs/default-config.md)."
)
T = TypeVar("T")


async def run_once(config: Config) -> tuple[list[PageOutcome], list[ProbeResult]]:
    semaphore = asyncio.Semaphore(config.scheduler.max_concurrency)

    async def limited(work: Awaitable[T]) -> T:
        async with semaphore:
            return await work

    async def one_page(page: StatusPageConfig) -> PageOutcome:
        result = await poller.poll(page)
        if result.snapshot is not None:
            return result.snapshot
        assert result.reason is not None
        return PollFailed(result.reason, result.detail)

    poller = PagePoller(new_poll_client())  # plain requests: nothing to revalidate
    with Redactor(config.secret_values()).installed():
        try:
            pages = await asyncio.gather(*(limited(one_page(p)) for p in config.status_pages))
            probes = await asyncio.gather(*(limited(run_probe(p)) for p in config.probes))
        finally:
            await poller.aclose()
    return list(pages), list(probes)


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
    lines = [header, *rows]
    return "\n".join(
        "  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def _official(probe: ProbeConfig, pages: dict[str, PageOutcome]) -> str:
    if probe.page is None:
        return "-"
    outcome = pages.get(probe.page)
    if not isinstance(outcome, PageSnapshot):
        return "unknown (page not polled)"
    return outcome.official_status(probe.component)


def render(config: Config, pages: list[PageOutcome], probes: list[ProbeResult]) -> str:
    page_rows = []
    for cfg, out in zip(config.status_pages, pages, strict=True):
        if isinstance(out, PollFailed):
            page_rows.append([cfg.name, cfg.provider, f"failed: {out}", "-", "-", "-"])
            continue
        degraded = [c for c in out.components if c.status.value != "operational"]
        page_rows.append(
            [
                cfg.name,
                out.provider or cfg.provider,  # what `auto` detected
                "ok",
                out.indicator.value,
                f"{len(out.components)} ({len(degraded)} not operational)",
                str(len(out.incidents)),
            ]
        )
    by_name = {cfg.name: out for cfg, out in zip(config.status_pages, pages, strict=True)}
    probe_rows = [
        [
            cfg.name,
            cfg.type,
            "yes" if cfg.keyless else "no",
            f"{cfg.page}/{cfg.component}" if cfg.component else (cfg.page or "-"),
            _official(cfg, by_name),
            res.outcome.value,
            str(res.status_code or "-"),
            f"{res.duration * 1000:.0f} ms",
            res.detail,
        ]
        for cfg, res in zip(config.probes, probes, strict=True)
    ]
    parts = []
    if page_rows:
        head = ["PAGE", "PROVIDER", "POLL", "INDICATOR", "COMPONENTS", "INCIDENTS"]
        parts.append("Status pages (what they say)\n" + table(head, page_rows))
    if probe_rows:
        head = ["PROBE", "TYPE", "KEYLESS", "MAPS TO", "OFFICIAL", "OUTCOME", "STATUS"]
        head += ["LATENCY", "DETAIL"]
        probes_part = "Probes (what you see)\n" + table(head, probe_rows)
        if any(cfg.keyless for cfg in config.probes):
            probes_part += "\n" + KEYLESS_NOTE
        parts.append(probes_part)
    return "\n\n".join(parts) if parts else "Nothing configured: no status pages and no probes."
