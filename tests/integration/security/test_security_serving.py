"""Serving safely: originals are attachments (an SVG's script never runs on the store's origin),
players get an inline URL of their own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from litestar.testing import AsyncTestClient

from dam.settings import Settings
from tests.support import media
from tests.support.accounts import client_of
from tests.support.flows import ingest, json_of

SVG_WITH_SCRIPT = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
    b'<script>document.title = "owned"</script><rect width="64" height="64" fill="teal"/></svg>'
)


async def test_svg_download_url_answers_as_an_attachment(
    api: AsyncTestClient[Any], http: httpx.AsyncClient
) -> None:
    asset_id = await ingest(api, http, SVG_WITH_SCRIPT, "logo é.svg", "image/svg+xml")
    asset = json_of(await api.get(f"/assets/{asset_id}"))
    assert asset["media_url"] is None  # an image has no player URL
    got = await http.get(asset["download_url"])
    assert got.status_code == 200
    assert got.content == SVG_WITH_SCRIPT  # the bytes as uploaded, never served inline
    disposition = got.headers["content-disposition"]
    assert disposition.startswith("attachment;"), disposition
    assert "filename*=UTF-8''logo%20%C3%A9.svg" in disposition


async def test_audio_gets_an_inline_media_url_beside_the_attachment(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any
) -> None:
    asset_id = await ingest(api, http, media.audio_file("wav", "pcm_s16le"), "tone.wav", "audio/wav")
    await run_jobs()
    asset = json_of(await api.get(f"/assets/{asset_id}"))
    assert asset["status"] == "ready", asset["error"]
    played = await http.get(asset["media_url"], headers={"Range": "bytes=0-11"})
    assert played.status_code == 206
    assert played.headers["content-disposition"] == "inline"
    saved = await http.get(asset["download_url"], headers={"Range": "bytes=0-11"})
    assert saved.headers["content-disposition"].startswith("attachment;")


def directives(policy: str) -> dict[str, set[str]]:
    """A Content-Security-Policy as its directives and their sources."""
    parsed = {}
    for part in filter(None, (p.strip() for p in policy.split(";"))):
        name, *sources = part.split()
        parsed[name] = set(sources)
    return parsed


async def test_every_page_carries_the_security_headers(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, settings: Settings
) -> None:
    asset_id = await ingest(api, http, media.jpeg_with_exif(), "a.jpg", "image/jpeg")
    made = await api.post(f"/assets/{asset_id}/shares", json={"expires_in": 600, "download": False})
    share = made.json()["url"].rsplit("/", 1)[1]
    store = settings.s3.client_url
    # The pages answered outside the web app (whose policy test_web_app_serving.py checks).
    pages = ["/s/dam_sh_" + "x" * 43, "/invite/dam_inv_" + "x" * 43]
    # A live link's address sends the browser to the web app's page of it (whose policy
    # test_web_app_serving.py checks), which sends no Referer either.
    moved = await api.get(f"/s/{share}", follow_redirects=False)
    assert (moved.status_code, moved.headers["location"]) == (302, f"/app/s/{share}")
    assert moved.headers["referrer-policy"] == "no-referrer"
    # The old pages' addresses; a refused single sign-on's reason comes along to the app's sign-in.
    for old, new in (
        ("/", "/app/"),
        ("/?sso_error=refused", "/app/?sso_error=refused"),
        ("/jobs", "/app/admin/jobs"),
    ):
        moved = await api.get(old, follow_redirects=False)
        assert (moved.status_code, moved.headers["location"]) == (302, new)
    for path in pages:
        page = await api.get(path)
        assert page.status_code == 404, (path, page.status_code)
        assert page.headers["content-type"].startswith("text/html"), path
        policy = directives(page.headers["content-security-policy"])
        assert policy["default-src"] == {"'self'"}, path
        assert policy["script-src"] == {"'self'"}, path
        assert policy["object-src"] == {"'none'"}
        assert policy["base-uri"] == {"'none'"}
        assert policy["frame-ancestors"] == {"'none'"}
        assert policy["img-src"] == {"'self'", "data:", "blob:", store}
        assert policy["media-src"] == {"'self'", "blob:", store}
        assert policy["connect-src"] == {"'self'", store}
        assert policy["worker-src"] == {"'self'", "blob:"}
    docs = await api.get("/docs")
    assert directives(docs.headers["content-security-policy"])["script-src"] == {"'self'"}
    for path in [*pages, "/", "/docs", "/health", f"/assets/{asset_id}", "/static/pages.css", "/nowhere"]:
        answer = await api.get(path)
        assert answer.headers["x-content-type-options"] == "nosniff", path
        assert answer.headers["referrer-policy"] == "no-referrer", path
        assert "strict-transport-security" not in answer.headers  # plain http in development


async def test_https_deployments_send_hsts(make_settings: Callable[..., Settings], api_key: str) -> None:
    settings = make_settings(DAM_PUBLIC_URL="https://dam.example.test")
    async with client_of(settings, api_key) as api:
        answer = await api.get("/health")
    assert answer.headers["strict-transport-security"].startswith("max-age=31536000")
