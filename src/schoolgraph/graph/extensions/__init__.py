"""Strawberry schema extensions of the gateway."""
