"""The unit of work's hook runs in the transaction of every change to an asset: a refresher (test-only)
sees the change before it commits, and what it writes is rolled back with the change when the work
fails. Covered: create, mark uploaded, begin and finish a step, delete."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient

from dam.db.pool import Connection
from dam.domain.errors import Conflict
from dam.resources import Resources, open_resources
from dam.services import unit as units
from dam.services.processing import Processing
from dam.settings import Settings
from tests.support import media
from tests.support.flows import complete, create, ingest, json_of, put_single


class Probe:
    """A refresher writing, on the unit's connection, each touched asset's status as the unit sees it
    before its commit; with ``failing``, it then refuses, and the unit must roll back."""

    def __init__(self) -> None:
        self.failing = False
        self.calls: list[frozenset[uuid.UUID]] = []

    async def __call__(self, conn: Connection, ids: frozenset[uuid.UUID]) -> None:
        self.calls.append(ids)
        await conn.execute(
            """INSERT INTO unit_probe (asset_id, status)
                SELECT id, status FROM assets WHERE id = ANY($1::uuid[])""",
            list(ids),
        )
        if self.failing:
            raise Conflict("the test's refresher refused")


@pytest.fixture
async def probe(settings: Settings) -> AsyncIterator[Probe]:
    """A refresher registered for this test, writing to a table of its own (the session's database
    is this session's alone; tests run one at a time)."""
    conn = await asyncpg.connect(settings.db.url)
    await conn.execute("CREATE TABLE unit_probe (n bigserial, asset_id uuid NOT NULL, status text NOT NULL)")
    found = Probe()
    units.register(found)
    try:
        yield found
    finally:
        units.unregister(found)
        await conn.execute("DROP TABLE unit_probe")
        await conn.close()


@pytest.fixture
async def resources(settings: Settings) -> AsyncIterator[Resources]:
    async with open_resources(settings) as opened:
        yield opened


async def written(resources: Resources, asset_id: str) -> list[str]:
    """The statuses the refresher saw for the asset (committed rows only), in order."""
    rows = await resources.pool.fetch(
        "SELECT status FROM unit_probe WHERE asset_id = $1 ORDER BY n", uuid.UUID(asset_id)
    )
    return [r["status"] for r in rows]


def collapsed(statuses: list[str]) -> list[str]:
    return [s for i, s in enumerate(statuses) if i == 0 or statuses[i - 1] != s]


async def test_every_change_of_an_asset_is_refreshed_in_its_own_transaction(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any, probe: Probe, resources: Resources
) -> None:
    asset_id = await ingest(api, http, media.jpeg_with_exif(), "unit.jpg", "image/jpeg")
    assert await written(resources, asset_id) == ["pending_upload", "uploaded"]
    await run_jobs()
    assert json_of(await api.get(f"/assets/{asset_id}"))["status"] == "ready"
    # Each step begins (the first one moves the asset to processing) and finishes (the last one
    # makes it ready), each refreshed as its transaction saw the asset.
    seen = await written(resources, asset_id)
    assert collapsed(seen) == ["pending_upload", "uploaded", "processing", "ready"], seen
    assert len(seen) >= 5  # begin probe, finish probe, finish stills at least
    assert (await api.delete(f"/assets/{asset_id}")).status_code == 204
    assert (await written(resources, asset_id))[-1] == "trashed"
    assert (await api.post(f"/assets/{asset_id}/restore")).status_code == 200
    assert (await written(resources, asset_id))[-1] == "ready"
    assert (await api.delete(f"/assets/{asset_id}", params={"permanent": "true"})).status_code == 204
    assert (await written(resources, asset_id))[-1] == "deleted"
    assert all(ids == frozenset({uuid.UUID(asset_id)}) for ids in probe.calls)


async def test_a_failing_refresh_rolls_back_the_create(
    api: AsyncTestClient[Any], probe: Probe, resources: Resources
) -> None:
    probe.failing = True
    response = await api.post("/assets", json={"filename": "no.jpg", "content_type": "image/jpeg"})
    assert response.status_code == 409, response.text
    (touched,) = probe.calls
    made = await resources.pool.fetchval("SELECT count(*) FROM assets WHERE id = ANY($1)", list(touched))
    assert made == 0
    assert await resources.pool.fetchval("SELECT count(*) FROM unit_probe") == 0


async def test_a_failing_refresh_rolls_back_mark_uploaded_finish_and_delete(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, probe: Probe, resources: Resources
) -> None:
    data = media.jpeg_with_exif()
    created = await create(api, filename="back.jpg", content_type="image/jpeg", size=len(data))
    asset_id, ident = created["id"], uuid.UUID(created["id"])
    assert (await put_single(http, created["upload"], data)).status_code == 200

    probe.failing = True
    assert (await complete(api, asset_id)).status_code == 409
    assert json_of(await api.get(f"/assets/{asset_id}"))["status"] == "pending_upload"
    probe.failing = False
    assert (await complete(api, asset_id)).status_code == 202

    processing = Processing(resources)
    started = await processing.begin(ident, "probe", stale_after=60, runner="test-unit")
    assert started is not None
    assert started.asset.status.value == "processing"
    probe.failing = True
    with pytest.raises(Conflict):
        await processing.finish(ident, "probe", error="made to fail")
    asset = json_of(await api.get(f"/assets/{asset_id}"))
    assert asset["status"] == "processing"
    assert [(s["name"], s["state"]) for s in asset["steps"]] == [("probe", "running")]
    probe.failing = False
    ended = await processing.finish(ident, "probe", error="made to fail")
    assert ended is not None
    assert ended.status.value == "failed"

    probe.failing = True
    assert (await api.delete(f"/assets/{asset_id}")).status_code == 409
    assert json_of(await api.get(f"/assets/{asset_id}"))["status"] == "failed"
    probe.failing = False
    assert (await api.delete(f"/assets/{asset_id}")).status_code == 204
    # Only what committed: a refusal left no row of its own.
    assert await written(resources, asset_id) == [
        "pending_upload", "uploaded", "processing", "failed", "trashed"
    ]  # fmt: skip
