"""Keyset pagination: every asset exactly once, in order, even with inserts between pages."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from tests.support.flows import create, json_of


async def test_pages_are_stable_under_inserts(api: AsyncTestClient[Any]) -> None:
    content_type = "image/png"  # the test's own workspace holds only what it makes
    first = [(await create(api, content_type=content_type))["id"] for _ in range(7)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = f"content_type={content_type}&limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = json_of(await api.get(f"/assets?{query}"))
        seen.extend(item["id"] for item in page["items"])
        pages += 1
        await create(api, content_type=content_type)  # newer than everything paged so far
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(first))
    assert pages == 3


async def test_filters_by_status_and_family(api: AsyncTestClient[Any]) -> None:
    await create(api, content_type="image/jpeg")  # the test's own workspace: only what it makes
    image = await create(api, content_type="image/png")
    audio = await create(api, content_type="audio/mpeg")
    await api.delete(f"/assets/{audio['id']}")

    images = json_of(await api.get("/assets?content_type=image/png"))
    assert [i["id"] for i in images["items"]] == [image["id"]]
    live = json_of(await api.get("/assets?content_type=audio/mpeg"))
    assert live["items"] == []
    deleted = json_of(await api.get("/assets?content_type=audio/mpeg&status=deleted"))
    assert [i["id"] for i in deleted["items"]] == [audio["id"]]
    pending = json_of(await api.get("/assets?status=pending_upload&content_type=image/*&limit=200"))
    assert image["id"] in {i["id"] for i in pending["items"]}
    assert all(i["content_type"].startswith("image/") for i in pending["items"])
