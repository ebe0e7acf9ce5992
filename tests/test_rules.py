"""The rules pack: the committed files are the generator's output, and promtool checks and
unit-tests what the generator renders (tests/rules/*.test.yml)."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from exporter.cli import main
from exporter.config import load_config
from exporter.durations import parse_duration
from exporter.rules import COMPRESSION, Params, SLOSpec, for_profile, from_config, render, write
from exporter.rules.render import HEADER
from tests.tools import binary

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
CASES = Path(__file__).parent / "rules"
RUNBOOK = ROOT / "docs" / "runbook.md"

# The alerts docs/contract.md promises, besides the hand-over alert.
DESIGN_ALERTS = {
    "StatusprobeStatusPageDivergence",
    "StatusprobeUpstreamDown",
    "StatusprobeUpstreamErrorsLocalized",
    "StatusprobeUpstreamIntermittent",
    "StatusprobeUpstreamAuthErrors",
    "StatusprobeUpstreamRateLimited",
    "StatusprobeUpstreamOverloaded",
    "StatusprobeUpstreamSlow",
    "StatusprobeStatusPageIncident",
    "StatusprobeStatusPageComponentDegraded",
    "StatusprobeStatusPageUnreachable",
    "StatusprobeSLOErrorBudgetBurn",
    "StatusprobeExporterDown",
    "StatusprobeConfigReloadFailed",
    "StatusprobeProbeCertificateExpiring",
}
EXTRA_ALERTS = {
    "StatusprobeStatusPageDivergenceAcknowledged",
    # issue 13: a fleet's health and mistakes in the mapping
    "StatusprobeExporterAbsent",
    "StatusprobeExporterTargetsMissing",
    "StatusprobeProbeStale",
    "StatusprobeProbeComponentUnknown",
    "StatusprobeProbeMappingConflict",
}


def promtool() -> str:
    return binary("promtool", "prometheus")


def test_slos() -> list[SLOSpec]:
    """tests/rules/slos.yml's SLOs: one availability, one latency."""
    slos = from_config(load_config(CASES / "slos.yml"))
    assert [s.sli for s in slos] == ["availability", "latency"]
    return slos


test_slos.__test__ = False  # a helper, not a test


def groups(files: dict[str, str]) -> list[dict[str, Any]]:
    return [g for text in files.values() for g in yaml.safe_load(text)["groups"]]


def rules(files: dict[str, str]) -> list[dict[str, Any]]:
    return [r for g in groups(files) for r in g["rules"]]


@pytest.fixture(scope="module")
def rendered_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each profile rendered with the test SLOs, next to its promtool test files."""
    dirs = {}
    for profile, cases in (("default", CASES), ("compressed", CASES / "compressed")):
        directory = tmp_path_factory.mktemp(profile)
        write(render(for_profile(profile), test_slos()), directory)
        for case in cases.glob("*.test.yml"):
            shutil.copy(case, directory)
        dirs[profile] = directory
    return dirs


# --- the committed files -------------------------------------------------------------------


def test_committed_rules_are_the_generators_default_output() -> None:
    rendered = render(Params())
    committed = {p.name: p.read_text("utf-8") for p in RULES.glob("statusprobe-*.yml")}
    assert sorted(committed) == sorted(rendered), "run: statusprobe rules --output.dir rules"
    for name, text in rendered.items():
        assert committed[name] == text, (
            f"rules/{name} drifted; run: statusprobe rules --output.dir rules"
        )


def test_the_cli_without_a_config_writes_the_committed_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "--output.dir", str(tmp_path)]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    shipped = [*RULES.glob("statusprobe-*.yml"), RULES / "alertmanager.example.yml"]
    assert written == sorted(p.name for p in shipped)
    for name in written:
        assert (tmp_path / name).read_text("utf-8") == (RULES / name).read_text("utf-8")
    assert str(tmp_path / "statusprobe-slo.yml") in capsys.readouterr().out


def test_every_file_says_it_is_generated_and_by_which_profile() -> None:
    for path in RULES.glob("statusprobe-*.yml"):
        assert path.read_text("utf-8").startswith(HEADER + "# Profile: default.\n"), path


# --- promtool --------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["default", "compressed"])
def test_promtool_check_rules(rendered_dirs: dict[str, Path], profile: str) -> None:
    files = sorted(str(p) for p in rendered_dirs[profile].glob("statusprobe-*.yml"))
    result = subprocess.run(
        [promtool(), "check", "rules", *files], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout and "WARNING" not in result.stdout + result.stderr


CASE_FILES = sorted(
    [("default", p.name) for p in CASES.glob("*.test.yml")]
    + [("compressed", p.name) for p in (CASES / "compressed").glob("*.test.yml")]
)


@pytest.mark.parametrize(("profile", "case"), CASE_FILES, ids=[f"{p}/{c}" for p, c in CASE_FILES])
def test_promtool_unit_tests(rendered_dirs: dict[str, Path], profile: str, case: str) -> None:
    result = subprocess.run(
        [promtool(), "test", "rules", case],
        cwd=rendered_dirs[profile],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _cases() -> list[dict[str, Any]]:
    out = []
    for path in [*CASES.glob("*.test.yml"), *(CASES / "compressed").glob("*.test.yml")]:
        out.extend(yaml.safe_load(path.read_text("utf-8"))["tests"])
    return out


def test_every_alert_has_cases_where_it_fires_and_where_it_does_not() -> None:
    fired, silent = set(), set()
    for case in _cases():
        for check in case.get("alert_rule_test", []):
            (fired if check["exp_alerts"] else silent).add(check["alertname"])
    names = {r["alert"] for r in rules(render(Params(), test_slos())) if "alert" in r}
    assert names == DESIGN_ALERTS | EXTRA_ALERTS
    assert names - fired == set(), "alerts never seen firing"
    assert names - silent == set(), "alerts never checked silent"


def test_every_recording_rule_is_checked_by_an_expression_test() -> None:
    exprs = " ".join(
        str(check["expr"]) for case in _cases() for check in case.get("promql_expr_test", [])
    )
    records = {r["record"] for r in rules(render(Params(), test_slos())) if "record" in r}
    assert {r for r in records if not re.search(rf"{re.escape(str(r))}\b", exprs)} == set()


# --- conventions -------------------------------------------------------------------------


def test_alerts_follow_the_mixin_conventions() -> None:
    runbook = RUNBOOK.read_text("utf-8")
    for rule in rules(render(Params(), test_slos())):
        if "alert" not in rule:
            continue
        name = str(rule["alert"])
        labels, annotations = rule["labels"], rule["annotations"]
        assert re.fullmatch(r"Statusprobe[A-Z][A-Za-z]+", name)
        assert labels["severity"] in ("critical", "warning", "info")
        assert set(annotations) == {"summary", "description", "runbook_url", "dashboard_url"}
        assert "{{" not in annotations["summary"], name
        if "absent(" not in str(rule["expr"]):  # an absent() result has no labels to name
            assert "{{ $labels." in annotations["description"], name
        assert "Them" in annotations["description"], name
        assert annotations["runbook_url"] == f"docs/runbook.md#{name.lower()}"
        assert f"\n## {name}\n" in runbook, f"docs/runbook.md has no section for {name}"


def test_every_parameter_is_documented_with_its_default() -> None:
    doc = (ROOT / "docs" / "rules.md").read_text("utf-8")
    for field in dataclasses.fields(Params):
        default = str(field.default).replace("|", "\\|") or '""'
        row = f"| `{field.name}` | `{default}` |"
        assert row in doc, f"docs/rules.md: no row {row}"


def test_the_runbook_base_url_is_a_parameter() -> None:
    base = "https://wiki.example.com/statusprobe/runbook"
    params = dataclasses.replace(Params(), runbook_url_base=base)
    urls = {r["annotations"]["runbook_url"] for r in rules(render(params)) if "alert" in r}
    assert f"{base}#statusprobestatuspagedivergence" in urls
    assert all(str(u).startswith(base + "#") for u in urls)


def test_dashboard_url_is_built_from_a_base_url_parameter() -> None:
    base = "https://grafana.example.com"
    params = dataclasses.replace(Params(), dashboard_url_base=base + "/")
    urls = {r["annotations"]["dashboard_url"] for r in rules(render(params)) if "alert" in r}
    assert urls == {
        "{{ if $labels.probe }}https://grafana.example.com/d/statusprobe-probe?var-probe="
        "{{ $labels.probe }}{{ else }}https://grafana.example.com/d/statusprobe-overview"
        "{{ if $labels.page }}?var-page={{ $labels.page }}{{ end }}{{ end }}"
    }
    # Both dashboards exist under those uids.
    assert (ROOT / "dashboards" / "statusprobe-probe.json").exists()
    assert (ROOT / "dashboards" / "statusprobe-overview.json").exists()


# Runs per short window (5m) and long window (1h) a fleet produces: probes every 15s, 30s
# or 60s, in 1 to 5 regions (replicas double runs and failures alike: same ratios).
def _run_counts(window_seconds: float) -> set[int]:
    return {
        int(window_seconds / interval) * regions
        for interval in (15, 30, 60)
        for regions in range(1, 6)
    }


@pytest.mark.parametrize(
    "field",
    [f.name for f in dataclasses.fields(Params) if f.name.endswith("_ratio")],
)
def test_ratio_thresholds_sit_between_achievable_values(field: str) -> None:
    """1 failed run of 10 is exactly 10%: a threshold there fires or not by float rounding.
    Every ratio threshold must differ from every k/n a fleet can produce."""
    threshold = float(getattr(Params(), field))
    window = 3600.0 if field == "intermittent_failure_ratio" else 300.0
    for n in sorted(_run_counts(window)):
        k = round(threshold * n)
        assert abs(threshold * n - k) > 1e-6, f"{field}={threshold} is {k}/{n}"


def test_the_selector_reaches_every_exporter_metric() -> None:
    params = dataclasses.replace(Params(), selector='job="sp"')
    raw = re.compile(r"(?<![:\w])(statusprobe_[a-z_]+)(\{[^}]*\})?")
    seen = set()
    for rule in rules(render(params, test_slos())):
        for metric, matchers in raw.findall(str(rule["expr"])):
            seen.add(metric)
            assert 'job="sp"' in matchers, f"{metric} without the selector in {rule}"
    assert "statusprobe_probe_results_total" in seen and "statusprobe_page_up" in seen


def test_the_compressed_profile_divides_every_window_and_for_by_the_factor() -> None:
    def durations(files: dict[str, str]) -> list[str]:
        out = []
        for rule in rules(files):
            out += re.findall(r"\[(\w+)\]", str(rule["expr"]))
            out.append(str(rule.get("for", "0s")))
        return out

    default = durations(render(Params(), test_slos()))
    compressed = durations(render(for_profile("compressed"), test_slos()))
    pairs = list(zip(default, compressed, strict=True))
    assert len(pairs) > 50 and ("30d", "12h") in pairs and ("5m", "5s") in pairs
    assert {_seconds(d) / _seconds(c) if _seconds(c) else 0 for d, c in pairs} == {COMPRESSION, 0}


def _seconds(duration: str) -> float:
    return parse_duration(duration)


def test_the_default_profile_is_not_compressed() -> None:
    assert Params().time_scale == 1 and for_profile("default") == Params()
    assert "[5m]" in (RULES / "statusprobe-recording.yml").read_text("utf-8")


# --- parameters and the command line ------------------------------------------------------


def test_the_cli_renders_the_configs_slos_and_profile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "rules",
            "--config.file",
            str(CASES / "slos.yml"),
            "--profile",
            "compressed",
            "--param",
            "divergence_for=4m",
            "--output.dir",
            str(tmp_path / "out"),
        ]
    )
    assert code == 0
    slo = yaml.safe_load((tmp_path / "out" / "statusprobe-slo.yml").read_text("utf-8"))
    assert [g["name"] for g in slo["groups"]] == [
        "statusprobe-slo-claude-api-availability",
        "statusprobe-slo-claude-api-latency",
        "statusprobe-slo-alerts",
    ]
    divergence = (tmp_path / "out" / "statusprobe-divergence.yml").read_text("utf-8")
    assert "# Profile: compressed." in divergence and "for: 4s" in divergence


@pytest.mark.parametrize(
    ("param", "message"),
    [
        ("nope=1", "unknown parameter 'nope'"),
        ("divergence_for=soon", "parameter divergence_for: invalid duration 'soon'"),
        ("divergence_failure_ratio=lots", "parameter divergence_failure_ratio: 'lots' is not a"),
        ("slow_duration_seconds=7", "slow_duration_seconds: 7s is not a histogram bucket bound"),
        ("novalue", "--param 'novalue': write NAME=VALUE"),
        ("divergence_failure_ratio=1.5", "divergence_failure_ratio: 1.5 is not a ratio from 0"),
        ("localized_healthy_ratio=-0.1", "localized_healthy_ratio: -0.1 is not a ratio from 0"),
        ("slow_quantile=95", "slow_quantile: 95 is not a ratio from 0 to 1"),
        ("short_window=10", "parameter short_window: invalid duration '10'"),
        ("selector=job=sp", "parameter selector: 'job=sp' is not a PromQL matcher list"),
        ('selector={job="sp"}', "is not a PromQL matcher list"),
        ('exporter_selector=job="a",', "is not a PromQL matcher list"),
    ],
)
@pytest.mark.parametrize("command", ["rules", "dashboards"])
def test_the_cli_rejects_bad_parameters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], param: str, message: str, command: str
) -> None:
    assert main([command, "--param", param, "--output.dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert not any(tmp_path.iterdir())


def test_valid_selectors_and_ratios_are_accepted(tmp_path: Path) -> None:
    params = ['selector=job="sp", region=~"eu-.*"', "divergence_failure_ratio=0", "slow_quantile=1"]
    argv = [x for p in params for x in ("--param", p)]
    assert main(["rules", *argv, "--output.dir", str(tmp_path)]) == 0


@pytest.mark.parametrize("command", ["rules", "dashboards"])
@pytest.mark.parametrize("where", ["file", "under-file"])
def test_an_output_dir_that_is_a_file_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, where: str
) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("not a directory")
    target = blocker if where == "file" else blocker / "sub" / "dir"
    assert main([command, "--output.dir", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: --output.dir {target}: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and blocker.read_text() == "not a directory"


@pytest.mark.parametrize("command", ["rules", "dashboards"])
def test_both_commands_take_the_same_documented_flags(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    for flag, words in (
        ("--output.dir", "directory to write"),
        ("--profile", "time profile"),
        ("--param", "override a rules-pack parameter"),
        ("--config.file", "slos"),
    ):
        assert flag in help_text and words in help_text, (flag, help_text)


def test_slo_specs_are_checked() -> None:
    with pytest.raises(ValueError, match="not a bucket bound"):
        SLOSpec("x", "p", 99.0, latency_threshold=3.0)
    with pytest.raises(ValueError, match="percentage"):
        SLOSpec("x", "p", 100.0)
    with pytest.raises(ValueError, match="unknown profile"):
        for_profile("fast")
