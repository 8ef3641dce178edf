"""The simulators on loopback and a Directory over them, as the sources tests have them."""

from tests.sources.conftest import directory, sims, tass_api

__all__ = ["directory", "sims", "tass_api"]
