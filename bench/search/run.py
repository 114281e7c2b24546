"""`make bench-search`: each query class of search at 100k and 1M assets, p50/p95/p99 beside the
floor of the same class measured in the same run, then every class mixed at 16 connections.

``python -m bench.search.run --size 100k|1m`` (repeatable; default both). The data sets are made on
first use (``bench/search/generate.py``) and reused. Queries run against the big workspace (85% of
the assets); every class is a ``GET /search`` (or ``/search/suggest``) query string, answered by
``adapter()``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import random
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

import asyncpg
import msgspec
import numpy as np

from bench.search import generate
from bench.search.classes import CLASSES, Item, QueryClass, make_classes
from dam.domain.access import Principal, Role
from dam.domain.search import facet_list, request_of
from dam.resources import open_resources
from dam.services.search import Search as SearchService
from dam.settings import load_settings

ITERATIONS = int(os.environ.get("DAM_BENCH_SEARCH_ITERATIONS", "200"))  # per class, one connection
CONNECTIONS = 16
MIXED = int(os.environ.get("DAM_BENCH_SEARCH_MIXED", "160"))  # per class, at 16 connections
WARM = 3  # runs of each query before timing

Search = Callable[[str, str], Awaitable[int]]
Floor = Callable[[str, tuple[object, ...]], Awaitable[int]]


@contextlib.asynccontextmanager
async def adapter(url: str, workspace_id: uuid.UUID, user_id: uuid.UUID) -> AsyncIterator[Search]:
    """The one place a query string becomes a search: the service's own ``Search`` (the code
    behind ``GET /search`` and ``GET /search/suggest``) with its pool, as a viewer of the workspace."""
    environ = {**os.environ, "DAM_DATABASE_URL": url, "DAM_DATABASE_POOL_MAX": str(CONNECTIONS)}
    settings = load_settings(environ)
    principal = Principal(kind="user", workspace_id=workspace_id, role=Role.VIEWER, user_id=user_id)
    async with open_resources(settings) as resources:
        service = SearchService(resources)

        async def run(path: str, query: str) -> int:
            if path == "/search/suggest":
                found = await service.suggest(principal, dict(parse_qsl(query))["q"])
                return sum(len(v) for v in msgspec.structs.astuple(found))
            pairs = parse_qsl(query, keep_blank_values=True)
            facets = facet_list(next((v for k, v in pairs if k == "facets"), None))
            asked = request_of(urlencode([(k, v) for k, v in pairs if k != "facets"]))
            results = await service.search(principal, msgspec.structs.replace(asked, facets=facets))
            return len(results.items)

        yield run


def floor_runner(pool: asyncpg.Pool) -> Floor:
    """Runs one bare floor statement on a pooled connection."""

    async def run(sql: str, args: tuple[object, ...]) -> int:
        async with pool.acquire() as conn:
            return len(await conn.fetch(sql, *args))

    return run


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    """p50, p95, p99 in ms."""
    p50, p95, p99 = np.percentile(np.array(samples) * 1000, [50, 95, 99])
    return float(p50), float(p95), float(p99)


async def sequential(cls: QueryClass, search: Search, floor: Floor) -> tuple[list[float], list[float], float]:
    """``ITERATIONS`` of the class, each beside one run of its floor (alternating, so drift hits both)."""
    ours: list[float] = []
    bare: list[float] = []
    found = 0
    for item in cls.items:
        for _ in range(WARM):
            await search(cls.path, item.query)
            await floor(*item.floor)
    for i in range(ITERATIONS):
        item = cls.items[i % len(cls.items)]
        start = time.perf_counter()
        found += await search(cls.path, item.query)
        middle = time.perf_counter()
        await floor(*item.floor)
        bare.append(time.perf_counter() - middle)
        ours.append(middle - start)
    return ours, bare, found / ITERATIONS


async def mixed(classes: list[QueryClass], search: Search) -> dict[str, list[float]]:
    """Every class's queries shuffled together, ``CONNECTIONS`` at a time (``MIXED`` per class)."""
    work = [(cls, cls.items[i % len(cls.items)]) for cls in classes for i in range(MIXED)]
    random.Random(31).shuffle(work)
    queue: asyncio.Queue[tuple[QueryClass, Item]] = asyncio.Queue()
    for entry in work:
        queue.put_nowait(entry)
    times: dict[str, list[float]] = {cls.name: [] for cls in classes}

    async def worker() -> None:
        while not queue.empty():
            cls, item = queue.get_nowait()
            start = time.perf_counter()
            await search(cls.path, item.query)
            times[cls.name].append(time.perf_counter() - start)

    await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
    return times


async def bench(size: str) -> None:
    """Make or reuse the data set, then measure and print every class."""
    url = await generate.ensure(size)
    conn = await asyncpg.connect(url)
    try:
        workspace_id = await conn.fetchval("SELECT id FROM workspaces WHERE slug = 'bench-studio'")
        user_id = await conn.fetchval("SELECT user_id FROM memberships WHERE workspace_id = $1", workspace_id)
        count = await conn.fetchval("SELECT assets FROM bench_meta")
        classes = await make_classes(conn, workspace_id)
        names = ("shared_buffers", "work_mem", "jit", "max_parallel_workers_per_gather")
        server = ", ".join([f"{n} {await conn.fetchval('SELECT current_setting($1)', n)}" for n in names])
    finally:
        await conn.close()
    print(f"PostgreSQL: {server}")
    pool = await asyncpg.create_pool(url, min_size=CONNECTIONS, max_size=CONNECTIONS)
    try:
        async with adapter(url, workspace_id, user_id) as search:
            await _measure(size, count, classes, search, floor_runner(pool))
    finally:
        await pool.close()


async def _measure(size: str, count: int, classes: list[QueryClass], search: Search, floor: Floor) -> None:
    print(f"\n## {count:,} assets ({size}), big workspace; load average {_load()}")
    print(f"{'class':<16}{'n':>5}{'p50':>8}{'p95':>8}{'p99':>8}  {'floor p50/p95':>14}{'p95 ratio':>10}"
          f"  target p95   met  items")  # fmt: skip
    for cls in classes:
        ours, bare, items = await sequential(cls, search, floor)
        p50, p95, p99 = percentiles(ours)
        f50, f95, _ = percentiles(bare)
        met = "-" if cls.target_ms is None else "yes" if p95 <= cls.target_ms else "NO"
        target = "" if cls.target_ms is None else f"<= {cls.target_ms:g} ms"
        print(f"{cls.name:<16}{len(ours):>5}{p50:>8.1f}{p95:>8.1f}{p99:>8.1f}  {f50:>6.1f}/{f95:<7.1f}"
              f"{p95 / f95:>9.1f}x  {target:>10}  {met:>4}  {items:.0f}")  # fmt: skip
    times = await mixed(classes, search)
    floors = await mixed([c.as_floor() for c in classes], _floor_search(floor, classes))
    print(f"\n{CONNECTIONS} connections, all classes mixed ({MIXED} per class); load average {_load()}")
    print(f"{'class':<16}{'p50':>8}{'p95':>8}{'p99':>8}{'p99/p50':>9}   met  floor p50/p99")
    for cls in classes:
        p50, p95, p99 = percentiles(times[cls.name])
        f50, _, f99 = percentiles(floors[cls.name])
        met = "yes" if p99 <= 3 * p50 else "NO"
        line = f"{cls.name:<16}{p50:>8.1f}{p95:>8.1f}{p99:>8.1f}{p99 / p50:>8.1f}x  {met:>4}"
        print(f"{line}  {f50:.1f}/{f99:.1f}")


def _floor_search(floor: Floor, classes: list[QueryClass]) -> Search:
    """The floors as a Search: a class's floor items carry the floor's index as their query."""
    by_query = {item.query: item.floor for cls in classes for item in cls.items}

    async def run(path: str, query: str) -> int:
        return await floor(*by_query[query])

    return run


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    """Run the bench for the sizes asked for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--size", choices=sorted(generate.SIZES), action="append", help="100k or 1m (repeatable)"
    )
    args = parser.parse_args()
    print(f"# search benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()},"
          f" {os.cpu_count()} CPUs; classes: {', '.join(CLASSES)}")  # fmt: skip
    for size in args.size or ["100k", "1m"]:
        asyncio.run(bench(size))


if __name__ == "__main__":
    main()
