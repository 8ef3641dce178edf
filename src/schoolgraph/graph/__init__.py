"""The GraphQL layer: strawberry types, the schema, its extensions and the HTTP view."""
