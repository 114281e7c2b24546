"""``asset_steps`` rows: every SQL statement touching processing steps lives here."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from dam.db.pool import Connection, Pool
from dam.domain.assets import Rendition, StepRecord
from dam.domain.status import AssetStatus
from dam.domain.steps import Released, StepState

_COLUMNS = (
    "asset_id, step AS name, state, attempts, started_at, finished_at, error, outputs,"
    " retries, last_fault, retrying_since, progress"
)
_P, _R, _D, _F = (s.value for s in (StepState.PENDING, StepState.RUNNING, StepState.DONE, StepState.FAILED))


class StepStats(msgspec.Struct, kw_only=True):
    """One step across all assets: how many are in each state, and how long done ones took."""

    step: str
    states: dict[str, int]
    mean_seconds: float | None
    max_seconds: float | None


class StepFailure(msgspec.Struct, kw_only=True):
    """A step that failed for good."""

    asset_id: uuid.UUID
    workspace_id: uuid.UUID
    step: str
    error: str | None
    finished_at: datetime | None


async def replan(conn: Connection, asset_id: uuid.UUID, names: tuple[str, ...]) -> None:
    """Inside a transaction: forget earlier steps; ``names`` are the asset's steps, all pending."""
    await conn.execute("DELETE FROM asset_steps WHERE asset_id = $1", asset_id)
    await add(conn, asset_id, names)


async def add(conn: Connection, asset_id: uuid.UUID, names: tuple[str, ...]) -> None:
    """Inside a transaction: plan more steps after the existing ones (known ones are kept)."""
    await conn.execute(
        """INSERT INTO asset_steps (asset_id, step, position, state)
           SELECT $1, name, coalesce((SELECT max(position) + 1 FROM asset_steps WHERE asset_id = $1), 0)
                            + ordinality - 1, $3
           FROM unnest($2::text[]) WITH ORDINALITY AS planned(name, ordinality)
           ON CONFLICT (asset_id, step) DO NOTHING""",
        asset_id, list(names), _P,
    )  # fmt: skip


async def rerun(conn: Connection, asset_id: uuid.UUID, names: tuple[str, ...]) -> None:
    """Inside a transaction: make the named steps pending again."""
    await conn.execute(
        """UPDATE asset_steps SET state = $3, attempts = 0, started_at = NULL, finished_at = NULL,
                                  error = NULL, outputs = '[]'::jsonb, runner = NULL, retries = 0,
                                  last_fault = NULL, retrying_since = NULL, progress = NULL,
                                  updated_at = now()
           WHERE asset_id = $1 AND step = ANY($2::text[])""",
        asset_id, list(names), _P,
    )  # fmt: skip


async def states(conn: Connection | Pool, asset_id: uuid.UUID) -> dict[str, StepState]:
    """Every planned step of an asset and its state, in plan order."""
    records = await conn.fetch(
        "SELECT step, state FROM asset_steps WHERE asset_id = $1 ORDER BY position", asset_id
    )
    return {r["step"]: StepState(r["state"]) for r in records}


async def begin(
    conn: Connection,
    asset_id: uuid.UUID,
    name: str,
    *,
    stale_after: float,
    runner: str,
    resumed: bool = False,
) -> StepRecord | None:
    """Inside a transaction: a pending step starts an attempt; so does a running one whose attempt
    began more than ``stale_after`` seconds ago (its worker died) or that ``runner`` itself left
    running (arq runs a job again under the same id). Taking a step back from a runner that did not
    record its end counts an attempt (its worker died mid-step), except when ``resumed``: that
    runner is known to have given it back after a dependency fault (e.g. the database was down
    when it would have recorded the end). A step another job runs now is left alone."""
    record = await conn.fetchrow(
        f"""UPDATE asset_steps
            SET attempts = attempts + CASE WHEN state = $3 AND runner = $6 AND $7::bool THEN 0 ELSE 1 END,
                state = $3, runner = $6, started_at = now(), finished_at = NULL, error = NULL,
                updated_at = now()
            WHERE asset_id = $1 AND step = $2
              AND (state = $4
                   OR (state = $3 AND (runner = $6 OR started_at < now() - make_interval(secs => $5))))
            RETURNING {_COLUMNS}""",
        asset_id, name, _R, _P, stale_after, runner, resumed,
    )  # fmt: skip
    return None if record is None else msgspec.convert(dict(record.items()), StepRecord)


async def release(pool: Pool, asset_id: uuid.UUID, name: str, *, fault: str | None) -> Released | None:
    """A running step waits again. With ``fault`` (a dependency was unavailable) the attempt does not
    count: it counts as a retry, and the run of retries starts if it had not; without it (the step
    hit its own time limit) the attempt counts. None when the step was not running."""
    record = await pool.fetchrow(
        """UPDATE asset_steps
           SET state = $3, runner = NULL, updated_at = now(),
               attempts = CASE WHEN $5::text IS NULL THEN attempts ELSE greatest(attempts - 1, 0) END,
               retries = retries + CASE WHEN $5::text IS NULL THEN 0 ELSE 1 END,
               last_fault = coalesce($5, last_fault),
               retrying_since = CASE WHEN $5::text IS NULL THEN retrying_since
                                     ELSE coalesce(retrying_since, started_at, now()) END
           WHERE asset_id = $1 AND step = $2 AND state = $4
           RETURNING retries, extract(epoch FROM now() - coalesce(retrying_since, now())) AS retrying_for""",
        asset_id, name, _P, _R, fault,
    )  # fmt: skip
    if record is None:
        return None
    return Released(retries=int(record["retries"]), retrying_for=float(record["retrying_for"]))


async def give_back(pool: Pool, asset_id: uuid.UUID, name: str, *, runner: str) -> bool:
    """A running step whose worker stops before it ends (a shutdown past its grace) waits again; the
    attempt it began does not count. False when ``runner`` was not running it."""
    status = await pool.execute(
        """UPDATE asset_steps SET state = $3, runner = NULL, attempts = greatest(attempts - 1, 0),
                                  updated_at = now()
           WHERE asset_id = $1 AND step = $2 AND state = $4 AND runner = $5""",
        asset_id, name, _P, _R, runner,
    )  # fmt: skip
    return status.endswith(" 1")


async def advance(pool: Pool, asset_id: uuid.UUID, name: str, progress: float) -> bool:
    """A running step did part of its work (a chunk) and waits for its next job: its attempts start
    over, as the part it finished never needs doing again. False when it was not running."""
    status = await pool.execute(
        """UPDATE asset_steps SET state = $3, runner = NULL, attempts = 0, retries = 0,
                                  retrying_since = NULL, progress = $5, updated_at = now()
           WHERE asset_id = $1 AND step = $2 AND state = $4""",
        asset_id, name, _P, _R, min(1.0, max(0.0, progress)),
    )  # fmt: skip
    return status.endswith(" 1")


async def set_progress(pool: Pool, asset_id: uuid.UUID, name: str, progress: float) -> None:
    """How far a running step is (0-1)."""
    await pool.execute(
        """UPDATE asset_steps SET progress = $3, updated_at = now()
           WHERE asset_id = $1 AND step = $2 AND state = $4""",
        asset_id, name, min(1.0, max(0.0, progress)), _R,
    )  # fmt: skip


async def park(pool: Pool, asset_id: uuid.UUID, name: str, reason: str) -> None:
    """A pending step whose retries ran out of time waits for the reconciler; its next run of
    retries gets a deadline of its own."""
    await pool.execute(
        """UPDATE asset_steps SET last_fault = $3, retrying_since = NULL, updated_at = now()
           WHERE asset_id = $1 AND step = $2 AND state = $4""",
        asset_id, name, reason, _P,
    )  # fmt: skip


async def finish(
    conn: Connection,
    asset_id: uuid.UUID,
    name: str,
    *,
    state: StepState,
    outputs: list[Rendition],
    error: str | None = None,
) -> bool:
    """Inside a transaction: a running step ends as done or failed; False when it was not running."""
    status = await conn.execute(
        """UPDATE asset_steps SET state = $3, finished_at = now(), error = $4, outputs = $5,
                                  runner = NULL, retrying_since = NULL, updated_at = now(),
                                  progress = CASE WHEN $3 = 'done' THEN 1 ELSE progress END
           WHERE asset_id = $1 AND step = $2 AND state = $6""",
        asset_id, name, state.value, error, outputs, _R,
    )  # fmt: skip
    return status.endswith(" 1")


async def list_steps(pool: Pool, asset_ids: list[uuid.UUID]) -> list[StepRecord]:
    """The steps of the given assets, in plan order."""
    records = await pool.fetch(
        f"SELECT {_COLUMNS} FROM asset_steps WHERE asset_id = ANY($1::uuid[]) ORDER BY asset_id, position",
        asset_ids,
    )
    return [msgspec.convert(dict(r.items()), StepRecord) for r in records]


async def stats(pool: Pool, workspace_id: uuid.UUID | None = None) -> list[StepStats]:
    """Per step: counts by state, mean and longest duration of done attempts (of one workspace's
    assets, or of all)."""
    records = await pool.fetch(
        """SELECT s.step, s.state, count(*) AS n,
                  avg(extract(epoch FROM s.finished_at - s.started_at)) AS mean,
                  max(extract(epoch FROM s.finished_at - s.started_at)) AS longest
           FROM asset_steps s JOIN assets a ON a.id = s.asset_id
           WHERE $1::uuid IS NULL OR a.workspace_id = $1
           GROUP BY s.step, s.state ORDER BY s.step""",
        workspace_id,
    )
    out: dict[str, StepStats] = {}
    for r in records:
        entry = out.setdefault(
            r["step"], StepStats(step=r["step"], states={}, mean_seconds=None, max_seconds=None)
        )
        entry.states[r["state"]] = int(r["n"])
        if r["state"] == _D and r["mean"] is not None:
            entry.mean_seconds, entry.max_seconds = round(float(r["mean"]), 3), round(float(r["longest"]), 3)
    return list(out.values())


async def failures(pool: Pool, workspace_id: uuid.UUID | None = None, limit: int = 20) -> list[StepFailure]:
    """The most recent steps that failed for good (of one workspace's assets, or of all)."""
    records = await pool.fetch(
        """SELECT s.asset_id, a.workspace_id, s.step, s.error, s.finished_at
           FROM asset_steps s JOIN assets a ON a.id = s.asset_id
           WHERE s.state = $1 AND ($3::uuid IS NULL OR a.workspace_id = $3)
           ORDER BY s.finished_at DESC NULLS LAST LIMIT $2""",
        _F, limit, workspace_id,
    )  # fmt: skip
    return [msgspec.convert(dict(r.items()), StepFailure) for r in records]


async def ready_with_step(
    pool: Pool, step: str, after: uuid.UUID | None, limit: int, workspace: str | None = None
) -> list[uuid.UUID]:
    """Ready assets that planned ``step`` (of the workspace of that slug, when given), by id, after
    ``after``."""
    records = await pool.fetch(
        """SELECT s.asset_id FROM asset_steps s JOIN assets a ON a.id = s.asset_id
           WHERE s.step = $1 AND a.status = $5 AND ($2::uuid IS NULL OR s.asset_id > $2)
             AND ($4::text IS NULL OR a.workspace_id = (SELECT w.id FROM workspaces w WHERE w.slug = $4))
           ORDER BY s.asset_id LIMIT $3""",
        step, after, limit, workspace, AssetStatus.READY.value,
    )  # fmt: skip
    return [r["asset_id"] for r in records]
