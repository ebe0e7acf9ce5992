"""The chart's copies of the rules and dashboards are exactly the committed ones: `rules/` and
`dashboards/` stay the single source (scripts/sync-chart copies them into the chart)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FILES = ROOT / "helm" / "statusprobe" / "files"


@pytest.mark.parametrize(
    ("source", "copy", "pattern"),
    [("rules", "rules", "statusprobe-*.yml"), ("dashboards", "dashboards", "statusprobe-*.json")],
)
def test_chart_copies_do_not_drift(source: str, copy: str, pattern: str) -> None:
    want = {p.name: p.read_bytes() for p in (ROOT / source).glob(pattern)}
    have = {p.name: p.read_bytes() for p in (FILES / copy).iterdir()}
    assert want, f"nothing matches {source}/{pattern}"
    assert sorted(have) == sorted(want), "run scripts/sync-chart"
    stale = [name for name in want if have[name] != want[name]]
    assert not stale, f"{stale} differ from {source}/: run scripts/sync-chart"
