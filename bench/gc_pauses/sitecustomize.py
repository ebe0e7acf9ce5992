"""Logs every full garbage collection of a benchmarked `statusprobe run` process.

bench/scale.py puts this directory first on the child's PYTHONPATH, with GC_PAUSES_LOG set
to a file: Python imports `sitecustomize` at start, and this one appends a line
"<unix time> <milliseconds>" per full (generation 2) collection to that file. A full
collection stops the event loop for its whole length, so these are the loop's longest
pauses the exporter itself causes.
"""

from __future__ import annotations

import gc
import os
import time

_path = os.environ.get("GC_PAUSES_LOG")
if _path:
    _out = open(_path, "a", buffering=1)  # noqa: SIM115 (open for the process's life)
    _began = [0.0]

    def _log(phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            _began[0] = time.perf_counter()
        else:
            _out.write(f"{time.time():.3f} {(time.perf_counter() - _began[0]) * 1e3:.2f}\n")

    gc.callbacks.append(_log)
