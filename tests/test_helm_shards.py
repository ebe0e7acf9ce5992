"""The chart's `shards` (--shard.index/--shard.count, docs/configuration.md `shard:`),
rendered by the real Helm engine: N Deployments with distinct indexes 0..N-1 behind the one
Service and ServiceMonitor, a PDB per shard, and args that the exporter's own command line
and sharding turn into a partition of the rendered config."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from exporter import cli
from exporter.config.loader import parse_config
from exporter.sharding import make_shard, select
from tests.helm.engine import CHART, Helm, extract_helm

SHARDS = CHART / "ci" / "shards-values.yaml"

Doc = dict[str, Any]


@pytest.fixture(scope="module")
def helm(tmp_path_factory: pytest.TempPathFactory) -> Helm:
    home = tmp_path_factory.mktemp("helm")
    return Helm(extract_helm(home), home)


def of_kind(docs: list[Doc], kind: str) -> list[Doc]:
    return [d for d in docs if d["kind"] == kind]


def args_of(deployment: Doc) -> list[str]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    args: list[str] = container["args"]
    return args


def matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return selector.items() <= labels.items()


@pytest.mark.parametrize("count", [2, 3, 7])
def test_one_deployment_per_shard_with_distinct_indexes(helm: Helm, count: int) -> None:
    docs = helm.template("-f", str(SHARDS), "--set", f"shards={count}")
    deployments = of_kind(docs, "Deployment")
    assert len(deployments) == count
    names = [d["metadata"]["name"] for d in deployments]
    assert len(set(names)) == count
    indexes = []
    for deployment in deployments:
        args = args_of(deployment)
        (index,) = [int(a.split("=")[1]) for a in args if a.startswith("--shard.index=")]
        assert f"--shard.count={count}" in args
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert labels["shard"] == str(index)
        assert deployment["spec"]["selector"]["matchLabels"]["shard"] == str(index)
        assert deployment["metadata"]["name"].endswith(f"-shard-{index}")
        assert deployment["spec"]["replicas"] == 2  # replicas are per shard
        indexes.append(index)
    assert sorted(indexes) == list(range(count))
    # No Deployment's selector takes another shard's pods.
    for deployment in deployments:
        selector = deployment["spec"]["selector"]["matchLabels"]
        owned = [
            d for d in deployments if matches(selector, d["spec"]["template"]["metadata"]["labels"])
        ]
        assert owned == [deployment]


def test_every_shard_is_behind_the_one_service_and_servicemonitor(helm: Helm) -> None:
    docs = helm.template("-f", str(SHARDS))
    (service,) = of_kind(docs, "Service")
    (monitor,) = of_kind(docs, "ServiceMonitor")
    for deployment in of_kind(docs, "Deployment"):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert matches(service["spec"]["selector"], labels)
    assert matches(monitor["spec"]["selector"]["matchLabels"], service["metadata"]["labels"])
    (endpoint,) = monitor["spec"]["endpoints"]
    # region first, then the pod's shard label as the target label `shard`.
    assert [r["targetLabel"] for r in endpoint["relabelings"]] == ["region", "shard"]
    assert endpoint["relabelings"][1]["sourceLabels"] == ["__meta_kubernetes_pod_label_shard"]


def test_a_pdb_per_shard(helm: Helm) -> None:
    docs = helm.template("-f", str(SHARDS))
    deployments = of_kind(docs, "Deployment")
    pdbs = of_kind(docs, "PodDisruptionBudget")
    assert len(pdbs) == len(deployments) == 3
    for pdb in pdbs:
        assert pdb["spec"]["minAvailable"] == 1
        selector = pdb["spec"]["selector"]["matchLabels"]
        covered = [
            d for d in deployments if matches(selector, d["spec"]["template"]["metadata"]["labels"])
        ]
        assert len(covered) == 1  # exactly one shard's pods


def test_the_shards_split_the_rendered_config_between_them(helm: Helm) -> None:
    """Each Deployment's args, parsed by the exporter's own command line, select a part of
    the rendered config; the parts are disjoint and cover every page."""
    docs = helm.template("-f", str(SHARDS))
    (configmap,) = of_kind(docs, "ConfigMap")
    config = parse_config(yaml.safe_load(configmap["data"]["statusprobe.yml"]))
    taken: list[str] = []
    for deployment in of_kind(docs, "Deployment"):
        args = cli._parser().parse_args(args_of(deployment))
        shard = make_shard(args.shard_index, args.shard_count)
        assert shard is not None
        mine = [p.name for p in select(config, shard).status_pages]
        assert mine, f"shard {shard.index} takes nothing: the ci file should feed every shard"
        taken += mine
    assert sorted(taken) == sorted(p.name for p in config.status_pages)
    assert len(taken) == len(set(taken)) == 4


def test_one_shard_is_the_plain_deployment(helm: Helm) -> None:
    docs = helm.template("-f", str(SHARDS), "--set", "shards=1")
    (deployment,) = of_kind(docs, "Deployment")
    assert deployment["metadata"]["name"] == "sp-statusprobe"
    assert not any(a.startswith("--shard.") for a in args_of(deployment))
    assert "shard" not in deployment["spec"]["selector"]["matchLabels"]
    (pdb,) = of_kind(docs, "PodDisruptionBudget")
    assert pdb["spec"]["selector"] == deployment["spec"]["selector"]
    (monitor,) = of_kind(docs, "ServiceMonitor")
    targets = [r["targetLabel"] for r in monitor["spec"]["endpoints"][0]["relabelings"]]
    assert targets == ["region"]


@pytest.mark.parametrize("bad", ["0", "10001", "two"])
def test_schema_rejects_a_bad_shard_count(helm: Helm, bad: str) -> None:
    done = helm.run("template", "sp", str(CHART), "--set", f"shards={bad}", check=False)
    assert done.returncode != 0
    assert "/shards" in done.stderr


def test_shard_flags_in_extra_args_and_shards_together_fail(helm: Helm) -> None:
    done = helm.run(
        "template", "sp", str(CHART), "-f", str(SHARDS),
        "--set", "extraArgs[0]=--shard.index=1", check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "extraArgs has --shard.index=1 but shards is set" in done.stderr
    # One release per shard: the flags through extraArgs, as the chart README shows.
    docs = helm.template(
        "--set", "extraArgs[0]=--shard.index=1", "--set", "extraArgs[1]=--shard.count=4"
    )
    (deployment,) = of_kind(docs, "Deployment")
    args = cli._parser().parse_args(args_of(deployment))
    assert (args.shard_index, args.shard_count) == (1, 4)
