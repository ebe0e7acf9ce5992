"""The exposition: which series a state snapshot makes (series), the prometheus_client
collector (collector), and the native writer that renders /metrics fast (native, lines)."""
