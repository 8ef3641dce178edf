"""Live updates: changes from Tanda webhooks and Xporter change-set polls, fanned out to
GraphQL subscriptions (see :mod:`schoolgraph.graph.subscriptions`)."""

from schoolgraph.live.app_keys import LIVE
from schoolgraph.live.broker import Broker, Subscriber
from schoolgraph.live.service import LiveUpdates, add_live_updates

__all__ = ["LIVE", "Broker", "LiveUpdates", "Subscriber", "add_live_updates"]
