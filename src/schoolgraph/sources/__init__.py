"""Sources: the upstream connectors adapted into the unified domain model.

``Directory`` is the only thing the graph layer uses; the per-upstream adapters are the only
code that knows both a connector's models and the domain model.
"""

from schoolgraph.sources.directory import Directory

__all__ = ["Directory"]
