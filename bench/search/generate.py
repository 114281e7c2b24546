"""The bench's data sets: ``dam_bench_search_100k`` and ``dam_bench_search_1m``, made once and reused.

``python -m bench.search.generate --size 100k|1m [--rebuild]``. A data set is a database migrated
to head with the project's own migrations, then filled: workspaces, users, collections, assets by
COPY (secondary indexes dropped first, made again after), tags with counts that match the assets,
then every search document by one ``INSERT ... SELECT ... FROM search_source`` per half of the ids,
the two halves on two connections (rows are loaded with triggers and foreign-key checks off: they
are consistent by construction). A ``bench_meta`` row marks a finished data set; without it (an
interrupted run), or with another generator version or other migrations, the database is dropped
and made again.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import shutil
import time
from collections import Counter
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bench.search import catalog as cat
from bench.search.synth import ASSET_COLUMNS, COLLECTION_COLUMNS, MEMBER_COLUMNS, Synth, World, make_world
from dam.db.migrate import ensure_database, migrations_dir, upgrade

VERSION = 4  # change it whenever the data would differ: existing data sets are then made again
SEED = 31
SIZES = {"100k": 100_000, "1m": 1_000_000}
CHUNK = 50_000
ADMIN_URL = os.environ.get("DAM_BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# Per 1M assets, with room for the index builds (measured: ~3 GB).
DISK_PER_MILLION = 5 * 2**30


# What the presenter reads for a page of results: a ready asset's thumbnail and preview (a waveform
# for audio), as the media jobs record them.
RENDITIONS = """
    INSERT INTO renditions (asset_id, kind, storage_key, content_type, width, height, bytes)
    SELECT a.id, r.kind, 'renditions/' || a.id || '/' || r.kind || r.ext, r.type, r.width, r.height, r.bytes
      FROM assets AS a
      JOIN (VALUES ('image', 'thumbnail', '.webp', 'image/webp', 320, 240, 14000),
                   ('image', 'preview', '.webp', 'image/webp', 1280, 960, 160000),
                   ('video', 'thumbnail', '.webp', 'image/webp', 320, 180, 12000),
                   ('video', 'poster', '.webp', 'image/webp', 1280, 720, 120000),
                   ('audio', 'waveform', '.json', 'application/json', NULL, NULL, 8000))
           AS r (media_kind, kind, ext, type, width, height, bytes) ON r.media_kind = a.media->>'kind'
     WHERE a.status = 'ready'
"""


def database_url(size: str) -> str:
    """The data set's database: the admin URL with the database name replaced."""
    return urlunsplit(urlsplit(ADMIN_URL)._replace(path=f"/dam_bench_search_{size}"))


def schema_fingerprint() -> str:
    """A digest of every migration's text: a data set made under other migrations is made again
    (a revision may be edited in place before it ships, as 0019 was)."""
    digest = hashlib.sha256()
    for path in sorted((migrations_dir() / "versions").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


async def ready(url: str, count: int) -> bool:
    """Whether the database holds a finished data set of this generator version, size and schema."""
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
    wanted = (VERSION, count, schema_fingerprint())
    return row is not None and (row["version"], row["assets"], row["schema"]) == wanted


async def drop(url: str) -> None:
    """Drop the data set's database (and every session still in it)."""
    name = urlsplit(url).path.lstrip("/")
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def ensure(size: str, *, rebuild: bool = False) -> str:
    """The data set's URL, made first when it is missing, unfinished, of another generator version or
    other migrations, or when ``rebuild`` is set."""
    url, count = database_url(size), SIZES[size]
    if not rebuild and await ready(url, count):
        print(f"data set {size}: reused ({url.rsplit('/', 1)[1]}, generator v{VERSION})")
        return url
    _check_disk(count)
    started = time.perf_counter()
    await drop(url)
    await ensure_database(url)
    await asyncio.to_thread(upgrade, url)
    steps = await fill(url, count)
    seconds = time.perf_counter() - started
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            """CREATE TABLE bench_meta (version integer NOT NULL, assets integer NOT NULL,
                   seed integer NOT NULL, schema text NOT NULL, seconds double precision NOT NULL,
                   built_at timestamptz NOT NULL DEFAULT now())"""
        )
        await conn.execute(
            "INSERT INTO bench_meta VALUES ($1, $2, $3, $4, $5)",
            VERSION,
            count,
            SEED,
            schema_fingerprint(),
            seconds,
        )
        database_size = await conn.fetchval("SELECT pg_size_pretty(pg_database_size(current_database()))")
    finally:
        await conn.close()
    print(f"data set {size}: generated in {seconds:.0f} s ({', '.join(steps)}), {database_size}")
    return url


def _check_disk(count: int) -> None:
    need = DISK_PER_MILLION * count / 1_000_000
    free = shutil.disk_usage("/var/lib/postgresql" if os.path.isdir("/var/lib/postgresql") else "/").free
    if free < need:
        raise SystemExit(f"the data set needs ~{need / 2**30:.1f} GiB free, {free / 2**30:.1f} GiB are")


class _Timer:
    def __init__(self) -> None:
        self.steps: list[str] = []
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.steps.append(f"{name} {now - self.last:.0f} s")
        print(f"  {name}: {now - self.last:.1f} s", flush=True)
        self.last = now


async def fill(url: str, count: int) -> list[str]:
    """Generate and load ``count`` assets with everything around them; the steps' times."""
    timer = _Timer()
    world = make_world(SEED)
    conn = await asyncpg.connect(url)
    try:
        # The rows are consistent by construction: no per-row foreign-key checks or triggers.
        await conn.execute("SET session_replication_role = replica")
        await conn.execute("SET maintenance_work_mem = '1GB'")
        await conn.execute("SET synchronous_commit = off")
        await _accounts(conn, world)
        await conn.copy_records_to_table(
            "collections", records=world.collection_rows, columns=COLLECTION_COLUMNS
        )
        dropped = await drop_indexes(conn, ("assets", "collection_assets", "renditions", "search_documents"))
        tag_counts = await _assets(conn, world, count)
        timer.lap("assets generated and copied")
        await _tags(conn, world, tag_counts)
        await conn.execute(RENDITIONS)
        await _documents(url)
        timer.lap("search documents")
        for definition in dropped:
            await conn.execute(definition)
        timer.lap("indexes")
        await conn.execute("VACUUM (ANALYZE)")
        timer.lap("vacuum analyze")
    finally:
        await conn.close()
    return timer.steps


async def _accounts(conn: asyncpg.Connection, world: World) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    for index, (slug, name, _) in enumerate(cat.WORKSPACES):
        ws, user = world.workspaces[index], world.users[index]
        email = f"owner@{slug}.localhost"
        await conn.execute(
            "INSERT INTO workspaces (id, slug, name, created_at) VALUES ($1, $2, $3, $4)", ws, slug, name, now
        )
        await conn.execute(
            "INSERT INTO users (id, email, email_key, created_at) VALUES ($1, $2, $3, $4)",
            user,
            email,
            email,
            now,
        )
        await conn.execute(
            "INSERT INTO memberships (user_id, workspace_id, role) VALUES ($1, $2, 'admin')", user, ws
        )


async def drop_indexes(conn: asyncpg.Connection, tables: tuple[str, ...]) -> list[str]:
    """Drop the tables' indexes that back no constraint; their definitions, to make them again."""
    rows = await conn.fetch(
        """SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
             FROM pg_index AS i
            WHERE i.indrelid = ANY($1::regclass[])
              AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid)""",
        list(tables),
    )
    for row in rows:
        await conn.execute(f"DROP INDEX {row['name']}")
    return [row["definition"] for row in rows]


async def _assets(conn: asyncpg.Connection, world: World, count: int) -> Counter[tuple[int, int]]:
    """COPY the assets and their collection memberships chunk by chunk; the tag counts."""
    synth = Synth(world)
    tag_counts: Counter[tuple[int, int]] = Counter()
    pending: asyncio.Task[None] | None = None
    for index in range((count + CHUNK - 1) // CHUNK):
        chunk = await asyncio.to_thread(synth.chunk, index, min(CHUNK, count - index * CHUNK))
        if pending is not None:
            await pending
        tag_counts.update(chunk.tag_counts)
        pending = asyncio.ensure_future(_copy(conn, chunk.assets, chunk.members))
    if pending is not None:
        await pending
    return tag_counts


async def _copy(
    conn: asyncpg.Connection, assets: list[tuple[object, ...]], members: list[tuple[object, ...]]
) -> None:
    await conn.copy_records_to_table("assets", records=assets, columns=ASSET_COLUMNS)
    await conn.copy_records_to_table("collection_assets", records=members, columns=MEMBER_COLUMNS)


async def _tags(conn: asyncpg.Connection, world: World, counts: Counter[tuple[int, int]]) -> None:
    """The workspaces' tags, each with the number of assets that carry it (keys as casefold)."""
    rows = [
        (world.workspaces[ws], world.tags[t].casefold(), world.tags[t], n)
        for (ws, t), n in sorted(counts.items())
    ]
    await conn.copy_records_to_table(
        "tags", records=rows, columns=("workspace_id", "key", "name", "asset_count")
    )


# The documents from the one definition of them, the view search_source (migration 0019), stored in
# the order they were created, as a live service appends them (a document is written when its asset
# is made): a newest-first walk then reads neighbouring rows, not one heap page per row.
_HALF = "INSERT INTO search_documents SELECT v.* FROM search_source AS v WHERE {} ORDER BY v.created_at"


async def _documents(url: str) -> None:
    """Every asset's search document, the older and the newer half built on two connections."""
    conn = await asyncpg.connect(url)
    try:
        middle = await conn.fetchval(
            "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY created_at) FROM assets"
        )
    finally:
        await conn.close()

    async def half(query: str) -> None:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("SET session_replication_role = replica")
            await conn.execute("SET synchronous_commit = off")
            await conn.execute("SET work_mem = '256MB'")
            await conn.execute(query, middle)
        finally:
            await conn.close()

    await asyncio.gather(half(_HALF.format("v.created_at < $1")), half(_HALF.format("v.created_at >= $1")))


def main() -> None:
    """Make (or reuse) the data sets named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--size", choices=sorted(SIZES), action="append", help="100k or 1m (repeatable; default both)"
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="generate again even if a finished data set exists"
    )
    args = parser.parse_args()
    for size in args.size or ["100k", "1m"]:
        asyncio.run(ensure(size, rebuild=args.rebuild))


if __name__ == "__main__":
    main()
