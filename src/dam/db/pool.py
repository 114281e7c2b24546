"""The asyncpg pool, with JSON codecs so jsonb columns round-trip as Python values."""

from __future__ import annotations

from typing import Any, TypeAlias

import asyncpg
import msgspec

from dam.settings import DatabaseSettings

Pool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"


async def _init_connection(conn: asyncpg.Connection[Any]) -> None:
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name, schema="pg_catalog", encoder=_encode_json, decoder=msgspec.json.decode
        )


def _encode_json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


async def create_pool(settings: DatabaseSettings) -> Pool:
    """Open the process's one pool."""
    pool = await asyncpg.create_pool(
        settings.url,
        min_size=settings.pool_min,
        max_size=settings.pool_max,
        init=_init_connection,
        command_timeout=30,
    )
    return pool
