"""Webhook endpoints, the events written in the transaction of the change they report, and their
deliveries: claimed one per endpoint at a time (its oldest waiting first), each attempt recorded."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from dam.db.pool import Connection, Pool, Queries
from dam.db.query import Key, Sort, Where
from dam.domain.webhooks import Attempt, Claimed, Delivery, Endpoint

_ENDPOINT = (
    "id, workspace_id, url, events, description, enabled, failing_since, disabled_reason, created_at,"
    " updated_at"
)


def _endpoint(record: Any) -> Endpoint:
    return msgspec.convert(dict(record.items()), Endpoint)


async def create(
    conn: Queries,
    workspace_id: uuid.UUID,
    url: str,
    events: list[str],
    description: str,
    secret: bytes,
    created_by: uuid.UUID | None,
) -> Endpoint:
    """A new endpoint, enabled."""
    record = await conn.fetchrow(
        f"""INSERT INTO webhooks (id, workspace_id, url, events, description, secret, created_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {_ENDPOINT}""",
        uuid.uuid4(), workspace_id, url, events, description, secret, created_by,
    )  # fmt: skip
    return _endpoint(record)


async def listed(pool: Pool, workspace_id: uuid.UUID) -> list[Endpoint]:
    """The workspace's endpoints, oldest first."""
    records = await pool.fetch(
        f"SELECT {_ENDPOINT} FROM webhooks WHERE workspace_id = $1 ORDER BY created_at, id", workspace_id
    )
    return [_endpoint(r) for r in records]


async def get(conn: Queries, webhook_id: uuid.UUID, workspace_id: uuid.UUID) -> Endpoint | None:
    """One endpoint of the workspace."""
    record = await conn.fetchrow(
        f"SELECT {_ENDPOINT} FROM webhooks WHERE id = $1 AND workspace_id = $2", webhook_id, workspace_id
    )
    return _endpoint(record) if record is not None else None


async def update(
    conn: Queries, webhook_id: uuid.UUID, workspace_id: uuid.UUID, changes: dict[str, Any]
) -> Endpoint | None:
    """Change the given columns (``url``, ``events``, ``description``, ``enabled``); turning it on
    again forgets why it was turned off and how long it failed."""
    sets, args = [], [webhook_id, workspace_id]
    for column in ("url", "events", "description", "enabled"):
        if column in changes:
            args.append(changes[column])
            sets.append(f"{column} = ${len(args)}")
    if changes.get("enabled"):
        sets += ["disabled_reason = NULL", "failing_since = NULL"]
    sets.append("updated_at = now()")
    record = await conn.fetchrow(
        f"""UPDATE webhooks SET {", ".join(sets)} WHERE id = $1 AND workspace_id = $2
            RETURNING {_ENDPOINT}""",
        *args,
    )
    return _endpoint(record) if record is not None else None


async def delete(conn: Queries, webhook_id: uuid.UUID, workspace_id: uuid.UUID) -> bool:
    """Remove the endpoint and its deliveries."""
    done = await conn.fetchval(
        "DELETE FROM webhooks WHERE id = $1 AND workspace_id = $2 RETURNING id", webhook_id, workspace_id
    )
    return done is not None


async def rotate(
    conn: Queries, webhook_id: uuid.UUID, workspace_id: uuid.UUID, secret: bytes, grace: float
) -> Endpoint | None:
    """A new secret; the one it replaces keeps signing beside it for ``grace`` seconds."""
    record = await conn.fetchrow(
        f"""UPDATE webhooks SET previous_secret = secret, secret = $3,
                previous_until = now() + make_interval(secs => $4), updated_at = now()
            WHERE id = $1 AND workspace_id = $2 RETURNING {_ENDPOINT}""",
        webhook_id, workspace_id, secret, grace,
    )  # fmt: skip
    return _endpoint(record) if record is not None else None


async def subscribed(conn: Queries, workspace_id: uuid.UUID, event_type: str) -> bool:
    """Whether an enabled endpoint of the workspace takes this event type."""
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM webhooks WHERE workspace_id = $1 AND enabled AND $2 = ANY(events))",
        workspace_id, event_type,
    )  # fmt: skip
    return found


async def emit(conn: Connection, workspace_id: uuid.UUID, event_type: str, body: str) -> int:
    """Inside the transaction of the change it reports: the event, and a delivery to each enabled
    endpoint of the workspace that takes its type (nothing at all when none does); how many."""
    count: int = await conn.fetchval(
        """WITH subscribed AS (
               SELECT id FROM webhooks WHERE workspace_id = $2 AND enabled AND $3 = ANY(events)
           ), event AS (
               INSERT INTO webhook_events (id, workspace_id, type, body)
               SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM subscribed)
               RETURNING id
           ), made AS (
               INSERT INTO webhook_deliveries (webhook_id, event_id)
               SELECT s.id, e.id FROM subscribed AS s, event AS e
               RETURNING 1
           )
           SELECT count(*) FROM made""",
        uuid.uuid4(), workspace_id, event_type, body,
    )  # fmt: skip
    if count:  # delivered at commit (never for a change that rolls back): the senders look at once
        await conn.execute("SELECT pg_notify($1, '')", CHANNEL)
    return count


async def emit_to(
    conn: Connection, webhook_id: uuid.UUID, workspace_id: uuid.UUID, event_type: str, body: str
) -> uuid.UUID:
    """An event for one endpoint alone (its test); the delivery's id."""
    event_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO webhook_events (id, workspace_id, type, body) VALUES ($1, $2, $3, $4)",
        event_id, workspace_id, event_type, body,
    )  # fmt: skip
    delivery: uuid.UUID = await conn.fetchval(
        "INSERT INTO webhook_deliveries (webhook_id, event_id) VALUES ($1, $2) RETURNING id",
        webhook_id,
        event_id,
    )
    return delivery


CHANNEL = "dam_webhooks"  # notified when deliveries are written; the senders wake on it


class Waker:
    """Wakes the delivery loop when deliveries are written (LISTEN on its own connection); while it
    cannot listen, the loop's own polling finds them."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.event = asyncio.Event()
        self._connection: asyncpg.Connection | None = None
        self._next_try = 0.0

    def _notified(self, *_: object) -> None:
        self.event.set()

    async def wait(self, seconds: float) -> None:
        """Until a delivery is written, or ``seconds`` pass."""
        await self._listen()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self.event.wait()
        self.event.clear()

    async def _listen(self) -> None:
        if self._connection is not None and not self._connection.is_closed():
            return
        if time.monotonic() < self._next_try:
            return
        self._next_try = time.monotonic() + 5.0
        try:
            connection = await asyncpg.connect(self.url, timeout=5)
            await connection.add_listener(CHANNEL, self._notified)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return
        self._connection = connection

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(OSError, asyncpg.InterfaceError):
                await connection.close()


async def claim(pool: Pool, lease: float, limit: int) -> list[Claimed]:
    """The deliveries due now, at most one per endpoint (its oldest waiting one: an endpoint gets
    its events in order), leased for ``lease`` seconds so that no other worker sends them meanwhile."""
    records = await pool.fetch(
        """WITH head AS (
               SELECT DISTINCT ON (d.webhook_id) d.id, d.webhook_id, d.next_at, d.leased_until
               FROM webhook_deliveries AS d JOIN webhooks AS w ON w.id = d.webhook_id AND w.enabled
               WHERE d.state = 'pending'
               ORDER BY d.webhook_id, d.seq
           ), due AS (
               SELECT head.id FROM head
               WHERE head.next_at <= now() AND (head.leased_until IS NULL OR head.leased_until < now())
                 AND NOT EXISTS (SELECT 1 FROM webhook_deliveries AS x
                                 WHERE x.webhook_id = head.webhook_id AND x.state = 'pending'
                                   AND x.leased_until >= now())
               ORDER BY head.next_at
               LIMIT $2
           )
           UPDATE webhook_deliveries AS d SET leased_until = now() + make_interval(secs => $1),
               first_at = coalesce(d.first_at, now())
           FROM due, webhook_events AS e, webhooks AS w
           WHERE d.id = due.id AND e.id = d.event_id AND w.id = d.webhook_id AND w.enabled
             AND d.state = 'pending' AND (d.leased_until IS NULL OR d.leased_until < now())
           RETURNING d.id, d.webhook_id, d.event_id, w.url, e.body, d.attempts, d.first_at,
               array_remove(ARRAY[w.secret, CASE WHEN w.previous_until > now() THEN w.previous_secret END],
                            NULL) AS keys,
               w.failing_since""",
        lease, limit,
    )  # fmt: skip
    return [msgspec.convert(dict(r.items()), Claimed) for r in records]


async def attempted(
    conn: Queries,
    claimed: Claimed,
    attempt: Attempt,
    *,
    state: str,
    next_at: datetime | None,
    disable: str | None = None,
) -> None:
    """Record a try and what follows, in one statement: ``delivered``, ``failed`` for good, or
    ``pending`` again at ``next_at``; the endpoint's run of failures kept (or, with ``disable``, the
    endpoint turned off with that reason)."""
    await conn.execute(
        """WITH tried AS (
               INSERT INTO webhook_attempts (delivery_id, at, duration_ms, status, error, body)
               VALUES ($1, $2, $3, $4, $5, $6)
           ), moved AS (
               UPDATE webhook_deliveries SET state = $7, attempts = attempts + 1, leased_until = NULL,
                   next_at = coalesce($8, next_at), error = CASE WHEN $7 = 'delivered' THEN NULL ELSE $5 END,
                   delivered_at = CASE WHEN $7 = 'delivered' THEN now() END
               WHERE id = $1
           )
           UPDATE webhooks SET
               failing_since = CASE WHEN $7 = 'delivered' THEN NULL ELSE coalesce(failing_since, $2) END,
               enabled = enabled AND $9::text IS NULL, disabled_reason = coalesce($9, disabled_reason)
           WHERE id = $10""",
        claimed.id, attempt.at, attempt.duration_ms, attempt.status, attempt.error, attempt.body, state,
        next_at, disable, claimed.webhook_id,
    )  # fmt: skip


NEWEST = Sort("deliveries", (Key("d.seq", int, "seq"),))


async def deliveries(
    pool: Pool, webhook_id: uuid.UUID, after: Sequence[object] | None, limit: int
) -> list[tuple[int, Delivery]]:
    """The endpoint's deliveries, newest first, each with its attempts (oldest first)."""
    where = Where().add("d.webhook_id = {}", webhook_id).after(NEWEST, after)
    records = await pool.fetch(
        f"""SELECT d.seq, d.id, d.event_id, e.type, d.state,
                   CASE WHEN d.state = 'pending' THEN d.next_at END AS next_at, d.delivered_at, d.error,
                   d.created_at,
                   coalesce((SELECT jsonb_agg(jsonb_build_object('at', a.at, 'duration_ms', a.duration_ms,
                                 'status', a.status, 'error', a.error, 'body', a.body) ORDER BY a.id)
                             FROM webhook_attempts AS a WHERE a.delivery_id = d.id), '[]'::jsonb) AS attempts
            FROM webhook_deliveries AS d JOIN webhook_events AS e ON e.id = d.event_id
            WHERE {where.sql} ORDER BY {NEWEST.order_by} LIMIT {where.arg(limit)}""",
        *where.args,
    )
    found = []
    for r in records:
        values = dict(r.items())
        seq = values.pop("seq")
        found.append((int(seq), msgspec.convert(values, Delivery, strict=False)))
    return found


async def has_delivery(conn: Queries, webhook_id: uuid.UUID, delivery_id: uuid.UUID) -> bool:
    """Whether the endpoint has this delivery."""
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM webhook_deliveries WHERE id = $1 AND webhook_id = $2)",
        delivery_id, webhook_id,
    )  # fmt: skip
    return found


async def redeliver(conn: Queries, webhook_id: uuid.UUID, delivery_id: uuid.UUID) -> bool:
    """Send the delivery again now (a new run of attempts, its webhook-id kept)."""
    done = await conn.fetchval(
        """UPDATE webhook_deliveries SET state = 'pending', next_at = now(), leased_until = NULL,
               first_at = NULL, error = NULL, attempts = 0
           WHERE id = $1 AND webhook_id = $2
             AND NOT (state = 'pending' AND leased_until IS NOT NULL AND leased_until >= now())
           RETURNING id""",
        delivery_id, webhook_id,
    )  # fmt: skip
    return done is not None
