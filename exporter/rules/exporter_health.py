"""The exporter's own health: scraped at all, config reloaded, probed certificates."""

from __future__ import annotations

from exporter.durations import parse_duration
from exporter.rules.model import Alert, Group, alert, num, sel
from exporter.rules.params import Params


def group(params: Params) -> Group:
    return Group(
        "statusprobe-exporter",
        (*_down(params), _reload(params), *_certificates(params)),
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
            f"max by (job, region) ({up}) == 0",
            for_=params.exporter_down_for,
            severity="critical",
            summary="Prometheus cannot scrape a statusprobe exporter.",
            description=(
                "Every statusprobe target of job {{ $labels.job }}"
                "{{ if $labels.region }} in region {{ $labels.region }}{{ end }} has been "
                f"down for {for_}: upstream outages there go unseen. {us}"
            ),
        ),
    ]


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
