"""schoolgraph: one async GraphQL graph over the Tanda, Xporter on Demand and TASS REST APIs."""

from schoolgraph._version import __version__
from schoolgraph.app import create_app
from schoolgraph.config import Settings, load_settings

__all__ = ["Settings", "__version__", "create_app", "load_settings"]
