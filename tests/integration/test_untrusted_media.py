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
