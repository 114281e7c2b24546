"""Why a search is slow: ``python -m bench.search.explain --size 1m 'q=sunset&type=image' ...``.

For each query string (``/search``; ``suggest:`` before it for ``/search/suggest``; none given: every
query of every class), the p50/p95 of ``--runs`` runs through the service, then ``EXPLAIN (ANALYZE,
BUFFERS)`` of each statement the service sent for it, captured at ``Pool.fetch_planned``.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import time
from typing import Any

import asyncpg

from bench.search import generate
from bench.search.classes import make_classes
from bench.search.run import adapter, percentiles
from dam.db.pool import Pool, create_pool
from dam.settings import load_settings


def _capture(statements: list[tuple[str, tuple[Any, ...]]]) -> Any:
    """A ``Pool.fetch_planned`` that also keeps what it ran, while ``statements`` is not None."""
    original = Pool.fetch_planned

    async def fetch_planned(self: Pool, query: str, *args: Any) -> list[asyncpg.Record]:
        statements.append((query, args))
        return await original(self, query, *args)

    Pool.fetch_planned = fetch_planned  # type: ignore[method-assign]
    return original


async def explain(size: str, queries: list[str], runs: int) -> None:
    """Time and explain each query string against the data set's big workspace."""
    url = await generate.ensure(size)
    conn = await asyncpg.connect(url)
    try:
        workspace_id = await conn.fetchval("SELECT id FROM workspaces WHERE slug = 'bench-studio'")
        user_id = await conn.fetchval("SELECT user_id FROM memberships WHERE workspace_id = $1", workspace_id)
        if not queries:
            queries = [
                ("suggest:" if cls.path.endswith("suggest") else "") + item.query
                for cls in await make_classes(conn, workspace_id)
                for item in cls.items
            ]
    finally:
        await conn.close()
    statements: list[tuple[str, tuple[Any, ...]]] = []
    original = _capture(statements)
    pool = await create_pool(load_settings({"DAM_DATABASE_URL": url}).db)
    async with adapter(url, workspace_id, user_id) as search:
        for text in queries:
            path, query = ("/search/suggest", text[8:]) if text.startswith("suggest:") else ("/search", text)
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                await search(path, query)
                times.append(time.perf_counter() - start)
            p50, p95, _ = percentiles(times)
            print(f"\n=== {path}?{query}: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({runs} runs)")
            sent = statements[-len(statements) // runs :] if statements else []
            statements.clear()
            for sql, args in sent:
                await _print_plan(pool, sql, args, original)
    await pool.close()


async def _print_plan(pool: Pool, sql: str, args: tuple[Any, ...], original: Any) -> None:
    print("--- " + re.sub(r"\s+", " ", sql)[:300])
    for row in await original(pool, "EXPLAIN (ANALYZE, BUFFERS) " + sql, *args):
        print("    " + row[0])


def main() -> None:
    """Explain the query strings named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(generate.SIZES), default="1m")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("queries", nargs="*", help="query strings of GET /search (suggest:q=... for suggest)")
    args = parser.parse_args()
    asyncio.run(explain(args.size, args.queries, args.runs))


if __name__ == "__main__":
    main()
