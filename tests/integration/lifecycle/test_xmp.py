"""``GET /assets/{id}/xmp``: the sidecar of one asset, read back by exiftool (an independent tool)
as photo tools read it."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from dam.settings import Settings
from tests.support import media
from tests.support.accounts import Identities, client_of
from tests.support.flows import ingest, json_of

pytestmark = pytest.mark.integration
EXIFTOOL = "/usr/bin/exiftool"  # Debian's libimage-exiftool-perl (make media-tools)


async def test_the_sidecar_is_read_by_exiftool_with_every_field(
    api: AsyncTestClient[Any],
    http: httpx.AsyncClient,
    run_jobs: Any,
    identities: Identities,
    settings: Settings,
    tmp_path: Path,
) -> None:
    asset_id = await ingest(api, http, media.jpeg_with_exif(), "IMG_0412.jpg", "image/jpeg")
    await run_jobs()
    edit = {
        "title": "Tram 28 & the <hill>", "description": "Graça, at dusk", "tags": ["Lisbon", "trams"],
        "metadata": {"album": "Lisbon 2026", "creator": "Ana Lopes", "rights": "© Ana Lopes 2026"},
    }  # fmt: skip
    assert (await api.patch(f"/assets/{asset_id}", json=edit)).status_code == 200
    answer = await api.get(f"/assets/{asset_id}/xmp")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/rdf+xml")
    assert 'filename="IMG_0412.xmp"' in answer.headers["content-disposition"]
    sidecar = tmp_path / "IMG_0412.xmp"
    sidecar.write_bytes(answer.content)
    command = [EXIFTOOL, "-json", "-G1", "-struct", str(sidecar)]
    read = await asyncio.to_thread(subprocess.run, command, check=True, capture_output=True, timeout=60)
    (tags,) = json.loads(read.stdout)
    assert tags.get("ExifTool:Warning") is None, tags
    assert tags["XMP-dc:Title"] == "Tram 28 & the <hill>"
    assert tags["XMP-dc:Description"] == "Graça, at dusk"
    assert tags["XMP-dc:Subject"] == ["Lisbon", "trams"]
    assert tags["XMP-dc:Creator"] in ("Ana Lopes", ["Ana Lopes"])
    assert tags["XMP-dc:Rights"] == "© Ana Lopes 2026"
    assert tags["XMP-tiff:Make"] == "TestCam"
    assert tags["XMP-tiff:Model"] == "Model X"
    assert tags["XMP-dam:Album"] == "Lisbon 2026"
    # Another workspace's asset answers as an unknown one does.
    async with client_of(settings, await identities.key(await identities.workspace(), "admin")) as other:
        theirs = await other.get(f"/assets/{asset_id}/xmp")
        unknown = await other.get("/assets/00000000-0000-4000-8000-000000000000/xmp")
    assert theirs.status_code == unknown.status_code == 404
    assert json_of(theirs)["error"] == json_of(unknown)["error"]
