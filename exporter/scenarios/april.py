"""The built-in story: an outage like April 2026's, seen from three regions.

Durations are the default profile's (minutes of a real incident); `april_2026(scale)`
compresses them, e.g. by `1 / COMPRESSION` for the compressed rules profile, where a
minute of the story takes a second.

    healthy      15m  every region succeeds; the page says "All Systems Operational"
    spikes       25m  region b fails 7 requests in 10 (401s, 529s and a stall) while the
                      page still says operational; regions a and c are healthy
    incident     15m  the page declares a minor incident and shows the Claude API in
                      partial_outage; region b keeps failing
    monitoring   10m  the API has recovered everywhere; the incident is "monitoring"
    resolved     20m  the incident is resolved, the page operational again
"""

from __future__ import annotations

from exporter.scenarios.statuspage import ComponentSpec, PageLayout
from exporter.scenarios.timeline import Incident, PageState, Pattern, Phase, Timeline

REGIONS = ("a", "b", "c")
FAILING_REGION = "b"
API_COMPONENT = "Claude API (api.anthropic.com)"
SPIKES = Pattern("AOSTOSAOAS")  # 7 of 10 fail: 3 x 401, 3 x 529, 1 stall

ANTHROPIC_PAGE = PageLayout(
    name="Claude",
    url="https://status.claude.com",
    components=(
        ComponentSpec("claude.ai", description="Chat on the web, desktop and mobile apps."),
        ComponentSpec(
            API_COMPONENT,
            group="Claude Developer Platform",
            description="The Claude API, including the Messages API.",
        ),
        ComponentSpec("platform.claude.com", group="Claude Developer Platform"),
        ComponentSpec("Claude Code"),
    ),
)

INCIDENT = Incident(
    id="e2eapr26q1xz",
    name="Elevated errors on the Claude API",
    status="investigating",
    impact="minor",
    components=(API_COMPONENT,),
    update="We are investigating elevated error rates on the Claude API for some users.",
)
MONITORING = Incident(
    id=INCIDENT.id,
    name=INCIDENT.name,
    status="monitoring",
    impact="minor",
    components=(API_COMPONENT,),
    update="A fix has been implemented and we are monitoring the results.",
)

MINUTE = 60.0


def april_2026(scale: float = 1.0) -> Timeline:
    """The story, every duration multiplied by `scale`."""
    phases = (
        Phase("healthy", 15 * MINUTE, summary="every region healthy, the page operational"),
        Phase(
            "spikes",
            25 * MINUTE,
            regions={FAILING_REGION: SPIKES},
            summary="region b: spikes of 401/529 and stalls; the page says operational",
        ),
        Phase(
            "incident",
            15 * MINUTE,
            page=PageState(
                indicator="minor",
                description="Minor Service Outage",
                components={API_COMPONENT: "partial_outage"},
                incidents=(INCIDENT,),
            ),
            regions={FAILING_REGION: SPIKES},
            summary="the page declares an incident; region b keeps failing",
        ),
        Phase(
            "monitoring",
            10 * MINUTE,
            page=PageState(
                indicator="minor",
                description="Minor Service Outage",
                incidents=(MONITORING,),
            ),
            summary="the API has recovered; the incident is monitoring",
        ),
        Phase("resolved", 20 * MINUTE, summary="the incident is resolved, the page operational"),
    )
    return Timeline(phases).scaled(scale)
