"""What enrichment found: the kinds' records, perceptual hashes, and the near-duplicate query.

Near-duplicates (migration 0022 says why): the hashes whose quarter is one of the values within
``radius`` bits of the asset's own quarter, for any of the four quarters, read through the
quarters' indexes; the full Hamming distance is checked on those candidates only.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec

from dam.db.pool import Connection, Pool
from dam.db.query import Key, Sort, Where
from dam.domain import hashes as dhash
from dam.domain.enrichment import Findings, Similar
from dam.domain.status import HIDDEN
from dam.domain.tags import key_of


async def put(
    conn: Connection,
    asset_id: uuid.UUID,
    *,
    step: str,
    kind: str,
    model: str,
    model_version: str,
    result: dict[str, Any],
    text: str,
    flags: list[str],
    tags: dict[str, float] | None = None,
) -> None:
    """Inside the step's finish: the kind's record (replacing an earlier one), its model tags (when
    it tags), the model named on the step's row, and the asset's search document rebuilt with what
    was found."""
    await conn.execute(
        """WITH kept AS (
               INSERT INTO enrichments AS e (asset_id, kind, model, model_version, result, text, flags)
               VALUES ($1, $2, $3, $4, $5, $6, $7)
               ON CONFLICT (asset_id, kind) DO UPDATE SET
                   model = EXCLUDED.model, model_version = EXCLUDED.model_version,
                   result = EXCLUDED.result, text = EXCLUDED.text, flags = EXCLUDED.flags,
                   updated_at = now()
           )
           UPDATE asset_steps SET model = $3, model_version = $4 WHERE asset_id = $1 AND step = $8""",
        asset_id, kind, model, model_version, result, text, flags, step,
    )  # fmt: skip
    if tags is not None:
        await conn.execute("DELETE FROM model_tags WHERE asset_id = $1 AND kind = $2", asset_id, kind)
        names = list(tags)
        await conn.execute(
            """INSERT INTO model_tags (asset_id, workspace_id, kind, model, name, key, confidence)
               SELECT a.id, a.workspace_id, $2, $3, t.name, t.key, t.confidence
               FROM assets AS a, unnest($4::text[], $5::text[], $6::real[]) AS t (name, key, confidence)
               WHERE a.id = $1
               ON CONFLICT (asset_id, kind, key) DO UPDATE SET
                   confidence = greatest(model_tags.confidence, EXCLUDED.confidence)""",
            asset_id, kind, model, names, [key_of(n) for n in names], [tags[n] for n in names],
        )  # fmt: skip
    # After the statements above (a data-modifying CTE's rows are not visible to its own statement).
    await conn.execute("SELECT dam_refresh_search(ARRAY[$1::uuid])", asset_id)


async def put_hashes(conn: Connection, asset_id: uuid.UUID, model: str, values: list[int]) -> None:
    """Inside the step's finish: the asset's hashes of ``model`` (frame by frame), replacing earlier ones."""
    await conn.execute("DELETE FROM asset_hashes WHERE asset_id = $1 AND model = $2", asset_id, model)
    quarters = [dhash.quarters(value) for value in values]
    await conn.execute(
        """INSERT INTO asset_hashes (asset_id, workspace_id, model, frame, hash, q0, q1, q2, q3)
           SELECT a.id, a.workspace_id, $2, h.frame - 1, h.hash, h.q0, h.q1, h.q2, h.q3
           FROM assets AS a,
                unnest($3::bigint[], $4::smallint[], $5::smallint[], $6::smallint[], $7::smallint[])
                    WITH ORDINALITY AS h (hash, q0, q1, q2, q3, frame)
           WHERE a.id = $1""",
        asset_id, model, values, *([q[i] for q in quarters] for i in range(4)),
    )  # fmt: skip


async def findings(pool: Pool, asset_id: uuid.UUID) -> dict[str, Findings]:
    """What each kind last found for the asset, people's answers to its model tags marked (one
    round trip)."""
    records = await pool.fetch(
        """SELECT e.kind, e.model, e.model_version, e.result,
                  (SELECT coalesce(jsonb_object_agg(d.key, d.decision), '{}'::jsonb)
                   FROM tag_decisions AS d WHERE d.asset_id = $1) AS answered
           FROM enrichments AS e WHERE e.asset_id = $1""",
        asset_id,
    )
    return {
        r["kind"]: Findings(
            model=r["model"],
            model_version=r["model_version"],
            result=_answered(r["result"], r["answered"]),
        )
        for r in records
    }


async def similar(
    pool: Pool, workspace_id: uuid.UUID, asset_id: uuid.UUID, model: str, max_distance: int, limit: int
) -> list[Similar]:
    """Other assets of the workspace whose hash (any frame) is within ``max_distance`` bits of one
    of this asset's, closest first; none when the asset has no hash of ``model``."""
    mine = await pool.fetch(
        "SELECT hash FROM asset_hashes WHERE asset_id = $1 AND model = $2 AND workspace_id = $3",
        asset_id, model, workspace_id,
    )  # fmt: skip
    if not mine:
        return []
    radius = dhash.radius_of(max_distance)
    hashes = [int(r["hash"]) for r in mine]
    near = [sorted({v for h in hashes for v in dhash.near(dhash.quarters(h)[i], radius)}) for i in range(4)]
    # Each quarter's candidates come from its covering index alone (an index-only scan: no heap read
    # per candidate), their distance is checked there, and only the few within it meet ``assets``.
    # Planned for its values: a generic plan read every candidate's asset first (make bench-enrich).
    candidates = " UNION ALL ".join(
        f"SELECT h.asset_id, h.hash FROM asset_hashes AS h"
        f" WHERE h.workspace_id = $1 AND h.q{i} = ANY(${5 + i}::smallint[]) AND h.model = $2"
        for i in range(4)
    )
    records = await pool.fetch_planned(
        f"""SELECT n.asset_id, n.distance
            FROM (SELECT c.asset_id, min(bit_count((c.hash # m.hash)::bit(64)))::integer AS distance
                  FROM ({candidates}) AS c, unnest($4::bigint[]) AS m (hash)
                  WHERE c.asset_id <> $3 AND bit_count((c.hash # m.hash)::bit(64)) <= $9
                  GROUP BY c.asset_id) AS n
            JOIN assets AS a ON a.id = n.asset_id AND a.status <> ALL($11::text[])
            ORDER BY n.distance, n.asset_id
            LIMIT $10""",
        workspace_id, model, asset_id, hashes, *near, max_distance, limit, [s.value for s in HIDDEN],
    )  # fmt: skip
    return [Similar(asset_id=r["asset_id"], distance=r["distance"]) for r in records]


async def model_tag(conn: Connection, asset_id: uuid.UUID, key: str) -> str | None:
    """The name of the asset's model tag of that key (None: no model tagged it so)."""
    name: str | None = await conn.fetchval(
        "SELECT name FROM model_tags WHERE asset_id = $1 AND key = $2 ORDER BY confidence DESC LIMIT 1",
        asset_id, key,
    )  # fmt: skip
    return name


async def decide(
    conn: Connection, asset_id: uuid.UUID, key: str, decision: str, user_id: uuid.UUID | None
) -> None:
    """Inside a transaction: a person's answer to a model tag, remembered (a later one replaces
    it), and the asset's search document rebuilt (a rejected model tag is no longer searched)."""
    await conn.execute(
        """INSERT INTO tag_decisions (asset_id, key, decision, decided_by) VALUES ($1, $2, $3, $4)
           ON CONFLICT (asset_id, key) DO UPDATE SET
               decision = EXCLUDED.decision, decided_by = EXCLUDED.decided_by, decided_at = now()""",
        asset_id, key, decision, user_id,
    )  # fmt: skip
    await conn.execute("SELECT dam_refresh_search(ARRAY[$1::uuid])", asset_id)


def _answered(result: dict[str, Any], answered: dict[str, str]) -> dict[str, Any]:
    """A result whose model tags carry people's answers (``decision``: accepted, rejected or null)."""
    tags = result.get("tags")
    if not isinstance(tags, list):
        return result
    marked = [
        {**t, "decision": answered.get(key_of(str(t.get("name", ""))))} for t in tags if isinstance(t, dict)
    ]
    return {**result, "tags": marked}


class Hashed(msgspec.Struct, frozen=True, kw_only=True):
    """An asset with a picture hash, in the order duplicates are reviewed (oldest first)."""

    id: uuid.UUID
    created_at: datetime


OLDEST_HASHED = Sort(
    "duplicates", (Key("a.created_at", datetime, "created_at", False), Key("a.id", uuid.UUID, "id", False))
)


async def hashed(
    pool: Pool, workspace_id: uuid.UUID, model: str, after: Sequence[object] | None, limit: int
) -> list[Hashed]:
    """The workspace's assets (deleted ones aside) with a hash of ``model``, oldest first, after the
    cursor's."""
    where = Where().add("h.workspace_id = {}", workspace_id).add("h.model = {}", model).add("h.frame = 0")
    where.add("a.status <> ALL({})", [s.value for s in HIDDEN]).after(OLDEST_HASHED, after)
    records = await pool.fetch(
        f"""SELECT a.id, a.created_at FROM asset_hashes AS h JOIN assets AS a ON a.id = h.asset_id
            WHERE {where.sql} ORDER BY {OLDEST_HASHED.order_by} LIMIT {where.arg(limit)}""",
        *where.args,
    )
    return [Hashed(id=r["id"], created_at=r["created_at"]) for r in records]
