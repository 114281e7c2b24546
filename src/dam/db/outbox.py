"""``job_outbox`` rows: jobs recorded while Redis could not take them, until they are queued."""

from __future__ import annotations

import uuid

import msgspec

from dam.db.pool import Connection, Pool


class PendingJob(msgspec.Struct, frozen=True, kw_only=True):
    """A job to queue: which asset, which queue, which run; the asset's etag names the job."""

    asset_id: uuid.UUID
    queue: str
    rerun: str
    etag: str | None


async def add(pool: Pool, asset_id: uuid.UUID, queues: list[str], rerun: str) -> None:
    """Record jobs to queue later (a job already recorded stays as it is)."""
    await pool.execute(
        """INSERT INTO job_outbox (asset_id, queue, rerun)
           SELECT $1, q, $3 FROM unnest($2::text[]) AS q
           ON CONFLICT DO NOTHING""",
        asset_id, queues, rerun,
    )  # fmt: skip


async def take(conn: Connection, limit: int) -> list[PendingJob]:
    """Inside a transaction: the oldest recorded jobs, locked (other drainers skip them)."""
    records = await conn.fetch(
        """SELECT o.asset_id, o.queue, o.rerun, a.etag
           FROM job_outbox o JOIN assets a ON a.id = o.asset_id
           ORDER BY o.created_at LIMIT $1 FOR UPDATE OF o SKIP LOCKED""",
        limit,
    )
    return [msgspec.convert(dict(r.items()), PendingJob) for r in records]


async def remove(conn: Connection, jobs: list[PendingJob]) -> None:
    """Inside a transaction: forget jobs that are queued now."""
    await conn.execute(
        """DELETE FROM job_outbox o USING unnest($1::uuid[], $2::text[], $3::text[]) AS d(a, q, r)
           WHERE o.asset_id = d.a AND o.queue = d.q AND o.rerun = d.r""",
        [j.asset_id for j in jobs], [j.queue for j in jobs], [j.rerun for j in jobs],
    )  # fmt: skip


async def count(pool: Pool) -> int:
    """How many jobs wait for Redis."""
    return int(await pool.fetchval("SELECT count(*) FROM job_outbox"))
