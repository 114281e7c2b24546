"""The unit of work: the one place a transaction opens.

A service that writes more than one statement, or changes an asset, does so in a unit::

    async with unit(pool) as work:
        asset = await db.lock_asset(work.conn, asset_id)
        ...
        await db.mark_ready(work.conn, asset_id)
        work.touched(asset_id)

``db`` functions take the unit's connection and never open a transaction themselves. The unit
commits when the block ends without error and rolls everything back when it raises.

The hook: just before the commit, inside the same transaction, every registered refresher is
called once with the connection and the ids of the assets the work marked ``touched`` (none
marked: none called). That is where rows derived from an asset (its search document, an outbox row
for a webhook) are brought up to date, so no reader ever sees them disagree with the asset; a
refresher that raises rolls the whole unit back. Every service that changes an asset's row (a
status move, media facts, renditions, metadata, its deletion) or a step's outcome marks it touched;
a bump of ``updated_at`` that only notes progress for the reconciler is not a change.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

from dam.db.pool import Connection, Pool

Refresher = Callable[[Connection, frozenset[uuid.UUID]], Awaitable[None]]
"""Brings derived rows up to date for the touched assets, on the unit's connection."""

_REFRESHERS: list[Refresher] = []


def register(refresher: Refresher) -> None:
    """Run ``refresher`` in every unit that touched an asset, before it commits (in order of
    registration; registering one twice is no change)."""
    if refresher not in _REFRESHERS:
        _REFRESHERS.append(refresher)


def unregister(refresher: Refresher) -> None:
    """Stop running ``refresher`` (not registered: no change)."""
    with contextlib.suppress(ValueError):
        _REFRESHERS.remove(refresher)


class Work:
    """What a unit's block gets: the transaction's connection, and a note of the assets it changed."""

    __slots__ = ("_touched", "conn")

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._touched: set[uuid.UUID] = set()

    def touched(self, *asset_ids: uuid.UUID) -> None:
        """The work changed these assets: their derived rows are refreshed before the commit."""
        self._touched.update(asset_ids)

    @property
    def touched_ids(self) -> frozenset[uuid.UUID]:
        """The assets marked so far."""
        return frozenset(self._touched)


@contextlib.asynccontextmanager
async def unit(pool: Pool, *, one_statement: bool = False) -> AsyncIterator[Work]:
    """A transaction for the block, with the refresh hook run just before it commits.

    ``one_statement``: the block runs a single statement, atomic on its own; while no refresher is
    registered it runs on a plain connection, sparing the BEGIN and COMMIT round trips (with one,
    it is a transaction like any other, so the refresh commits with the change).
    """
    if one_statement and not _REFRESHERS:
        async with pool.connection() as conn:
            yield Work(conn)
        return
    async with pool.transaction() as conn:
        work = Work(conn)
        yield work
        await _refresh(work)


async def _refresh(work: Work) -> None:
    """The hook: every refresher, for the assets the work touched."""
    ids = work.touched_ids
    if not ids:
        return
    for refresher in tuple(_REFRESHERS):
        await refresher(work.conn, ids)
