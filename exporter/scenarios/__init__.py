"""The scenario engine: simulated upstreams on loopback, driven by a timeline.

It powers the end-to-end tests (tests/e2e/) and `statusprobe demo`. Only loopback: the
servers bind 127.0.0.1 unless told otherwise, and nothing here reaches the internet.

  timeline.py     phases (page state, per-region API behaviour as letter patterns), pure
  statuspage.py   a page state rendered as Atlassian Statuspage v2 JSON, pure
  wire.py         the Anthropic and OpenAI wire formats, pure
  replies.py      one `Reply` served to an aiohttp request in a provider's wire format
  simulation.py   `Simulation`: plays a timeline over HTTP (status page + API per region)
  april.py        the built-in story: an outage like April 2026's, seen from regions a, b, c

    sim = Simulation(april_2026(1 / COMPRESSION))
    async with sim.serve() as urls:          # Endpoints(status_page=..., api=...)
        sim.start()                          # the clock starts; phases follow
        ...  # exporters poll urls.status_page and probe urls.api_for("b")
"""

from exporter.scenarios.april import (
    ANTHROPIC_PAGE,
    API_COMPONENT,
    FAILING_REGION,
    REGIONS,
    april_2026,
)
from exporter.scenarios.replies import Reply
from exporter.scenarios.simulation import Answer, Endpoints, Simulation
from exporter.scenarios.statuspage import ComponentSpec, PageLayout
from exporter.scenarios.timeline import (
    HEALTHY,
    LETTERS,
    OPERATIONAL,
    Incident,
    PageState,
    Pattern,
    Phase,
    Timeline,
)

__all__ = [
    "ANTHROPIC_PAGE",
    "API_COMPONENT",
    "FAILING_REGION",
    "HEALTHY",
    "LETTERS",
    "OPERATIONAL",
    "REGIONS",
    "Answer",
    "ComponentSpec",
    "Endpoints",
    "Incident",
    "PageLayout",
    "PageState",
    "Pattern",
    "Phase",
    "Reply",
    "Simulation",
    "Timeline",
    "april_2026",
]
