"""The graph's object types, one module per entity of the domain model."""
