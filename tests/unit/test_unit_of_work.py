"""The unit of work is the one place a transaction opens, and its hook sees what the work touched."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from dam.services import unit as units
from dam.services.unit import unit
from tests.support.config import ROOT

pytestmark = pytest.mark.unit

SRC = ROOT / "src" / "dam"
# The pool defines it; the unit is its only caller.
ALLOWED = {SRC / "db" / "pool.py", SRC / "services" / "unit.py"}


def test_only_the_unit_of_work_opens_a_transaction() -> None:
    opened = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted(SRC.rglob("*.py"))
        if path not in ALLOWED
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\.transaction\(", line)
    ]
    assert not opened, "open transactions with dam.services.unit.unit:\n" + "\n".join(opened)


class _Pool:
    """What the unit needs of a pool: a connection, in a transaction or not, noted as it goes."""

    def __init__(self) -> None:
        self.events: list[str] = []

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        self.events.append("begin")
        try:
            yield "conn"
        except BaseException:
            self.events.append("rollback")
            raise
        self.events.append("commit")

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        self.events.append("connection")
        yield "conn"


@pytest.fixture
def refreshed() -> Any:
    seen: list[tuple[object, frozenset[uuid.UUID]]] = []

    async def refresher(conn: Any, ids: frozenset[uuid.UUID]) -> None:
        seen.append((conn, ids))

    units.register(refresher)
    yield seen
    units.unregister(refresher)


async def test_refresh_runs_before_the_commit_with_the_touched_assets(refreshed: list[Any]) -> None:
    pool, a, b = _Pool(), uuid.uuid4(), uuid.uuid4()
    async with unit(pool) as work:  # type: ignore[arg-type]
        work.touched(a)
        work.touched(a, b)
        assert pool.events == ["begin"]
    assert refreshed == [("conn", frozenset({a, b}))]
    assert pool.events == ["begin", "commit"]


async def test_refresh_is_skipped_when_nothing_was_touched_or_the_work_failed(refreshed: list[Any]) -> None:
    pool = _Pool()
    async with unit(pool):  # type: ignore[arg-type]
        pass

    async def failing() -> None:
        async with unit(pool) as work:  # type: ignore[arg-type]
            work.touched(uuid.uuid4())
            raise RuntimeError("the work failed")

    with pytest.raises(RuntimeError):
        await failing()
    assert refreshed == []
    assert pool.events == ["begin", "commit", "begin", "rollback"]


async def test_one_statement_needs_a_transaction_only_when_something_refreshes() -> None:
    pool, asset_id = _Pool(), uuid.uuid4()
    async with unit(pool, one_statement=True) as work:  # type: ignore[arg-type]
        work.touched(asset_id)
    assert pool.events == ["connection"]

    seen: list[frozenset[uuid.UUID]] = []

    async def refresher(conn: Any, ids: frozenset[uuid.UUID]) -> None:
        seen.append(ids)

    units.register(refresher)
    try:
        async with unit(pool, one_statement=True) as work:  # type: ignore[arg-type]
            work.touched(asset_id)
    finally:
        units.unregister(refresher)
    assert seen == [frozenset({asset_id})]
    assert pool.events == ["connection", "begin", "commit"]
