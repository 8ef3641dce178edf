"""What the gateway tells its operators: Prometheus metrics, OpenTelemetry traces, readiness."""
