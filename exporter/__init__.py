"""statusprobe: what an upstream's status page says, next to what your probes see."""

__version__ = "0.1.0"
