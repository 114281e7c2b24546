"""Serving safely: originals are attachments (an SVG's script never runs on the store's origin),
players get an inline URL of their own."""

from __future__ import annotations

from typing import Any

import httpx
from litestar.testing import AsyncTestClient

from tests.support import media
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
