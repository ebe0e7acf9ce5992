"""docs/contract.md, the public contract, agrees with the code: metrics, label values,
alerts and commands. A name added or removed in code without the contract fails here."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry

from exporter import cli, metrics
from exporter.models import PHASES, ComponentStatus, Impact, Indicator, Outcome, PollError

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = (ROOT / "docs" / "contract.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    match = re.search(rf"^## {title}\n(.*?)(?=^## |\Z)", CONTRACT, re.S | re.M)
    assert match, f"docs/contract.md has no '## {title}' section"
    return match.group(1)


def _table(title: str) -> dict[str, list[str]]:
    """First column (a `name`) -> the other cells, for the table rows of a section."""
    rows = {}
    for line in _section(title).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `") and cells:
            rows[cells[0].strip("`")] = cells[1:]
    return rows


def _exposed() -> dict[str, tuple[str, set[str]]]:
    """Every family the exporter exposes: name as written -> (type, label names)."""
    out = {}
    for spec in metrics.COLLECTED:
        name = spec.name + ("_total" if spec.type == "counter" else "")
        out[name] = (spec.type, set(spec.labels))
    registry = CollectorRegistry()
    metrics.ExporterMetrics(registry)
    for family in registry.collect():
        name = family.name + ("_total" if family.type == "counter" else "")
        labels = {k for s in family.samples for k in s.labels} - {"le"}
        labels |= set(getattr(family, "_labelnames", ()))
        out[name] = (family.type, labels)
    return out


def test_every_exposed_metric_is_in_the_contract_with_its_type_and_labels() -> None:
    documented = _table("Metrics")
    exposed = _exposed()
    assert set(documented) == set(exposed)
    for name, (kind, labels) in exposed.items():
        doc_type, doc_labels = documented[name][0], documented[name][1]
        assert doc_type == kind, name
        written = set(re.findall(r"`(\w+)`", doc_labels))
        assert not labels or written == labels, name


@pytest.mark.parametrize(
    ("label", "values"),
    [
        ("outcome", [o.value for o in Outcome]),
        ("reason", [r.value for r in PollError]),
        ("indicator", [i.value for i in Indicator]),
        ("status", [s.value for s in ComponentStatus]),
        ("impact", [i.value for i in Impact]),
        ("phase", list(PHASES)),
    ],
)
def test_closed_label_sets_match(label: str, values: list[str]) -> None:
    match = re.search(rf"^- `{label}`[^:]*: (.*?)(?=^- |^\n|\Z)", CONTRACT, re.S | re.M)
    assert match, label
    documented = [v.strip() for v in " ".join(match.group(1).split()).split(",")]
    assert documented == values


def test_every_alert_in_rules_is_in_the_contract() -> None:
    alerts = {
        rule["alert"]
        for path in (ROOT / "rules").glob("statusprobe-*.yml")
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    assert set(_table("Alerts")) == alerts


def test_every_command_is_in_the_contract() -> None:
    parser = cli._parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(_table("Commands")) == {f"`{name}`".strip("`") for name in sub.choices}
