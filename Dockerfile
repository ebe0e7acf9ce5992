# statusprobe container image. Tags, building without a registry, running: docs/deploy.md.
#
#   docker build -t statusprobe:0.1.0 .            (or: buildah build / podman build)
#   docker run --rm -p 10077:10077 statusprobe:0.1.0
#
# Offline (no package index reachable from the build): run scripts/image-wheels first and
# add --build-arg WHEELHOUSE=build/wheelhouse; pip then installs from those wheels only.
ARG PYTHON_IMAGE=docker.io/library/python:3.11-slim-bookworm

# --- build: statusprobe's wheel, installed with its dependencies into a virtualenv ----------
# With the uvloop extra: the event loop in C costs a probe 15-30 % less CPU (docs/benchmarks.md).
FROM ${PYTHON_IMAGE} AS build
ARG WHEELHOUSE=
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore
COPY . /src
RUN python3 -m venv /opt/statusprobe \
 && /opt/statusprobe/bin/pip wheel --quiet --wheel-dir /wheels \
      ${WHEELHOUSE:+--no-index --find-links=/src/${WHEELHOUSE}} "/src[uvloop]" \
 && /opt/statusprobe/bin/pip install --quiet --no-index --find-links=/wheels "statusprobe[uvloop]" \
 && /opt/statusprobe/bin/pip uninstall --quiet --yes pip setuptools

# --- runtime: the virtualenv on the same slim base, as a non-root numeric user --------------
FROM ${PYTHON_IMAGE}
# VERSION is the package version (exporter/__init__.py); tests/test_image.py keeps them equal.
ARG VERSION=0.1.0
ARG SOURCE=https://github.com/statusprobe/statusprobe
LABEL org.opencontainers.image.title="statusprobe" \
      org.opencontainers.image.description="Prometheus exporter: what an upstream's status page says next to what your synthetic probes see" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /opt/statusprobe /opt/statusprobe
# The embedded default config, at the path CMD reads: mount your own file (or a ConfigMap)
# over it. Nothing else is written at run time, so a read-only root filesystem works.
COPY exporter/default_config.yml /etc/statusprobe/statusprobe.yml
ENV PATH=/opt/statusprobe/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
# nobody:nogroup, numeric so Kubernetes' runAsNonRoot can verify it.
USER 65534:65534
EXPOSE 10077
# statusprobe runs as PID 1 and handles SIGTERM/SIGINT itself (stop) and SIGHUP (reload).
ENTRYPOINT ["statusprobe"]
CMD ["run", "--config.file=/etc/statusprobe/statusprobe.yml"]
