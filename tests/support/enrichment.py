"""Media with known content for the enrichment tests: words drawn on a sign in a Debian font,
scikit-image's sample photos, pictures made by ImageMagick (an independent tool)."""

from __future__ import annotations

import importlib.util
import io
import subprocess
from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient
from PIL import Image, ImageDraw, ImageFont

from dam.domain.steps import Queue
from dam.settings import Settings
from tests.support.flows import json_of

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"  # Debian's fonts-dejavu-core (make media-tools)


def sign(lines: list[str]) -> bytes:
    """A photo-sized JPEG of a sign: the lines in dark letters on a light, uneven board."""
    picture = Image.linear_gradient("L").resize((1600, 1000)).point(lambda v: 170 + v // 4).convert("RGB")
    draw = ImageDraw.Draw(picture)
    font = ImageFont.truetype(FONT, 84)
    for i, line in enumerate(lines):
        draw.text((120, 160 + i * 220), line, fill=(20, 24, 40), font=font)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def sample(name: str) -> bytes:
    """A photo of scikit-image's sample data (``skimage/data``), as a camera's JPEG."""
    spec = importlib.util.find_spec("skimage")
    assert spec is not None
    assert spec.submodule_search_locations is not None
    with Image.open(Path(next(iter(spec.submodule_search_locations))) / "data" / name) as photo:
        buffer = io.BytesIO()
        photo.convert("RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def magick(tmp_path: Path, name: str, *args: str) -> bytes:
    """A file made by ImageMagick (an independent tool): ``args`` between ``convert`` and the output."""
    out = tmp_path / name
    subprocess.run(["/usr/bin/convert", *args, str(out)], check=True, capture_output=True, timeout=60)
    return out.read_bytes()


async def enriched(
    api: AsyncTestClient[Any], run_jobs: Any, settings: Settings, asset_id: str
) -> dict[str, Any]:
    """The asset once its media steps, then its enrichment steps, ran (burst workers in-process)."""
    await run_jobs(settings=settings)
    await run_jobs(settings=settings, queue=Queue.ENRICH)
    asset: dict[str, Any] = json_of(await api.get(f"/assets/{asset_id}"))
    return asset
