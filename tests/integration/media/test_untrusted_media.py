"""Media that refers to other files or URLs is refused; nothing outside the object is read or fetched."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from tests.support import media
from tests.support.flows import ingest


@pytest.fixture
async def canary() -> AsyncIterator[tuple[str, list[bytes]]]:
    """A loopback HTTP server that records every request it gets (there must be none)."""
    hits: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hits.append(await reader.readline())
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/secret.ts", hits
    server.close()
    await server.wait_closed()


@pytest.fixture
def local_video(tmp_path: Path) -> str:
    """A perfectly valid MP4 on the worker's disk: if it were followed, the asset would become ready."""
    path = tmp_path / "local.mp4"
    path.write_bytes(media.mp4(seconds=1.0, audio=False))
    return str(path)


def cases(local: str, url: str) -> list[tuple[str, bytes]]:
    return [
        ("hls-local-file", media.hls_pointing_at(f"file://{local}")),
        ("hls-local-path", media.hls_pointing_at(local)),
        ("hls-loopback-url", media.hls_pointing_at(url)),
        ("concat-local-file", media.concat_pointing_at(local)),
        ("concat-loopback-url", media.concat_pointing_at(url)),
    ]


async def test_playlists_and_concat_lists_are_refused(
    api: AsyncTestClient[Any],
    http: httpx.AsyncClient,
    run_jobs: Any,
    canary: tuple[str, list[bytes]],
    local_video: str,
) -> None:
    url, hits = canary
    ids = {
        name: await ingest(api, http, data, f"{name}.mp4", "video/mp4")
        for name, data in cases(local_video, url)
    }
    await run_jobs()
    for name, asset_id in ids.items():
        response = await api.get(f"/assets/{asset_id}")
        asset = response.json()
        assert asset["status"] == "failed", (name, asset)
        assert "not a supported audio/video container" in asset["error"], (name, asset["error"])
        assert asset["media"] is None
    assert hits == []


def test_nested_opens_are_refused_even_by_an_allowed_demuxer(local_video: str) -> None:
    """The io_open hook refuses any second resource, whatever demuxer asks for it."""
    from dam.media.probe import _refuse_nested

    with pytest.raises(PermissionError, match="references are not followed"):
        _refuse_nested(local_video, 1, {})


@pytest.mark.parametrize(
    ("demuxer", "options"),
    [pytest.param("hls", {}, id="hls"), pytest.param("concat", {"safe": "0"}, id="concat-unsafe")],
)
def test_reference_demuxers_are_refused_even_when_forced(
    local_video: str, demuxer: str, options: dict[str, str]
) -> None:
    import io

    import av

    from dam.domain.media import MediaRejected
    from dam.media.probe import open_media

    data = (
        media.hls_pointing_at(f"file://{local_video}")
        if demuxer == "hls"
        else media.concat_pointing_at(local_video)
    )
    # Control: left to itself FFmpeg follows the reference and opens the local file's video.
    with av.open(io.BytesIO(data), format=demuxer, container_options=options) as container:
        assert [s.type for s in container.streams] == ["video"]
    with pytest.raises(MediaRejected, match="not a supported audio/video container"):
        open_media(io.BytesIO(data), format=demuxer)


@pytest.fixture
def local_picture(tmp_path: Path) -> str:
    """A solid red PNG on the worker's disk: if an SVG could embed it, red would show."""
    from PIL import Image

    path = tmp_path / "secret.png"
    Image.new("RGB", (64, 64), (255, 0, 0)).save(path)
    return str(path)


def svg_traps(local: str, url: str) -> list[tuple[str, bytes]]:
    """SVGs that point at a local file or a loopback URL every way SVG allows."""
    head = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
        ' width="200" height="100">'
    )
    body = {
        "image-file-url": f'<image href="file://{local}" width="200" height="100"/>',
        "image-absolute-path": f'<image xlink:href="{local}" width="200" height="100"/>',
        "image-loopback": f'<image href="{url}" width="200" height="100"/>',
        "use-external": f'<use href="{url}#shape"/><use xlink:href="{local}#x"/>',
        "css-import-and-url": (
            f'<style>@import url("{url}"); rect {{ fill: url("{url}#p") }}</style>'
            '<rect width="9" height="9"/>'
        ),
        "style-attribute": f'<rect width="200" height="100" style="fill: url(file://{local}#p)"/>',
        "fe-image": (
            f'<filter id="f"><feImage href="file://{local}"/></filter>'
            '<rect width="200" height="100" filter="url(#f)"/>'
        ),
        "nested-svg-data": '<image width="200" height="100" href="data:image/svg+xml;utf8,'
        + "&lt;svg xmlns='http://www.w3.org/2000/svg'&gt;"
        + f"&lt;image href='file://{local}' width='200' height='100'/&gt;&lt;/svg&gt;"
        + '"/>',
        "script": (
            f'<script>fetch("{url}")</script>'
            f'<rect width="200" height="100" fill="white" onload="fetch(\'{url}\')"/>'
        ),
    }
    return [
        (name, (head + '<rect width="200" height="100" fill="white"/>' + part + "</svg>").encode())
        for name, part in body.items()
    ]


async def test_svg_references_are_never_followed(
    api: AsyncTestClient[Any],
    http: httpx.AsyncClient,
    run_jobs: Any,
    canary: tuple[str, list[bytes]],
    local_picture: str,
) -> None:
    """Each SVG becomes ready with its references dropped: no request, no local pixel."""
    import io

    from PIL import Image

    url, hits = canary
    ids = {
        name: await ingest(api, http, data, f"{name}.svg", "image/svg+xml")
        for name, data in svg_traps(local_picture, url)
    }
    await run_jobs()
    for name, asset_id in ids.items():
        asset = (await api.get(f"/assets/{asset_id}")).json()
        assert asset["status"] == "ready", (name, asset["error"])
        assert asset["media"]["format"] == "SVG"
        assert (asset["media"]["width"], asset["media"]["height"]) == (200, 100)
        preview = next(r for r in asset["renditions"] if r["kind"] == "preview")
        with Image.open(io.BytesIO((await http.get(preview["url"])).content)) as image:
            assert image.size == (1280, 640)
            assert _red_pixels(image) == 0, name
    assert hits == []


def _red_pixels(image: Any) -> int:
    import numpy as np

    rgb = np.asarray(image.convert("RGB"), dtype=np.int16)
    return int(((rgb[..., 0] > 200) & (rgb[..., 1] < 60) & (rgb[..., 2] < 60)).sum())


def test_resvg_left_to_itself_would_embed_the_local_file(local_picture: str) -> None:
    """Control: the raw markup, given to resvg without our cleaning, draws the local file's red."""
    import io

    import resvg_py
    from PIL import Image

    markup = dict(svg_traps(local_picture, "http://127.0.0.1:9/x"))["image-absolute-path"].decode()
    with Image.open(io.BytesIO(bytes(resvg_py.svg_to_bytes(svg_string=markup)))) as image:
        assert _red_pixels(image) > 1000


@pytest.mark.parametrize(
    "markup",
    [
        pytest.param(
            b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>',
            id="external-entity",
        ),
        pytest.param(
            b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
            b'<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>',
            id="entity-expansion",
        ),
        pytest.param(
            b'<svg xmlns="http://www.w3.org/2000/svg">' + b"<g>" * 500 + b"</g>" * 500 + b"</svg>",
            id="deep-nesting",
        ),
        pytest.param(
            b'<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000"/>', id="huge-canvas"
        ),
    ],
)
def test_hostile_svgs_fail_with_a_reason(markup: bytes) -> None:
    import io

    from dam.domain.media import MediaRejected
    from dam.media import pipeline

    with pytest.raises(MediaRejected, match="SVG"):
        pipeline.probe_media(io.BytesIO(markup), "image/svg+xml")
