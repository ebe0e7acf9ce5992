"""The exporter's own health: scraped at all, every target present, every probe still
running, config reloaded, probed certificates.

One exporter of several (one per region, say) down is a warning: the others still watch.
Every one down, or none left in service discovery, is a page: nothing is watched."""

from __future__ import annotations

from exporter.durations import parse_duration
from exporter.rules.model import Alert, Group, alert, num, sel
from exporter.rules.params import Params


def group(params: Params) -> Group:
    return Group(
        "statusprobe-exporter",
        (
            *_down(params),
            *_missing(params),
            _probe_stale(params),
            _reload(params),
            *_certificates(params),
        ),
    )


def _down(params: Params) -> list[Alert]:
    up = f"up{{{params.exporter_selector}}}" if params.exporter_selector else "up"
    for_ = params.window(params.exporter_down_for)
    us = (
        "Them or us: us. Check the pod or process (crash loop, OOM kill, a config that "
        "fails to load at start), its /-/healthy endpoint and the scrape's error on "
        "Prometheus' targets page."
    )
    return [
        alert(
            params,
            "StatusprobeExporterDown",
            f"{up} == 0",
            for_=params.exporter_down_for,
            severity="warning",
            summary="Prometheus cannot scrape a statusprobe exporter.",
            description=(
                "{{ $labels.instance }} (job {{ $labels.job }}) has been down for "
                f"{for_}: its probes and status pages are not watched from there. {us}"
            ),
        ),
        alert(
            params,
            "StatusprobeExporterDown",
            f"max by (job) ({up}) == 0",
            for_=params.exporter_down_for,
            severity="critical",
            summary="Prometheus cannot scrape any statusprobe exporter.",
            description=(
                "Every statusprobe target of job {{ $labels.job }}, in every region, has "
                f"been down for {for_}: upstream outages go unseen. {us}"
            ),
        ),
    ]


def _missing(params: Params) -> list[Alert]:
    selector = params.exporter_selector
    up = f"up{{{selector}}}" if selector else "up"
    window = params.window(params.exporter_targets_window)
    step = params.window("1m")
    return [
        alert(
            params,
            "StatusprobeExporterAbsent",
            f"absent({up})",
            for_=params.exporter_absent_for,
            severity="critical",
            summary="Prometheus has no statusprobe exporter to scrape.",
            description=(
                f"No scrape target matches {up} for "
                f"{params.window(params.exporter_absent_for)}: nothing watches the upstreams, "
                "and no other statusprobe alert can fire. Them or us: us. Check service "
                "discovery (the ServiceMonitor or PodMonitor selector, the scrape config's "
                "job name, the rules' exporter_selector parameter) and whether the exporter "
                "is deployed at all."
            ),
        ),
        alert(
            params,
            "StatusprobeExporterTargetsMissing",
            f"count by (job) ({up})\n<\nmax_over_time(count by (job) ({up})[{window}:{step}])",
            for_=params.exporter_targets_for,
            severity="warning",
            summary="A statusprobe scrape target vanished from service discovery.",
            description=(
                "Job {{ $labels.job }} has {{ $value }} targets, fewer than it had within "
                f"the last {window}: a vantage point is gone without being down (its "
                "region's outages go unseen). Them or us: us. If you scaled down or removed "
                "a region on purpose, this resolves by itself after "
                f"{window}; otherwise check service discovery and the deployment there."
            ),
        ),
    ]


def _probe_stale(params: Params) -> Alert:
    last_run = sel(params, "statusprobe_probe_last_run_timestamp_seconds")
    up = f"up{{{params.exporter_selector}}}" if params.exporter_selector else "up"
    after = params.window(params.probe_stale_after)
    return alert(
        params,
        "StatusprobeProbeStale",
        f"time() - max by (job, instance, probe) ({last_run})\n"
        f"> {num(parse_duration(after))}\n"
        f"and on (job, instance)\n{up} == 1",
        for_=params.probe_stale_for,
        severity="warning",
        summary="A probe stopped running inside a live exporter.",
        description=(
            "Probe {{ $labels.probe }} on {{ $labels.instance }} last ran "
            "{{ $value | humanizeDuration }} ago (alerting after "
            f"{after}), while the exporter is up: its counters stop moving and its "
            "gauges keep the last result, which may say all is well. Them or us: us. See "
            "statusprobe_scheduler_skipped_runs_total and the scheduler lag on the probe "
            "dashboard (a saturated scheduler, a probe stuck past its timeout); restart "
            "the exporter if it does not recover."
        ),
    )


def _reload(params: Params) -> Alert:
    return alert(
        params,
        "StatusprobeConfigReloadFailed",
        f"{sel(params, 'statusprobe_config_last_reload_successful')} == 0",
        for_=params.config_reload_for,
        severity="warning",
        summary="The statusprobe configuration could not be reloaded.",
        description=(
            "The last config reload of {{ $labels.instance }} failed; the previous config "
            "stays in force. Them or us: us. Run `statusprobe check-config --config.file F` "
            "on the new file (or read the 500 response of POST /-/reload), fix it, reload."
        ),
    )


def _certificates(params: Params) -> list[Alert]:
    expiry = sel(params, "statusprobe_probe_tls_cert_expiry_timestamp_seconds")
    out = []
    for severity, threshold in (
        ("warning", params.cert_expiry_warning),
        ("critical", params.cert_expiry_critical),
    ):
        seconds = num(parse_duration(threshold))
        out.append(
            alert(
                params,
                "StatusprobeProbeCertificateExpiring",
                f"min by (probe) ({expiry} > 0) - time() < {seconds}",
                for_=params.cert_expiry_for,
                severity=severity,
                summary="A probed endpoint's TLS certificate expires soon.",
                description=(
                    "The certificate probe {{ $labels.probe }} was served expires in "
                    f"{{{{ $value | humanizeDuration }}}} (alerting under {threshold}). Them "
                    "or us: a provider's endpoint is theirs to renew (they usually do well "
                    "before; tell them if they have not); an endpoint of yours is us: renew "
                    "it. Once it expires, every probe of it fails with tls_error."
                ),
            )
        )
    return out
