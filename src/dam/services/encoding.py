"""What the stream steps record while they run: the stream's record, its chunks, manifests and
storyboard, and how far a long step is. Runners call these; they run no SQL themselves."""

from __future__ import annotations

import uuid

from dam.db import steps as step_rows
from dam.db import streams as stream_rows
from dam.domain import streaming as st
from dam.domain.media import MediaInfo
from dam.resources import Resources
from dam.services.unit import unit


class Encoding:
    """An asset's adaptive stream while its steps make it."""

    def __init__(self, resources: Resources) -> None:
        self.pool = resources.pool
        self.settings = resources.settings.stream

    async def stream(self, asset_id: uuid.UUID, info: MediaInfo) -> st.StreamRecord:
        """The asset's stream record in the current recipe: the one begun already, or a new one."""
        chunk = st.chunk_seconds(self.settings.chunk_seconds)
        return await stream_rows.begin(
            self.pool, asset_id, st.recipe(self.settings.ladder), chunk_seconds=chunk,
            chunk_count=st.chunk_count(info.duration or 0.0, chunk),
        )  # fmt: skip

    async def record_chunk(
        self, asset_id: uuid.UUID, record: st.StreamRecord, index: int, made: list[st.Rendition]
    ) -> st.StreamRecord | None:
        """Chunk ``index`` of ``record``'s run is done (see ``db.streams.record_chunk``)."""
        async with unit(self.pool) as work:
            return await stream_rows.record_chunk(
                work.conn, asset_id, record.recipe, record.run_id, index, made
            )

    async def manifests(self, asset_id: uuid.UUID, recipe: str, made: st.Manifests) -> None:
        """The stream's manifests, once its last chunk is done."""
        await stream_rows.finish(self.pool, asset_id, recipe, made)

    async def storyboard(self, asset_id: uuid.UUID, recipe: str, board: st.Storyboard) -> None:
        """The storyboard of the asset's stream in ``recipe``."""
        await stream_rows.set_storyboard(self.pool, asset_id, recipe, board)

    async def progress(self, asset_id: uuid.UUID, step: str, fraction: float) -> None:
        """How far a running step is (0-1)."""
        await step_rows.set_progress(self.pool, asset_id, step, fraction)
