"""Simulated upstreams for end-to-end tests and `statusprobe demo`."""
