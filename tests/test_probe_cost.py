"""Structural guards for the probe's CPU cost (the numbers are in docs/benchmarks.md).

No timings here: each test counts work that must not happen on every probe run.
"""

from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Sequence
from types import ModuleType

from exporter.config import parse_config
from exporter.probes import run_probe
from tests.upstream import Upstream


class _ImportSpy(importlib.abc.MetaPathFinder):
    """Records every module lookup that reaches the import machinery (not sys.modules)."""

    def __init__(self) -> None:
        self.searched: list[str] = []

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> None:
        self.searched.append(fullname)
        return None


async def test_a_probe_run_imports_nothing(upstream: tuple[Upstream, str]) -> None:
    # httpcore runs `import sniffio` for every request; when sniffio is not installed
    # each attempt searches sys.path again (a quarter of a probe's CPU). Any import
    # that fails on every run is the same kind of waste.
    _, base = upstream
    probe = {"name": "p", "type": "http", "url": f"{base}/api/v2/summary.json", "interval": "30s"}
    config = parse_config({"probes": [probe]}).probes[0]
    first = await run_probe(config)  # the first run may import lazily
    spy = _ImportSpy()
    sys.meta_path.insert(0, spy)
    try:
        results = [await run_probe(config) for _ in range(3)]
    finally:
        sys.meta_path.remove(spy)
    assert first.status_code == 200
    assert [r.status_code for r in results] == [200, 200, 200]
    assert spy.searched == []
