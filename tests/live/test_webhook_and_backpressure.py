"""The webhook receiver refuses forgeries and replays; slow subscribers stay bounded."""

from __future__ import annotations

import json
import time
import tracemalloc

from schoolgraph.domain import Change, ChangeKind
from schoolgraph.live import Broker
from schoolgraph.upstreams.tanda.webhooks import signature_of
from tests.live.conftest import Connect, LiveGateway


def notification(org: int, shift_id: int, *, hook_key: str, hook_time: int) -> bytes:
    body = {
        "hook_key": hook_key,
        "hook_time": hook_time,
        "payload": {"organisation_id": org, "topic": "shift.updated", "body": {"id": shift_id}},
    }
    return json.dumps(body).encode()


async def post(gateway: LiveGateway, raw: bytes, signature: str) -> tuple[int, dict[str, object]]:
    async with gateway.http.post(
        gateway.url / "webhooks" / "tanda",
        data=raw,
        headers={"Content-Type": "application/json", "X-Webhook-Signature": signature},
    ) as response:
        return response.status, await response.json()


async def test_forged_stale_and_replayed_webhooks_publish_nothing(
    gateway: LiveGateway, connect: Connect
) -> None:
    secret = gateway.live.receiver.secret
    assert secret is not None
    org = next(iter(gateway.world.organisation))
    shift = min(gateway.world.shifts)
    raw = notification(org, shift, hook_key="k-1", hook_time=int(time.time()))

    status, body = await post(gateway, raw, signature_of("not the secret", raw))
    assert status == 403 and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # type: ignore[index]
    status, _ = await post(gateway, raw, "")
    assert status == 403
    stale = notification(org, shift, hook_key="k-0", hook_time=int(time.time()) - 3 * 86400)
    status, _ = await post(gateway, stale, signature_of(secret, stale))
    assert status == 403
    assert gateway.live.broker.published == 0

    assert await post(gateway, raw, signature_of(secret, raw)) == (200, {"status": "accepted"})
    assert gateway.live.broker.published == 1
    assert await post(gateway, raw, signature_of(secret, raw)) == (200, {"status": "duplicate"})
    assert gateway.live.broker.published == 1


async def test_a_hundred_subscribers_with_one_slow_one_stay_bounded() -> None:
    broker = Broker(queue_size=50)
    changes = [Change(ChangeKind.STUDENT, f"xporter:1:{i}", "xporter:1") for i in range(5000)]
    tracemalloc.start()
    try:
        async with broker.subscribe(ChangeKind.STUDENT) as slow:
            readers = []
            for _ in range(99):
                readers.append(await broker.subscribe(ChangeKind.STUDENT).__aenter__())
            baseline, _ = tracemalloc.get_traced_memory()
            for change in changes:
                broker.publish(change)
                for reader in readers:
                    await reader.next()
            grown = tracemalloc.get_traced_memory()[0] - baseline
            assert len(slow) == 50  # the slow one holds its bound, the newest changes
            assert slow.missed == 5000 - 50
            first, missed = await slow.next()
            assert first.entity_id == "xporter:1:4950" and missed == 4950
            assert all(len(reader) == 0 for reader in readers)
            # 5,000 changes went through; what stays is a bounded queue, not the history.
            assert grown < 200_000, grown
    finally:
        tracemalloc.stop()
