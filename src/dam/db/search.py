"""Search documents and the queries that read them: every SQL statement of search lives here.

One row of ``search_documents`` per asset (migration 0019 says what it holds and why), rebuilt by
``refresh`` in the transaction of every change that feeds it: the unit of work
(``services/unit.py``) runs it before each commit that touched assets.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from dam.db.pool import Queries


async def refresh(conn: Queries, asset_ids: Iterable[uuid.UUID]) -> None:
    """Rebuild the search documents of these assets from their rows (one statement; an id with no
    asset row is no document)."""
    await conn.execute("SELECT dam_refresh_search($1::uuid[])", list(asset_ids))
