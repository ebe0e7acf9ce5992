"""The rules pack: alerting, recording and SLO rules for Prometheus, rendered from code.

  params.py           the parameters and their defaults (the mixin's `_config`), profiles
  model.py            typed rules and groups, shared PromQL helpers
  recording.py        recording rules the alerts and dashboards build on
  divergence.py       probes fail while the status page says operational
  upstream.py         down, localized, intermittent, per-outcome and latency alerts
  status_page.py      declared incidents, degraded components, unreachable pages
  slo.py              multi-window multi-burn-rate SLO rules, claimed vs measured
  exporter_health.py  the exporter's own health
  render.py           YAML files with the generated header

`statusprobe rules --output.dir D` writes them; the files under `rules/` are the default
output.
"""

from exporter.generated_files import write
from exporter.rules.params import COMPRESSION, PROFILES, Params, for_profile, with_overrides
from exporter.rules.render import render
from exporter.rules.slo import SLOSpec, from_config

__all__ = [
    "COMPRESSION",
    "PROFILES",
    "Params",
    "SLOSpec",
    "for_profile",
    "from_config",
    "render",
    "with_overrides",
    "write",
]
