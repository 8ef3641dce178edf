"""``OperationSpan``: an OpenTelemetry span per GraphQL operation, when the app traces."""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from schoolgraph.observability.tracing import current_tracer

__all__ = ["OperationSpan"]


class OperationSpan(SchemaExtension):
    """A span per GraphQL operation: its type and name, and the codes of its errors."""

    def on_operation(self) -> Iterator[None]:
        tracer = current_tracer.get()
        if tracer is None:
            yield
            return
        with tracer.start_as_current_span(
            "graphql.operation", record_exception=False, set_status_on_exception=False
        ) as span:
            yield
            context = self.execution_context
            name = context.operation_name
            try:
                kind = context.operation_type.value
            except Exception:  # no document, or no operation of that name: nothing to name
                kind = "unknown"
            span.update_name(f"graphql {kind} {name}" if name else f"graphql {kind}")
            span.set_attribute("graphql.operation.type", kind)
            if name:
                span.set_attribute("graphql.operation.name", name)
            result = context.result
            errors = getattr(result, "errors", None) or ()
            codes = sorted({str((error.extensions or {}).get("code", "")) for error in errors})
            if codes:
                span.set_attribute("schoolgraph.error_codes", codes)
