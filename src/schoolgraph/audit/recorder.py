"""``AuditRecorder``: records leave the request path through a bounded in-memory buffer.

A request only appends its record to the buffer; a background task writes the buffer in one
transaction every ``interval`` seconds, or as soon as it holds ``batch`` records, and once
more when the app shuts down (after the server drained in-flight requests).

When the buffer is full (the database is slow, or failing), a request waits for the writer
to make room, up to ``wait`` seconds: back-pressure rather than loss. Past that wait the record
is given up, counted in :attr:`AuditRecorder.dropped` and logged at ERROR with its request
id: never silently. A failed write keeps its batch at the front of the buffer for the next.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
import time
from collections import deque

from schoolgraph.audit.models import AuditRecord
from schoolgraph.audit.store import AuditStore

__all__ = ["AuditRecorder"]

logger = logging.getLogger(__name__)

PURGE_EVERY = 3600.0
"""Seconds between purges of records past the retention."""


class AuditRecorder:
    """Buffers audit records and writes them in batches.

    Args:
        store: Where the records go.
        capacity: Most records held in memory.
        interval: Seconds between writes.
        batch: A buffer this long is written at once, without waiting for the interval.
        wait: Seconds a request waits for room in a full buffer before its record is dropped
            (and counted, and logged).
        retention_days: Records older than this are purged hourly; 0 keeps them.
    """

    def __init__(
        self,
        store: AuditStore,
        *,
        capacity: int = 10_000,
        interval: float = 1.0,
        batch: int = 500,
        wait: float = 5.0,
        retention_days: int = 0,
    ) -> None:
        self.store = store
        self.capacity = capacity
        self.interval = interval
        self.batch = min(batch, capacity)
        self.wait = wait
        self.retention_days = retention_days
        self.dropped = 0
        """Records given up after waiting ``wait`` seconds for room (each one logged)."""
        self.written = 0
        """Records written since the recorder started."""
        self._buffer: deque[AuditRecord] = deque()
        self._room = asyncio.Condition()
        self._due = asyncio.Event()
        self._flushing = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._purged_at = float("-inf")

    def __len__(self) -> int:
        return len(self._buffer)

    async def put(self, record: AuditRecord) -> None:
        """Buffer ``record``; waits only while the buffer is full."""
        if len(self._buffer) >= self.capacity:
            self._due.set()
            try:
                async with self._room:
                    await asyncio.wait_for(
                        self._room.wait_for(lambda: len(self._buffer) < self.capacity),
                        self.wait,
                    )
            except TimeoutError:
                self.dropped += 1
                logger.error(
                    "The audit buffer has been full for %.1f s; the record of request %s "
                    "is dropped (%d dropped so far).",
                    self.wait,
                    record.request_id,
                    self.dropped,
                    extra={"request_id": record.request_id},
                )
                return
        self._buffer.append(record)
        if len(self._buffer) >= self.batch:
            self._due.set()

    async def flush(self) -> int:
        """Write everything buffered now; how many records were written.

        Raises:
            Exception: the store's error; the records stay buffered.
        """
        async with self._flushing:
            written = 0
            while self._buffer:
                batch = [self._buffer.popleft() for _ in range(min(self.batch, len(self._buffer)))]
                try:
                    await self.store.insert(batch)
                except BaseException:
                    self._buffer.extendleft(reversed(batch))
                    raise
                written += len(batch)
                self.written += len(batch)
                async with self._room:
                    self._room.notify_all()
            return written

    async def purge_expired(self) -> int:
        """Delete the records past the retention (none when it is 0); how many."""
        if self.retention_days <= 0:
            return 0
        before = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=self.retention_days)
        purged = await self.store.purge(before)
        if purged:
            logger.info("Purged %d audit records older than %d days.", purged, self.retention_days)
        return purged

    async def _run(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._due.wait(), self.interval)
            self._due.clear()
            try:
                await self.flush()
                if time.monotonic() - self._purged_at >= PURGE_EVERY:
                    self._purged_at = time.monotonic()
                    await self.purge_expired()
            except Exception:
                logger.exception(
                    "Writing the audit log failed; %d records stay buffered.", len(self._buffer)
                )

    def start(self) -> None:
        """Start the background writer (in the running loop)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="audit-writer")

    async def close(self) -> None:
        """Stop the writer and write what is left."""
        task, self._task = self._task, None
        if task is not None:
            # Let a write in progress finish rather than cancel it halfway.
            self._stopping = True
            self._due.set()
            await task
        try:
            await self.flush()
        except Exception:
            logger.exception(
                "Writing the audit log at shutdown failed; %d records are lost.",
                len(self._buffer),
            )
