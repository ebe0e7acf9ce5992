"""Keeps the objects that live as long as a config out of the garbage collector's way.

CPython's full collection walks every object the collector tracks, and everything on the
event loop waits while it does. A process with ten thousand probes tracks some 400,000
objects that live as long as the config (its models, the scheduler's tasks and their
coroutines, the modules and classes loaded at start): a full collection took 220 ms,
every 15 s or so, and each one delayed every probe due meanwhile (scheduler lag p99 over
90 ms). `settle()`, called when a config comes into force, moves them to the permanent
generation (`gc.freeze()`), which collections skip; what a probe run creates and drops is
collected as before. Frozen objects are still freed by reference counting; only cyclic
garbage among them would stay, so each `settle()` first unfreezes and collects once,
and a reload leaves nothing behind; that one collection is a pause like the old ones
(about 0.2 s at ten thousand probes), once per reload (docs/benchmarks.md).
"""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger(__name__)


def settle() -> None:
    """Collect what the previous config left, then freeze what is alive now."""
    began = time.perf_counter()
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    log.debug(
        "heap settled: %d objects frozen in %.0f ms",
        gc.get_freeze_count(),
        (time.perf_counter() - began) * 1e3,
    )
