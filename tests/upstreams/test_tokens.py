"""Token slots: cached until close to expiry, renewed once for a burst, once per 401 wave."""

from __future__ import annotations

import asyncio

from schoolgraph.upstreams.tokens import Token, TokenSlot


class Issuer:
    def __init__(self, lifetime: float | None) -> None:
        self.issued = 0
        self.lifetime = lifetime
        self.now = 0.0
        self.previous: list[Token | None] = []

    async def fetch(self, previous: Token | None) -> Token:
        self.previous.append(previous)
        self.issued += 1
        await asyncio.sleep(0.01)
        expires = None if self.lifetime is None else self.now + self.lifetime
        return Token(f"t{self.issued}", expires, refresh_token=f"r{self.issued}")

    def clock(self) -> float:
        return self.now


async def test_a_burst_of_callers_triggers_one_fetch() -> None:
    issuer = Issuer(lifetime=900)
    slot = TokenSlot(issuer.fetch, clock=issuer.clock)
    tokens = await asyncio.gather(*(slot.get() for _ in range(50)))
    assert {t.value for t in tokens} == {"t1"}
    assert issuer.issued == 1


async def test_renews_ahead_of_expiry_passing_the_previous_token() -> None:
    issuer = Issuer(lifetime=900)
    slot = TokenSlot(issuer.fetch, renew_ahead=60, clock=issuer.clock)
    first = await slot.get()
    issuer.now = 830  # 70 s left: still good
    assert (await slot.get()).value == first.value
    issuer.now = 845  # 55 s left: renew
    second = await slot.get()
    assert second.value == "t2"
    assert issuer.previous == [None, first]


async def test_a_401_wave_renews_exactly_once() -> None:
    issuer = Issuer(lifetime=None)
    slot = TokenSlot(issuer.fetch, clock=issuer.clock)
    stale = await slot.get()
    renewed = await asyncio.gather(*(slot.get(force=True, rejected=stale.value) for _ in range(20)))
    assert {t.value for t in renewed} == {"t2"}
    late = await slot.get(force=True, rejected=stale.value)  # a late 401 for the old token
    assert late.value == "t2"
    assert issuer.issued == 2


def test_repr_never_shows_the_secret() -> None:
    token = Token("super-secret-value", 10.0, refresh_token="refresh-secret")
    assert "secret" not in repr(token)
