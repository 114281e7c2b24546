"""Near-duplicate lookup at a million hashed assets: ``dam.db.enrichment.similar`` beside a brute-force
scan of every hash of the workspace, the same anchors, alternating, in one run.

The data set (``python -m bench.hashes_bench [--rebuild]`` makes it alone) is a database of its own,
``dam_bench_hashes_1m``, migrated to head with the project's migrations and made once: one
workspace, 1,000,000 minimal ``ready`` image assets, each with one 64-bit hash of the ``dhash`` model
and its four quarters. The hashes are uniformly random (seeded), except 10,000 planted groups: a
source and one to three copies of it with 0-12 of their bits flipped (those within 10 bits are the
near-duplicates a lookup must find). A ``bench_meta`` row marks a finished data set of this generator
version and these migrations; otherwise the database is dropped and made again.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import time
import uuid
from collections.abc import Awaitable, Callable
from statistics import median
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import msgspec
import numpy as np

from bench.ingest import percentile
from bench.search.generate import drop, drop_indexes, schema_fingerprint
from dam.db.enrichment import similar
from dam.db.migrate import ensure_database, upgrade
from dam.db.pool import Pool, create_pool
from dam.domain.enrichment import DEFAULT_MAX_DISTANCE, SIMILAR_LIMIT
from dam.domain.hashes import quarters, signed
from dam.settings import load_settings

VERSION = 1  # change it whenever the data would differ: an existing data set is then made again
SEED = 64
ASSETS = 1_000_000
GROUPS = 10_000  # planted near-duplicates: a source and 1-3 copies with a few bits flipped
MODEL = "dhash"
WORKSPACE = uuid.UUID("00000000-0000-4000-8000-00000000c0de")
ADMIN_URL = os.environ.get("DAM_BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
NEED = 3 * 2**30  # bytes free before making it (measured: ~0.6 GB, then room for the index builds)
ANCHORS = 200
WARM = 20  # anchors run once through both queries before the clock starts

ASSETS_SQL = """
INSERT INTO assets (id, workspace_id, filename, content_type, storage_key, status, size, created_at,
                    updated_at, uploaded_at)
SELECT bench_id(i), $1, 'IMG_' || i || '.jpg', 'image/jpeg', 'originals/' || bench_id(i) || '/IMG.jpg',
       'ready', 3000000, t, t, t
  FROM generate_series(0, $2 - 1) AS i,
       LATERAL (SELECT timestamptz '2020-01-01' + i * interval '3 minutes') AS s (t)
"""
# Quarters as dam.domain.hashes.quarters makes them: 16 bits each, highest first, as signed smallints.
HASHES_SQL = """
INSERT INTO asset_hashes (asset_id, workspace_id, model, frame, hash, q0, q1, q2, q3)
SELECT bench_id(h.i), $1, $2, 0, h.hash,
       ((((h.hash >> 48) & 65535) # 32768) - 32768)::smallint,
       ((((h.hash >> 32) & 65535) # 32768) - 32768)::smallint,
       ((((h.hash >> 16) & 65535) # 32768) - 32768)::smallint,
       (((h.hash & 65535) # 32768) - 32768)::smallint
  FROM bench_hashes AS h
"""
# The baseline: the same answer from every hash of the workspace, no quarter lookup.
BRUTE_SQL = """
SELECT c.asset_id, min(bit_count((c.hash # m.hash)::bit(64)))::integer AS distance
  FROM asset_hashes AS c,
       (SELECT hash FROM asset_hashes WHERE asset_id = $3 AND model = $2 AND workspace_id = $1) AS m
 WHERE c.workspace_id = $1 AND c.model = $2 AND c.asset_id <> $3
   AND bit_count((c.hash # m.hash)::bit(64)) <= $4
 GROUP BY c.asset_id
 ORDER BY distance, c.asset_id
 LIMIT $5
"""


def asset_id(i: int) -> uuid.UUID:
    """The id of the data set's ``i``-th asset (as the SQL function ``bench_id`` makes it)."""
    return uuid.UUID(f"00000000-0000-4000-8000-{i:012x}")


def database_url() -> str:
    """The data set's database: the admin URL with the database name replaced."""
    return urlunsplit(urlsplit(ADMIN_URL)._replace(path="/dam_bench_hashes_1m"))


def make_hashes(count: int, groups: int, seed: int) -> tuple[np.ndarray, list[int]]:
    """``count`` random 64-bit hashes (signed, as bigints hold them) with the planted groups; and the
    indexes of the groups' sources and copies."""
    rng = np.random.default_rng(seed)
    hashes = np.frombuffer(rng.bytes(8 * count), dtype="<i8").copy()
    order = rng.permutation(count)
    sources = order[:groups]
    copies = order[groups : groups + 2 * groups]  # 1-3 per source, 2 on average
    flips = random.Random(seed)
    for n, copy in enumerate(copies):
        source = sources[n % groups] if n < groups else sources[flips.randrange(groups)]
        mask = 0
        for bit in flips.sample(range(64), flips.randint(0, 12)):
            mask |= 1 << bit
        hashes[copy] = signed(int(hashes[source]) ^ mask)
    return hashes, [int(i) for i in (*sources, *copies)]


async def ready(url: str) -> bool:
    """Whether the database holds a finished data set of this generator version and schema."""
    try:
        conn = await asyncpg.connect(url)
    except asyncpg.InvalidCatalogNameError:
        return False
    try:
        row = await conn.fetchrow("SELECT version, assets, schema FROM bench_meta LIMIT 1")
    except (asyncpg.UndefinedTableError, asyncpg.UndefinedColumnError):
        return False
    finally:
        await conn.close()
    return row is not None and (row["version"], row["assets"], row["schema"]) == (
        VERSION, ASSETS, schema_fingerprint(),
    )  # fmt: skip


async def ensure(*, rebuild: bool = False) -> str:
    """The data set's URL, made first when missing, unfinished, of another version or migrations."""
    url = database_url()
    if not rebuild and await ready(url):
        return url
    _check_disk()
    started = time.perf_counter()
    await drop(url)
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url)
    conn = await asyncpg.connect(url)
    try:
        await _fill(conn)
        await conn.execute(
            """CREATE TABLE bench_meta (version integer NOT NULL, assets integer NOT NULL,
                   seed integer NOT NULL, schema text NOT NULL, seconds double precision NOT NULL,
                   built_at timestamptz NOT NULL DEFAULT now())"""
        )
        seconds = time.perf_counter() - started
        await conn.execute(
            "INSERT INTO bench_meta VALUES ($1, $2, $3, $4, $5)",
            VERSION, ASSETS, SEED, schema_fingerprint(), seconds,
        )  # fmt: skip
    finally:
        await conn.close()
    print(f"(hash data set made in {seconds:.0f} s: {url.rsplit('/', 1)[1]})")
    return url


def _check_disk() -> None:
    free = shutil.disk_usage("/var/lib/postgresql" if os.path.isdir("/var/lib/postgresql") else "/").free
    if free < NEED:
        raise SystemExit(f"the hash data set needs ~{NEED / 2**30:.0f} GiB free, {free / 2**30:.1f} GiB are")


async def _fill(conn: asyncpg.Connection) -> None:
    # The rows are consistent by construction: no per-row foreign-key checks or triggers.
    await conn.execute("SET session_replication_role = replica")
    await conn.execute("SET maintenance_work_mem = '512MB'")
    await conn.execute("SET synchronous_commit = off")
    await conn.execute(
        """CREATE FUNCTION bench_id(i bigint) RETURNS uuid LANGUAGE sql IMMUTABLE
           AS $$ SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid $$"""
    )
    await conn.execute("INSERT INTO workspaces (id, slug, name) VALUES ($1, 'hashes', 'Hashes')", WORKSPACE)
    dropped = await drop_indexes(conn, ("assets", "asset_hashes"))
    await conn.execute(ASSETS_SQL, WORKSPACE, ASSETS)
    hashes, _ = make_hashes(ASSETS, GROUPS, SEED)
    await conn.execute("CREATE UNLOGGED TABLE bench_hashes (i bigint NOT NULL, hash bigint NOT NULL)")
    await conn.copy_records_to_table(
        "bench_hashes", records=enumerate(hashes.tolist()), columns=("i", "hash")
    )
    await conn.execute(HASHES_SQL, WORKSPACE, MODEL)
    await conn.execute("DROP TABLE bench_hashes")
    for definition in dropped:
        await conn.execute(definition)
    await conn.execute("VACUUM (ANALYZE) assets")
    await conn.execute("VACUUM (ANALYZE) asset_hashes")
    # The SQL quarters are the service's: checked on a sample against dam.domain.hashes.quarters.
    rows = await conn.fetch(
        "SELECT hash, q0, q1, q2, q3 FROM asset_hashes TABLESAMPLE SYSTEM (0.1) REPEATABLE (1)"
    )
    wrong = [r["hash"] for r in rows if quarters(r["hash"]) != (r["q0"], r["q1"], r["q2"], r["q3"])]
    if not rows or wrong:
        raise SystemExit(f"the data set's quarters differ from the service's for hashes {wrong[:5]}")


class HashFigures(msgspec.Struct, frozen=True):
    """Milliseconds per lookup of each query (``QUERIES``) over the same anchors; how many
    near-duplicates each anchor has; the data set's size and how long it took to make."""

    ms: dict[str, list[float]]
    found: list[int]
    size: str
    built_seconds: float

    def p(self, query: str, q: float) -> float:
        """A percentile of one query's times."""
        return percentile(self.ms[query], q)


def _anchors(count: int) -> list[int]:
    """Half planted (sources and copies: answers that are not empty), half anywhere (mostly empty)."""
    planted = make_hashes(ASSETS, GROUPS, SEED)[1]
    rnd = random.Random(SEED + 1)
    anchors = [*rnd.sample(planted, count // 2), *rnd.sample(range(ASSETS), count - count // 2)]
    rnd.shuffle(anchors)
    return anchors


Answer = list[tuple[uuid.UUID, int]]
QUERIES = ("similar", "brute")


def _queries(pool: Pool, anchor: uuid.UUID) -> dict[str, Callable[[], Awaitable[Answer]]]:
    async def ours(on: Any) -> Answer:
        found = await similar(on, WORKSPACE, anchor, MODEL, DEFAULT_MAX_DISTANCE, SIMILAR_LIMIT)
        return [(s.asset_id, s.distance) for s in found]

    async def brute() -> Answer:
        rows = await pool.fetch(BRUTE_SQL, WORKSPACE, MODEL, anchor, DEFAULT_MAX_DISTANCE, SIMILAR_LIMIT)
        return [(r["asset_id"], r["distance"]) for r in rows]

    return {"similar": lambda: ours(pool), "brute": brute}


def _turn(turn: int) -> list[str]:
    """The queries of an anchor: ``similar`` for every one; every other one also the other two, the
    three in an order that turns (the brute force's scans are long: half as many keep the run short)."""
    if turn % 2:
        return ["similar"]
    first = turn // 2
    return [QUERIES[(first + k) % len(QUERIES)] for k in range(len(QUERIES))]


async def _time(pool: Pool, anchor: uuid.UUID, turn: int) -> tuple[dict[str, float], int]:
    """The anchor's queries (ms each), their answers checked to agree; how many near-duplicates."""
    queries = _queries(pool, anchor)
    timed: dict[str, float] = {}
    answers: dict[str, Answer] = {}
    for name in _turn(turn):
        started = time.perf_counter()
        answers[name] = await queries[name]()
        timed[name] = (time.perf_counter() - started) * 1000
    if any(answer != answers["similar"] for answer in answers.values()):
        raise SystemExit(f"similar() and the brute-force scan disagree for asset {anchor}")
    return timed, len(answers["similar"])


async def _measure(url: str) -> HashFigures:
    pool = await create_pool(load_settings({"DAM_DATABASE_URL": url}).db)
    try:
        anchors = [asset_id(i) for i in _anchors(ANCHORS)]
        for turn, anchor in enumerate(anchors[:WARM]):
            await _time(pool, anchor, turn)
        ms: dict[str, list[float]] = {name: [] for name in QUERIES}
        found = []
        for turn, anchor in enumerate(anchors):
            timed, near = await _time(pool, anchor, turn)
            for name, spent in timed.items():
                ms[name].append(spent)
            found.append(near)
        size = await pool.fetchval("SELECT pg_size_pretty(pg_database_size(current_database()))")
        built = await pool.fetchval("SELECT seconds FROM bench_meta")
    finally:
        await pool.close()
    return HashFigures(ms=ms, found=found, size=str(size), built_seconds=float(built))


def hash_figures() -> HashFigures:
    """Make (or reuse) the data set, then time both queries over the anchors."""

    async def run() -> HashFigures:
        return await _measure(await ensure())

    return asyncio.run(run())


def main() -> None:
    """Make (or remake) the data set and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="make the data set again even if it is there")
    args = parser.parse_args()
    asyncio.run(ensure(rebuild=args.rebuild))
    figures = hash_figures()
    for name in QUERIES:
        print(f"{name:<8} p50 {median(figures.ms[name]):6.1f} ms, p95 {figures.p(name, 0.95):6.1f} ms")
    with_some = sum(1 for n in figures.found if n)
    print(f"({figures.size}; {with_some} of {len(figures.found)} anchors have near-duplicates)")


if __name__ == "__main__":
    main()
