"""Share links: a link reaches its one asset, read-only, until it expires or is revoked; a password
is asked once per visitor; download and metadata flags hold; every refusal is the same 404."""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from dam.domain.accounts import Workspace
from tests.support import media
from tests.support.accounts import Identities, bearer
from tests.support.flows import ingest, json_of

Client = AsyncTestClient[Any]


async def a_ready_photo(api: Client, http: httpx.AsyncClient, run_jobs: Any) -> dict[str, Any]:
    """A processed JPEG with camera fields and a GPS position."""
    asset_id = await ingest(api, http, media.jpeg_with_exif(), "holiday é.jpg", "image/jpeg")
    await run_jobs()
    asset: dict[str, Any] = json_of(await api.get(f"/assets/{asset_id}"))
    assert asset["status"] == "ready", asset["error"]
    return asset


def token_of(made: dict[str, Any]) -> str:
    return str(made["url"].rsplit("/", 1)[1])


async def share(api: Client, asset_id: str, **body: Any) -> dict[str, Any]:
    answer = await api.post(f"/assets/{asset_id}/shares", json={"expires_in": 600, "download": True, **body})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def test_a_link_shows_its_asset_to_anyone_until_revoked(
    api: Client, http: httpx.AsyncClient, run_jobs: Any
) -> None:
    asset = await a_ready_photo(api, http, run_jobs)
    made = await share(api, asset["id"])
    assert made["url"].startswith("http")
    assert "/s/dam_sh_" in made["url"]
    token = token_of(made)
    anonymous = api.headers.pop("Authorization")
    try:
        shown = await api.get(f"/shares/{token}")
        assert shown.status_code == 200, shown.text
        body = shown.json()
        assert body["name"] == "holiday é.jpg"
        assert body["type"] == "image/jpeg"
        assert body["kind"] == "image"
        assert body["facts"]["camera"]["make"] == "TestCam"
        assert shown.headers["cache-control"] == "private, no-store"
        preview = await http.get(body["preview_url"])
        assert preview.status_code == 200
        assert preview.headers["content-type"] == "image/webp"
        original = await http.get(body["download_url"])
        assert original.status_code == 200
        assert original.content == media.jpeg_with_exif()
        assert "attachment" in original.headers["content-disposition"]
        assert "filename*=UTF-8''holiday%20%C3%A9.jpg" in original.headers["content-disposition"]
        # The address it gives opens the web app's share page.
        page = await api.get(f"/s/{token}", follow_redirects=False)
        assert page.status_code == 302
        assert page.headers["location"] == f"/app/s/{token}"
        assert page.headers["referrer-policy"] == "no-referrer"
        # The link is no credential anywhere else.
        for path in ("/assets", f"/assets/{asset['id']}", "/auth/me"):
            assert (await api.get(path, headers=bearer(token))).status_code == 401
    finally:
        api.headers["Authorization"] = anonymous
    listed = json_of(await api.get(f"/assets/{asset['id']}/shares"))
    assert [s["id"] for s in listed] == [made["id"]]
    assert listed[0]["uses"] >= 1
    assert listed[0]["active"] is True
    assert "token" not in listed[0]
    assert (await api.delete(f"/shares/{made['id']}")).status_code == 204
    assert (await api.get(f"/shares/{token}")).status_code == 404
    assert (await api.get(f"/s/{token}")).status_code == 404
    assert json_of(await api.get(f"/assets/{asset['id']}/shares"))[0]["active"] is False


async def test_flags_hide_the_download_and_the_facts(
    api: Client, http: httpx.AsyncClient, run_jobs: Any
) -> None:
    asset = await a_ready_photo(api, http, run_jobs)
    made = await share(api, asset["id"], download=False, show_metadata=False)
    body = json_of(await api.get(f"/shares/{token_of(made)}"))
    assert body["download_url"] is None
    assert body["facts"] is None
    assert body["media_url"] is None  # an image plays as its preview, which carries no EXIF
    text = str(body)
    for secret in ("TestCam", "Model X", "GPS", "2026-07-14"):
        assert secret not in text
    preview = await http.get(body["preview_url"])
    assert b"TestCam" not in preview.content
    assert b"Exif" not in preview.content


async def test_a_password_is_asked_once_per_visitor(
    api: Client, http: httpx.AsyncClient, run_jobs: Any, settings: Any
) -> None:
    asset = await a_ready_photo(api, http, run_jobs)
    weak = await api.post(
        f"/assets/{asset['id']}/shares", json={"expires_in": 600, "download": True, "password": "password"}
    )
    assert weak.status_code == 422, weak.text
    made = await share(api, asset["id"], password="blue heron at dawn")
    token = token_of(made)
    from dam.api.app import create_app

    async with (
        AsyncTestClient(app=create_app(settings)) as visitor,
        AsyncTestClient(app=create_app(settings)) as other,
    ):
        asked = await visitor.get(f"/shares/{token}")
        assert asked.status_code == 401, asked.text
        assert asked.json()["error"] == "password_required"
        wrong = await visitor.post(f"/shares/{token}/unlock", json={"password": "wrong"})
        assert wrong.status_code == 401
        right = await visitor.post(f"/shares/{token}/unlock", json={"password": "blue heron at dawn"})
        assert right.status_code == 204, right.text
        cookie = right.headers["set-cookie"].lower()
        assert cookie.startswith(f"dam_share_{made['id'].replace('-', '')}=")
        assert "httponly" in cookie
        assert "samesite=lax" in cookie
        assert (await visitor.get(f"/shares/{token}")).status_code == 200  # the cookie rides along
        assert (await other.get(f"/shares/{token}")).status_code == 401  # another visitor asks again
        # The cookie opens that link alone.
        second = await share(api, asset["id"], password="blue heron at dawn")
        assert (await visitor.get(f"/shares/{token_of(second)}")).status_code == 401
        assert (await api.delete(f"/shares/{made['id']}")).status_code == 204
        assert (await visitor.get(f"/shares/{token}")).status_code == 404


async def test_wrong_passwords_are_rate_limited(api: Client, http: httpx.AsyncClient, run_jobs: Any) -> None:
    asset = await a_ready_photo(api, http, run_jobs)
    token = token_of(await share(api, asset["id"], password="blue heron at dawn"))
    statuses = [
        (await api.post(f"/shares/{token}/unlock", json={"password": f"guess {n}"})).status_code
        for n in range(6)
    ]
    assert statuses == [401] * 5 + [429]


async def test_a_short_link_expires(api: Client, http: httpx.AsyncClient, run_jobs: Any) -> None:
    asset = await a_ready_photo(api, http, run_jobs)
    made = await share(api, asset["id"], expires_in=1)
    token = token_of(made)
    first = await api.get(f"/shares/{token}")
    deadline = time.monotonic() + 30
    while (answer := await api.get(f"/shares/{token}")).status_code == 200:
        assert time.monotonic() < deadline, "the 1 s link still opened 30 s later"
        await asyncio.sleep(0.1)
    assert first.status_code in (200, 404)
    assert answer.status_code == 404
    assert answer.json() == json_of(await api.get("/shares/dam_sh_" + "A" * 43))


async def test_unknown_expired_and_revoked_links_answer_alike(
    api: Client, http: httpx.AsyncClient, run_jobs: Any
) -> None:
    asset = await a_ready_photo(api, http, run_jobs)
    expired = token_of(await share(api, asset["id"], expires_in=1))
    revoked_made = await share(api, asset["id"])
    assert (await api.delete(f"/shares/{revoked_made['id']}")).status_code == 204
    deadline = time.monotonic() + 30
    while (await api.get(f"/shares/{expired}")).status_code != 404:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.1)
    links = {
        "unknown": "dam_sh_" + "B" * 43,
        "malformed": "nope",
        "expired": expired,
        "revoked": token_of(revoked_made),
    }
    answers = {name: await api.get(f"/shares/{link}") for name, link in links.items()}
    bodies = {name: (a.status_code, a.json()) for name, a in answers.items()}
    assert len({str(b) for b in bodies.values()}) == 1, bodies
    assert bodies["unknown"][0] == 404
    pages = {name: await api.get(f"/s/{link}") for name, link in links.items()}
    assert {n: p.status_code for n, p in pages.items()} == dict.fromkeys(links, 404)
    assert len({p.text for p in pages.values()}) == 1
    # Timing: each refusal is one indexed lookup. Compare medians loosely (a noisy machine), so
    # that only a real difference in work (a password check, a second query) shows.
    timings: dict[str, list[float]] = {name: [] for name in links}
    for _ in range(15):
        for name, link in links.items():
            started = time.perf_counter()
            await api.get(f"/shares/{link}")
            timings[name].append(time.perf_counter() - started)
    medians = {name: statistics.median(t) for name, t in timings.items()}
    assert max(medians.values()) < 3 * min(medians.values()) + 0.005, medians


async def test_only_editors_share_and_the_cap_holds(
    api: Client, http: httpx.AsyncClient, run_jobs: Any, identities: Identities, workspace: Workspace
) -> None:
    asset = await a_ready_photo(api, http, run_jobs)
    for role in ("viewer", "contributor"):
        key = bearer(await identities.key(workspace, role))
        body = {"expires_in": 60, "download": True}
        assert (await api.post(f"/assets/{asset['id']}/shares", json=body, headers=key)).status_code == 403
    editor = bearer(await identities.key(workspace, "editor"))
    made = await api.post(
        f"/assets/{asset['id']}/shares", json={"expires_in": 60, "download": True}, headers=editor
    )
    assert made.status_code == 201, made.text
    too_long = await api.post(
        f"/assets/{asset['id']}/shares", json={"expires_in": 31 * 86400, "download": True}
    )
    assert too_long.status_code == 422, too_long.text
    assert (
        await api.patch("/workspace/settings", json={"share_max_ttl": 3600}, headers=editor)
    ).status_code == 403
    capped = await api.patch("/workspace/settings", json={"share_max_ttl": 3600})
    assert capped.status_code == 200, capped.text
    assert capped.json() == {"share_max_ttl": 3600, "share_max_ttl_limit": 30 * 86400}
    over = await api.post(f"/assets/{asset['id']}/shares", json={"expires_in": 3601, "download": True})
    assert over.status_code == 422
    assert "3600" in over.json()["detail"]
    assert (await api.patch("/workspace/settings", json={"share_max_ttl": None})).json()[
        "share_max_ttl"
    ] is None
    # Another workspace's admin: the asset, its links and their ids are as unknown as missing ones.
    other = bearer(await identities.key(await identities.workspace(), "admin"))
    for call in (
        api.post(f"/assets/{asset['id']}/shares", json={"expires_in": 60, "download": True}, headers=other),
        api.get(f"/assets/{asset['id']}/shares", headers=other),
        api.delete(f"/shares/{made.json()['id']}", headers=other),
    ):
        answer = await call
        assert answer.status_code == 404, answer.text
    assert (await api.get(f"/shares/{token_of(made.json())}")).status_code == 200  # untouched


@pytest.mark.parametrize(
    "body", [{"expires_in": 0, "download": True}, {"expires_in": 60}, {"download": True}]
)
async def test_bad_share_requests_are_refused(
    api: Client, http: httpx.AsyncClient, run_jobs: Any, body: dict[str, Any]
) -> None:
    asset_id = await ingest(api, http, media.jpeg_with_exif(), "a.jpg", "image/jpeg")
    answer = await api.post(f"/assets/{asset_id}/shares", json=body)
    assert answer.status_code in (400, 422), answer.text
    assert json_of(await api.get(f"/assets/{asset_id}/shares")) == []
