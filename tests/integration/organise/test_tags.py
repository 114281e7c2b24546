"""Tags: per workspace, matched in any case and named as first written, counted most used first;
renamed (merging into an existing tag) and deleted everywhere by editors; keywords found in files
(IPTC/XMP keywords, an audio file's genre) added when the asset is processed."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from dam.domain.accounts import Workspace
from tests.support.accounts import Identities, bearer
from tests.support.flows import complete, create, put_single

Client = AsyncTestClient[Any]


async def tagged(api: Client, *tags: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """A new asset carrying ``tags``."""
    answer = await api.post(
        "/assets",
        json={"filename": "t.jpg", "content_type": "image/jpeg", "tags": list(tags)},
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def listed(
    api: Client, query: str = "", headers: dict[str, str] | None = None
) -> list[tuple[str, int]]:
    """GET /tags as (name, count) pairs."""
    answer = await api.get(f"/tags{query}", headers=headers)
    assert answer.status_code == 200, answer.text
    return [(t["name"], t["count"]) for t in answer.json()["items"]]


async def tags_of(api: Client, asset: dict[str, Any]) -> tuple[list[str], int]:
    """An asset's tags and revision, as read now."""
    read = (await api.get(f"/assets/{asset['id']}")).json()
    return read["tags"], read["revision"]


async def test_tags_match_in_any_case_and_keep_their_first_spelling(api: Client) -> None:
    first = await tagged(api, "Beach", "beach", " SUN ", "BEACH")
    assert first["tags"] == ["Beach", "SUN"]
    second = await tagged(api, "sun", "bEACH", "Lisbon")
    assert second["tags"] == ["SUN", "Beach", "Lisbon"]
    third = await api.patch(f"/assets/{first['id']}", json={"tags": ["lisbon", "Sun"]})
    assert third.json()["tags"] == ["Lisbon", "SUN"]
    assert await listed(api) == [("Lisbon", 2), ("SUN", 2), ("Beach", 1)]
    assert await listed(api, "?prefix=s") == [("SUN", 2)]
    assert await listed(api, "?prefix=LI") == [("Lisbon", 2)]
    assert await listed(api, "?limit=1") == [("Lisbon", 2)]
    assert await listed(api, "?prefix=%25") == []  # a LIKE wildcard is a character like any other
    # A tag no asset carries any more is gone; written again, it takes its new spelling.
    await api.patch(f"/assets/{second['id']}", json={"tags": ["SUN"]})
    assert await listed(api) == [("SUN", 2), ("Lisbon", 1)]
    assert (await tagged(api, "BEACH"))["tags"] == ["BEACH"]


async def test_tag_queries_are_strict(api: Client) -> None:
    for query in ("?colour=red", "?limit=0", "?limit=1001", "?limit=1e2", "?prefix=a&prefix=b"):
        answer = await api.get(f"/tags{query}")
        assert answer.status_code == 400, (query, answer.text)
        assert answer.json()["error"] == "invalid_request"


async def test_rename_changes_every_asset_and_merges(api: Client) -> None:
    a = await tagged(api, "Beach", "sea")
    b = await tagged(api, "beach")
    c = await tagged(api, "Seaside", "sea")
    renamed = await api.patch("/tags/BEACH", json={"name": "Shore"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json() == {"name": "Shore", "count": 2}
    assert await tags_of(api, a) == (["Shore", "sea"], 2)
    assert await tags_of(api, b) == (["Shore"], 2)
    assert await tags_of(api, c) == (["Seaside", "sea"], 1)
    # Into an existing tag (any case): merged, the asset that had both carries it once.
    await api.patch(f"/assets/{c['id']}", json={"tags": ["Seaside", "Shore", "sea"]})
    merged = await api.patch("/tags/shore", json={"name": "seaside"})
    assert merged.json() == {"name": "Seaside", "count": 3}
    assert await tags_of(api, a) == (["Seaside", "sea"], 3)
    assert (await tags_of(api, c))[0] == ["Seaside", "sea"]
    assert await listed(api) == [("Seaside", 3), ("sea", 2)]
    # A change of case only is a rename too; the same name is no change.
    assert (await api.patch("/tags/SEA", json={"name": "Sea"})).json() == {"name": "Sea", "count": 2}
    assert await tags_of(api, a) == (["Seaside", "Sea"], 4)
    assert (await api.patch("/tags/sea", json={"name": "Sea"})).status_code == 200
    assert (await tags_of(api, a))[1] == 4
    for body, status in (({"name": " "}, 422), ({"name": "x" * 101}, 422), ({"nom": "x"}, 400), ({}, 400)):
        assert (await api.patch("/tags/Sea", json=body)).status_code == status, body
    assert (await api.patch("/tags/nothing", json={"name": "x"})).status_code == 404


async def test_delete_removes_a_tag_everywhere(api: Client) -> None:
    a = await tagged(api, "keep", "drop")
    b = await tagged(api, "DROP")
    assert (await api.delete("/tags/Drop")).status_code == 204
    assert await tags_of(api, a) == (["keep"], 2)
    assert await tags_of(api, b) == ([], 2)
    assert await listed(api) == [("keep", 1)]
    missing = await api.delete("/tags/drop")
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"


async def test_a_tag_with_a_slash_is_reachable(api: Client) -> None:
    asset = await tagged(api, "Rock/Pop")
    assert (await api.patch("/tags/rock%2Fpop", json={"name": "Rock"})).json() == {"name": "Rock", "count": 1}
    assert (await api.delete("/tags/ROCK")).status_code == 204
    assert (await tags_of(api, asset))[0] == []


async def test_viewers_read_tags_and_editors_change_them(
    api: Client, identities: Identities, workspace: Workspace
) -> None:
    await tagged(api, "shared")
    viewer, contributor, editor = [
        bearer(await identities.key(workspace, role)) for role in ("viewer", "contributor", "editor")
    ]
    assert await listed(api, headers=viewer) == [("shared", 1)]
    for who in (viewer, contributor):
        assert (await api.patch("/tags/shared", json={"name": "x"}, headers=who)).status_code == 403
        assert (await api.delete("/tags/shared", headers=who)).status_code == 403
    assert (await api.patch("/tags/shared", json={"name": "Shared"}, headers=editor)).status_code == 200
    assert (await api.delete("/tags/shared", headers=editor)).status_code == 204


async def test_each_workspace_has_its_own_tags(api: Client, identities: Identities) -> None:
    mine = await tagged(api, "Beach", "mine")
    other = bearer(await identities.key(await identities.workspace(), "admin"))
    theirs = await tagged(api, "BEACH", "Secret", headers=other)
    assert theirs["tags"] == ["BEACH", "Secret"]  # their first spelling, not ours
    assert await listed(api) == [("Beach", 1), ("mine", 1)]
    assert await listed(api, headers=other) == [("BEACH", 1), ("Secret", 1)]
    assert (await api.patch("/tags/secret", json={"name": "x"})).status_code == 404
    assert (await api.delete("/tags/secret")).status_code == 404
    assert (await api.delete("/tags/mine", headers=other)).status_code == 404
    # Renaming and deleting "beach" in one workspace leaves the other's alone.
    assert (await api.patch("/tags/beach", json={"name": "Shore"}, headers=other)).status_code == 200
    assert await tags_of(api, mine) == (["Beach", "mine"], 1)
    assert (await api.delete("/tags/shore", headers=other)).status_code == 204
    assert await listed(api) == [("Beach", 1), ("mine", 1)]


async def test_tag_changes_are_audited(api: Client) -> None:
    await tagged(api, "old")
    await api.patch("/tags/old", json={"name": "new"})
    await api.delete("/tags/new")
    renamed = (await api.get("/audit?action=tag.rename")).json()["items"]
    assert [e["detail"] for e in renamed] == [{"from": "old", "to": "new", "merged": False, "assets": 1}]
    deleted = (await api.get("/audit?action=tag.delete")).json()["items"]
    assert [e["detail"] for e in deleted] == [{"name": "new", "assets": 1}]


def _tool(*args: str | Path) -> None:
    if shutil.which(str(args[0])) is None:
        pytest.fail(f"{args[0]} is missing: `make test` installs it")
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]


async def _processed(
    api: Client,
    http: httpx.AsyncClient,
    run_jobs: Callable[..., Any],
    path: Path,
    content_type: str,
    **body: Any,
) -> dict[str, Any]:
    data = await asyncio.to_thread(path.read_bytes)
    created = await create(api, filename=path.name, content_type=content_type, size=len(data), **body)
    assert (await put_single(http, created["upload"], data)).status_code == 200
    assert (await complete(api, created["id"])).status_code == 202
    await run_jobs()
    asset: dict[str, Any] = (await api.get(f"/assets/{created['id']}")).json()
    assert asset["status"] == "ready", asset
    return asset


async def test_keywords_in_a_photo_become_tags(
    api: Client, http: httpx.AsyncClient, run_jobs: Callable[..., Any], tmp_path: Path
) -> None:
    photo = tmp_path / "keywords.jpg"
    _tool("convert", "-size", "64x48", "xc:steelblue", photo)
    _tool(
        "exiftool", "-overwrite_original", "-Keywords=Harbour", "-Keywords=boats", "-Keywords=Dusk",
        "-XMP-dc:Subject=harbour", "-XMP-dc:Subject=Lisbon", photo,
    )  # fmt: skip
    asset = await _processed(api, http, run_jobs, photo, "image/jpeg", tags=["mine", "DUSK"])
    # The user's tags first, as written; the file's keywords after, none twice in any case.
    assert asset["tags"] == ["mine", "DUSK", "harbour", "Lisbon", "boats"]
    assert asset["revision"] == 2
    assert dict(await listed(api)) == {"mine": 1, "DUSK": 1, "harbour": 1, "Lisbon": 1, "boats": 1}
    # Reprocessing adds nothing twice, and never brings back... only what the file says.
    await api.patch(f"/assets/{asset['id']}", json={"tags": ["mine"]})
    assert (await api.post(f"/assets/{asset['id']}/reprocess")).status_code == 202
    await run_jobs()
    again = (await api.get(f"/assets/{asset['id']}")).json()
    assert again["tags"] == ["mine", "harbour", "Lisbon", "boats", "Dusk"]
    await run_jobs()
    assert (await api.get(f"/assets/{asset['id']}")).json()["tags"] == again["tags"]


async def test_an_audio_files_genre_becomes_a_tag(
    api: Client, http: httpx.AsyncClient, run_jobs: Callable[..., Any], tmp_path: Path
) -> None:
    song = tmp_path / "song.mp3"
    _tool(
        "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=1",
        "-metadata", "genre=Fado", "-metadata", "title=Saudade", song,
    )  # fmt: skip
    asset = await _processed(api, http, run_jobs, song, "audio/mpeg")
    assert asset["tags"] == ["Fado"]
