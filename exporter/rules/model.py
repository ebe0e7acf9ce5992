"""Typed rules and groups, and the small PromQL helpers every rule module shares."""

from __future__ import annotations

from dataclasses import dataclass, field

from exporter.rules.params import Params

SEVERITIES = ("critical", "warning", "info")


class Folded(str):
    """Prose: written as a folded YAML block."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Record:
    record: str
    expr: str
    labels: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"record": self.record, "expr": self.expr}
        if self.labels:
            out["labels"] = dict(self.labels)
        return out


@dataclass(frozen=True, slots=True)
class Alert:
    alert: str
    expr: str
    for_: str  # already scaled; "0s" is left out
    severity: str
    summary: str  # static
    description: str  # templated
    runbook_url: str
    dashboard_url: str
    labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"{self.alert}: severity {self.severity!r} not in {SEVERITIES}")

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"alert": self.alert, "expr": self.expr}
        if self.for_ != "0s":
            out["for"] = self.for_
        out["labels"] = {"severity": self.severity, **self.labels}
        out["annotations"] = {
            "summary": self.summary,
            "description": Folded(self.description),
            "runbook_url": self.runbook_url,
            "dashboard_url": self.dashboard_url,
        }
        return out


Rule = Record | Alert


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    rules: tuple[Rule, ...]

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "rules": [rule.to_dict() for rule in self.rules]}


def alert(
    params: Params,
    name: str,
    expr: str,
    *,
    for_: str,
    severity: str,
    summary: str,
    description: str,
    labels: dict[str, str] | None = None,
) -> Alert:
    """An alert whose `for:` is a parameter (scaled here) and whose runbook is the pack's."""
    return Alert(
        alert=name,
        expr=expr,
        for_=params.window(for_),
        severity=severity,
        summary=summary,
        description=description,
        runbook_url=params.runbook_url(name),
        dashboard_url=params.dashboard_url(),
        labels=labels or {},
    )


def sel(params: Params, metric: str, *matchers: str) -> str:
    """`metric{<params.selector>,<matchers>}`; just `metric` when there are none."""
    parts = [m for m in (params.selector, *matchers) if m]
    return f"{metric}{{{','.join(parts)}}}" if parts else metric


def num(value: float) -> str:
    """A PromQL number literal: 12 significant digits, no trailing `.0` (`0.005`, `2`)."""
    text = repr(float(f"{value:.12g}"))
    return text[:-2] if text.endswith(".0") else text


def pct(value: float) -> str:
    """0.05 -> "5%" for descriptions."""
    return f"{num(value * 100)}%"


def le(bound: float) -> str:
    """A histogram bound as prometheus_client writes the `le` label: 10 -> "10.0"."""
    return repr(float(bound))


def indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line else line for line in text.splitlines())
