"""The chart's `webConfig` (--web.config.file, docs/web-config.md), rendered by the real Helm
engine: the flag, the mounts, probes that still pass behind TLS and basic auth, the
ServiceMonitor's HTTPS and basicAuth, the helm test pod, the checksum, and a rendered web
config that the exporter's own loader accepts."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import bcrypt
import pytest
import trustme
import yaml

from exporter.web_config import load_web_config
from tests.helm.engine import CHART, Helm, extract_helm

WEB = CHART / "ci" / "webconfig-values.yaml"
PASSWORD = b"not-a-real-password"  # what the hash in ci/webconfig-values.yaml is made of

Doc = dict[str, Any]


@pytest.fixture(scope="module")
def helm(tmp_path_factory: pytest.TempPathFactory) -> Helm:
    home = tmp_path_factory.mktemp("helm")
    return Helm(extract_helm(home), home)


def one(docs: list[Doc], kind: str) -> Doc:
    found = [d for d in docs if d["kind"] == kind]
    assert len(found) == 1, f"{len(found)} {kind} objects"
    return found[0]


def container(docs: list[Doc]) -> Doc:
    containers: list[Doc] = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    (found,) = containers
    return found


def values_file(tmp_path: Path, values: dict[str, Any]) -> str:
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(values))
    return str(path)


def tls_only(tmp_path: Path) -> str:
    """ci/webconfig-values.yaml without basic auth: TLS only."""
    values = yaml.safe_load(WEB.read_text())
    del values["webConfig"]["config"]["basic_auth_users"]
    values["webConfig"]["basicAuth"] = False
    return values_file(tmp_path, values)


def test_flag_and_mounts(helm: Helm) -> None:
    docs = helm.template("-f", str(WEB))
    pod = one(docs, "Deployment")["spec"]["template"]["spec"]
    args = container(docs)["args"]
    (flag,) = [a for a in args if a.startswith("--web.config.file=")]
    web_file = Path(flag.split("=", 1)[1])
    mounts = {m["name"]: m for m in container(docs)["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    # The file the flag names is the Secret's key web.yml, mounted read-only.
    assert mounts["web-config"]["mountPath"] == str(web_file.parent)
    assert mounts["web-config"]["readOnly"] is True
    secret = one(docs, "Secret")
    assert volumes["web-config"]["secret"]["secretName"] == secret["metadata"]["name"]
    assert volumes["web-config"]["secret"]["items"] == [{"key": "web.yml", "path": web_file.name}]
    assert set(secret["data"]) == {"web.yml"}
    # The TLS Secret is mounted where the web config's cert_file and key_file point.
    assert volumes["tls"]["secret"]["secretName"] == "statusprobe-tls"
    web = yaml.safe_load(base64.b64decode(secret["data"]["web.yml"]))
    tls_dir = mounts["tls"]["mountPath"]
    assert web["tls_server_config"]["cert_file"] == f"{tls_dir}/tls.crt"
    assert web["tls_server_config"]["key_file"] == f"{tls_dir}/tls.key"
    # Not nested under the read-only config mount.
    assert not tls_dir.startswith("/etc/statusprobe/")
    assert not str(web_file).startswith("/etc/statusprobe/")
    # Without webConfig: no flag, no such mounts.
    plain = container(helm.template())
    assert not any(a.startswith("--web.config.file") for a in plain["args"])


def test_rendered_web_config_is_what_the_exporter_loads(helm: Helm, tmp_path: Path) -> None:
    """The Secret's web.yml, with the TLS Secret's files where the pod sees them (here in
    tmp_path), through exporter.web_config's own loader: TLS on, and the scrape user's
    password matches the hash."""
    docs = helm.template("-f", str(WEB))
    tls_dir = {m["name"]: m for m in container(docs)["volumeMounts"]}["tls"]["mountPath"]
    ca = trustme.CA()
    server = ca.issue_cert("sp-statusprobe.obs.svc")
    server.cert_chain_pems[0].write_to_path(str(tmp_path / "tls.crt"))
    server.private_key_pem.write_to_path(str(tmp_path / "tls.key"))
    text = base64.b64decode(one(docs, "Secret")["data"]["web.yml"]).decode()
    web_file = tmp_path / "web.yml"
    web_file.write_text(text.replace(f"{tls_dir}/", f"{tmp_path}/"))
    loaded = load_web_config(web_file)
    assert loaded.ssl_context is not None
    assert loaded.headers == {"X-Content-Type-Options": "nosniff"}
    assert set(loaded.users) == {"prometheus"}
    assert bcrypt.checkpw(PASSWORD, loaded.users["prometheus"])
    assert not bcrypt.checkpw(b"wrong", loaded.users["prometheus"])


def test_probes_pass_behind_tls_and_basic_auth(helm: Helm, tmp_path: Path) -> None:
    # Basic auth: the kubelet cannot send a password, so tcpSocket on the same port.
    auth = container(helm.template("-f", str(WEB)))
    for probe in (auth["livenessProbe"], auth["readinessProbe"]):
        assert "httpGet" not in probe
        assert probe["tcpSocket"] == {"port": "http"}
        assert probe["periodSeconds"] > 0  # the values' timings are kept
    # TLS only: the same HTTP probes, over HTTPS (the kubelet does not verify the cert).
    tls = container(helm.template("-f", tls_only(tmp_path)))
    assert tls["livenessProbe"]["httpGet"] == {
        "path": "/-/healthy",
        "port": "http",
        "scheme": "HTTPS",
    }
    assert tls["readinessProbe"]["httpGet"]["path"] == "/-/ready"
    assert tls["readinessProbe"]["httpGet"]["scheme"] == "HTTPS"
    # Client certificates required: tcpSocket too.
    values = yaml.safe_load(WEB.read_text())
    web = values["webConfig"]
    del web["config"]["basic_auth_users"]
    web["basicAuth"] = False
    web["clientCert"] = True
    web["config"]["tls_server_config"]["client_auth_type"] = "RequireAndVerifyClientCert"
    web["config"]["tls_server_config"]["client_ca_file"] = "/etc/statusprobe-tls/ca.crt"
    values["serviceMonitor"]["tlsConfig"] = {"serverName": "sp-statusprobe.obs.svc"}
    docs = helm.template("-f", values_file(tmp_path, values))
    assert "tcpSocket" in container(docs)["readinessProbe"]
    # ... and no helm test pod, which has no client certificate.
    assert "Pod" not in {d["kind"] for d in docs}
    # Without webConfig: plain HTTP probes.
    plain = container(helm.template())
    assert "scheme" not in plain["readinessProbe"]["httpGet"]


def test_servicemonitor_scrapes_over_https_with_basic_auth(helm: Helm, tmp_path: Path) -> None:
    docs = helm.template("-f", str(WEB))
    (endpoint,) = one(docs, "ServiceMonitor")["spec"]["endpoints"]
    service = one(docs, "Service")["metadata"]["name"]
    assert endpoint["scheme"] == "https"
    # Default: trust the TLS Secret's CA for the Service's DNS name.
    assert endpoint["tlsConfig"] == {
        "ca": {"secret": {"name": "statusprobe-tls", "key": "ca.crt"}},
        "serverName": f"{service}.obs.svc",
    }
    assert endpoint["basicAuth"] == {
        "username": {"name": "statusprobe-scrape", "key": "username"},
        "password": {"name": "statusprobe-scrape", "key": "password"},
    }
    # The scrape password is only referenced, never rendered.
    assert "not-a-real-password" not in yaml.safe_dump_all(docs)
    # A tlsConfig of your own replaces the default.
    own = {"ca": {"configMap": {"name": "corp-ca", "key": "ca.pem"}}, "serverName": "sp.example"}
    values = yaml.safe_load(WEB.read_text())
    values["serviceMonitor"]["tlsConfig"] = own
    (endpoint,) = one(helm.template("-f", values_file(tmp_path, values)), "ServiceMonitor")["spec"][
        "endpoints"
    ]
    assert endpoint["tlsConfig"] == own
    # TLS only: HTTPS, no basicAuth.
    (endpoint,) = one(helm.template("-f", tls_only(tmp_path)), "ServiceMonitor")["spec"][
        "endpoints"
    ]
    assert endpoint["scheme"] == "https" and "basicAuth" not in endpoint
    # Without webConfig: the default scheme (http), nothing else.
    (endpoint,) = one(helm.template("--set", "serviceMonitor.enabled=true"), "ServiceMonitor")[
        "spec"
    ]["endpoints"]
    assert not {"scheme", "tlsConfig", "basicAuth"} & set(endpoint)


def test_helm_test_pod_logs_in_over_https(helm: Helm, tmp_path: Path) -> None:
    docs = helm.template("-f", str(WEB))
    pod = one(docs, "Pod")["spec"]
    (test,) = pod["containers"]
    script = test["command"][-1]
    service = one(docs, "Service")
    url = f"https://{service['metadata']['name']}:{service['spec']['ports'][0]['port']}/-/ready"
    assert url in script
    assert 'add_header("Authorization", "Basic "' in script
    (volume,) = pod["volumes"]
    assert volume["secret"]["secretName"] == "statusprobe-scrape"
    files = {item["path"] for item in volume["secret"]["items"]}
    (mount,) = test["volumeMounts"]
    for name in files:
        assert f"{mount['mountPath']}/{name}" in script
    compile(script, "helm-test", "exec")  # valid Python
    # TLS only: HTTPS, no credentials mounted.
    pod = one(helm.template("-f", tls_only(tmp_path)), "Pod")["spec"]
    assert "volumes" not in pod
    assert "https://" in pod["containers"][0]["command"][-1]
    # Basic auth without the scrape user's Secret (and no ServiceMonitor): no test pod.
    values = yaml.safe_load(WEB.read_text())
    values["webConfig"]["basicAuthSecret"]["name"] = ""
    values["serviceMonitor"]["enabled"] = False
    assert "Pod" not in {d["kind"] for d in helm.template("-f", values_file(tmp_path, values))}


def test_a_web_config_change_rolls_the_pods(helm: Helm) -> None:
    def annotations(*args: str) -> dict[str, str]:
        deployment = one(helm.template("-f", str(WEB), *args), "Deployment")
        found: dict[str, str] = deployment["spec"]["template"]["metadata"]["annotations"]
        return found

    base = annotations()
    changed = annotations("--set", "webConfig.config.tls_server_config.min_version=TLS13")
    assert changed["checksum/web-config"] != base["checksum/web-config"]
    assert changed["checksum/config"] == base["checksum/config"]
    assert "checksum/web-config" not in one(helm.template(), "Deployment")["spec"]["template"][
        "metadata"
    ].get("annotations", {})


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--set", "webConfig.tls=false"], "webConfig.tls is false but webConfig.config has"),
        (["--set", "webConfig.basicAuth=false"], "webConfig.basicAuth is false"),
        (["--set", "webConfig.clientCert=true"], "client_auth_type is NoClientCert"),
        (["--set", "webConfig.basicAuthSecret.name="], "set webConfig.basicAuthSecret.name"),
        (["--set", "webConfig.existingSecret=mine"], "not both"),
        (
            ["--set", "webConfig.tlsSecret="],
            "set serviceMonitor.tlsConfig",
        ),
        # The schema: a password where a bcrypt hash belongs, an unknown section.
        (
            ["--set", "webConfig.config.basic_auth_users.prometheus=hunter2"],
            "/webConfig/config/basic_auth_users/prometheus",
        ),
        (["--set", "webConfig.config.tls_config.x=1"], "/webConfig/config"),
    ],
)
def test_inconsistent_web_config_values_fail_with_a_clear_error(
    helm: Helm, args: list[str], error: str
) -> None:
    done = helm.run("template", "sp", str(CHART), "-f", str(WEB), *args, check=False)
    assert done.returncode != 0
    assert error in done.stderr
    assert "hunter2" not in done.stderr or "basic_auth_users" in error


def test_tls_claimed_without_tls_server_config_fails(helm: Helm, tmp_path: Path) -> None:
    values = yaml.safe_load(WEB.read_text())
    del values["webConfig"]["config"]["tls_server_config"]
    values["webConfig"]["tlsSecret"] = ""
    done = helm.run("template", "sp", str(CHART), "-f", values_file(tmp_path, values), check=False)
    assert done.returncode != 0
    assert "webConfig.tls is true but webConfig.config has no tls_server_config" in done.stderr


def test_enabled_without_a_web_config_fails(helm: Helm) -> None:
    done = helm.run("template", "sp", str(CHART), "--set", "webConfig.enabled=true", check=False)
    assert "set webConfig.config" in done.stderr and done.returncode != 0
