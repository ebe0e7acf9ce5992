"""The container image, for real: build the unmodified Dockerfile with buildah, run it with
podman, scrape it on loopback, stop it with SIGTERM.

No image registry is reachable: the base image is made from Debian packages by
`scripts/image-base` (mmdebstrap, `podman import`) and the wheels by `scripts/image-wheels`;
`.ci/run` runs both. The build runs with `--pull=never --network=none`, so it provably needs
neither a registry nor an index. Without the tools, the base image or the wheelhouse the
test is skipped, except under CI=true, where it fails.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import resource
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from exporter import __version__
from tests.tools import in_ci
from tests.upstream import Upstream

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
WHEELHOUSE = "build/wheelhouse"
BASE_IMAGE = "docker.io/library/python:3.11-slim-bookworm"
CONFIG_PATH = "/etc/statusprobe/statusprobe.yml"
NOBODY = 65534
# How long SIGTERM may take: the default grace of `docker stop` / `podman stop`, after which
# they send SIGKILL (the kubelet's default grace is 30 s).
STOP_BOUND_SECONDS = 10.0


def _missing(reason: str) -> None:
    if in_ci():
        pytest.fail(f"{reason}; .ci/run sets it up")
    pytest.skip(reason)


def _containers_conf(directory: Path) -> Path:
    """A containers.conf for podman and buildah on this kind of machine: runc (crun rejects
    the hybrid cgroup layout) and ulimits no higher than ours (podman's defaults would raise
    them, which is not permitted here)."""
    nofile, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    nproc, _ = resource.getrlimit(resource.RLIMIT_NPROC)
    nofile = 65536 if nofile == resource.RLIM_INFINITY else nofile
    nproc = 4096 if nproc == resource.RLIM_INFINITY else min(nproc, 4096)
    path = directory / "containers.conf"
    path.write_text(
        "[containers]\n"
        f'default_ulimits = ["nofile={nofile}:{nofile}", "nproc={nproc}:{nproc}"]\n'
        '[engine]\nruntime = "runc"\n'
    )
    return path


class Engine:
    """podman and buildah, with our containers.conf."""

    def __init__(self, conf: Path) -> None:
        self.env = {**os.environ, "CONTAINERS_CONF": str(conf)}

    def run(self, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            argv,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )

    async def arun(self, *argv: str, timeout: float = 60) -> tuple[int, str]:
        """Like run(), without blocking the event loop the simulated upstream runs on."""
        proc = await asyncio.create_subprocess_exec(
            *argv,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise
        assert proc.returncode is not None
        return proc.returncode, out.decode(errors="replace")


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    for tool, package in (("podman", "podman"), ("buildah", "buildah"), ("runc", "runc")):
        if shutil.which(tool) is None:
            _missing(f"{tool} is not installed (apt-get install {package})")
    if os.geteuid() != 0:
        _missing("the image test runs podman as root (overlay storage)")
    eng = Engine(_containers_conf(tmp_path_factory.mktemp("containers")))
    if eng.run("podman", "image", "exists", BASE_IMAGE).returncode != 0:
        _missing(f"base image {BASE_IMAGE} is absent: run scripts/image-base")
    if not any((ROOT / WHEELHOUSE).glob("*.whl")):
        _missing(f"{WHEELHOUSE} is empty: run scripts/image-wheels")
    return eng


@pytest.fixture(scope="module")
def image(engine: Engine) -> Iterator[str]:
    """The Dockerfile, built offline; removed afterwards."""
    tag = f"localhost/statusprobe:test-{uuid.uuid4().hex[:12]}"
    built = engine.run(
        "buildah",
        "build",
        "--pull=never",
        "--network=none",
        "--layers=false",
        f"--build-arg=WHEELHOUSE={WHEELHOUSE}",
        f"--tag={tag}",
        "--file",
        str(DOCKERFILE),
        str(ROOT),
        timeout=600,
    )
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-4000:]
    try:
        yield tag
    finally:
        engine.run("podman", "rmi", "--force", tag)


def _inspect(engine: Engine, image: str) -> dict[str, Any]:
    out = engine.run("podman", "image", "inspect", image)
    assert out.returncode == 0, out.stderr
    data: list[dict[str, Any]] = json.loads(out.stdout)
    return data[0]


def test_dockerfile_version_label_is_the_package_version() -> None:
    """The image's version label defaults to exporter.__version__ (no drift)."""
    match = re.search(r"^ARG VERSION=(\S+)$", DOCKERFILE.read_text(), re.MULTILINE)
    assert match is not None
    assert match.group(1) == __version__


def test_image_metadata(engine: Engine, image: str) -> None:
    config = _inspect(engine, image)["Config"]
    assert config["User"] == f"{NOBODY}:{NOBODY}"
    assert config["Entrypoint"] == ["statusprobe"]
    assert config["Cmd"] == ["run", f"--config.file={CONFIG_PATH}"]
    assert "10077/tcp" in config["ExposedPorts"]
    labels = config["Labels"]
    assert labels["org.opencontainers.image.version"] == __version__
    assert labels["org.opencontainers.image.licenses"] == "Apache-2.0"
    assert labels["org.opencontainers.image.source"].startswith("https://")


def test_ships_the_embedded_default_config_where_cmd_reads_it(engine: Engine, image: str) -> None:
    """Without a mounted file, CMD runs the embedded default: it is at CONFIG_PATH, valid."""
    shown = engine.run(
        "podman", "run", "--rm", "--pull=never", "--network=none", "--entrypoint=cat",
        image, CONFIG_PATH,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == (ROOT / "exporter" / "default_config.yml").read_text()
    checked = engine.run(
        "podman", "run", "--rm", "--pull=never", "--network=none", "--read-only",
        image, "check-config", f"--config.file={CONFIG_PATH}",
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "OK (6 status pages" in checked.stdout


def test_runs_on_uvloop(engine: Engine, image: str) -> None:
    """The image installs the uvloop extra, so `statusprobe run` uses it."""
    shown = engine.run(
        "podman", "run", "--rm", "--pull=never", "--network=none", "--entrypoint=python",
        image, "-c", "from exporter import event_loop; print(event_loop.loop_name())",
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == "uvloop"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _host_pid_status(engine: Engine, name: str) -> dict[str, str]:
    """/proc/<pid>/status of the container's main process, as the host sees it."""
    out = engine.run("podman", "inspect", "--format", "{{.State.Pid}}", name)
    assert out.returncode == 0, out.stderr
    status = Path(f"/proc/{out.stdout.strip()}/status").read_text()
    return dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)


async def test_runs_read_only_as_non_root_serves_and_stops_on_sigterm(
    engine: Engine, image: str, upstream: tuple[Upstream, str], tmp_path: Path
) -> None:
    sim, base = upstream
    config = tmp_path / "statusprobe.yml"
    config.write_text(
        "status_pages:\n"
        f"  - {{name: sim, provider: statuspage, url: '{base}', interval: 1s}}\n"
        "probes:\n"
        f"  - {{name: sim-api, type: http, url: '{base}/api/ping', interval: 1s, timeout: 1s}}\n"
    )
    config.chmod(0o644)
    port = _free_port()
    name = f"statusprobe-test-{uuid.uuid4().hex[:12]}"
    # Host network so the exporter reaches the simulated upstream on loopback and we reach
    # it; the listen address is loopback only. The config is mounted where CMD reads it.
    code, out = await engine.arun(
        "podman", "run", "--detach", "--pull=never", f"--name={name}",
        "--network=host", "--read-only", "--read-only-tmpfs=false",
        "--cap-drop=ALL", "--security-opt=no-new-privileges",
        f"--volume={config}:{CONFIG_PATH}:ro",
        image, "run", f"--config.file={CONFIG_PATH}", f"--web.listen-address=127.0.0.1:{port}",
    )  # fmt: skip
    assert code == 0, out
    try:
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(timeout=5) as client:
            ready = await _wait_ready(engine, name, client, f"{url}/-/ready", time.monotonic() + 60)
            assert ready, (await engine.arun("podman", "logs", name))[1]
            metrics = (await client.get(f"{url}/metrics")).text
        assert 'statusprobe_page_up{page="sim"} 1.0' in metrics
        assert 'statusprobe_probe_results_total{outcome="success",probe="sim-api"}' in metrics
        assert 'statusprobe_build_info{python_version="3.11' in metrics
        assert f'version="{__version__}"' in metrics
        assert sim.hits["summary"] >= 1 and sim.hits["api"] >= 1

        status = _host_pid_status(engine, name)
        assert status["Uid"].split() == [str(NOBODY)] * 4
        assert status["Gid"].split() == [str(NOBODY)] * 4
        assert status["NSpid"].split()[-1] == "1"  # statusprobe itself is PID 1
        assert status["CapEff"] == "0000000000000000"

        started = time.monotonic()
        code, out = await engine.arun("podman", "kill", "--signal=TERM", name)
        assert code == 0, out
        code, out = await engine.arun("podman", "wait", name, timeout=STOP_BOUND_SECONDS + 30)
        took = time.monotonic() - started
        assert code == 0, out
        assert out.strip() == "0", f"exit status {out.strip()}: not a clean stop"
        assert took < STOP_BOUND_SECONDS, f"took {took:.1f} s to stop on SIGTERM"
        logs = (await engine.arun("podman", "logs", name))[1]
        assert "shutting down" in logs
    finally:
        await engine.arun("podman", "rm", "--force", "--time=0", name)


async def _wait_ready(
    engine: Engine, name: str, client: httpx.AsyncClient, url: str, deadline: float
) -> bool:
    """Polls until 200, the deadline, or the container has exited."""
    while time.monotonic() < deadline:
        try:
            if (await client.get(url)).status_code == 200:
                return True
        except httpx.TransportError:
            _, running = await engine.arun("podman", "inspect", "--format={{.State.Running}}", name)
            if running.strip() != "true":
                return False
        await asyncio.sleep(0.2)
    return False
