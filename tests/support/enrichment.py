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
    with Image.open(sample_path(name)) as photo:
        buffer = io.BytesIO()
        photo.convert("RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def sample_path(name: str) -> Path:
    """The file of one of scikit-image's sample photos."""
    spec = importlib.util.find_spec("skimage")
    assert spec is not None
    assert spec.submodule_search_locations is not None
    return Path(next(iter(spec.submodule_search_locations))) / "data" / name


def slideshow(tmp_path: Path, shown: list[tuple[str, float]]) -> bytes:
    """An H.264 MP4 by Debian's ffmpeg (an independent tool) showing each sample photo for its
    seconds in turn, at 480x320."""
    out = tmp_path / "slideshow.mp4"
    inputs: list[str] = []
    scaled = []
    for n, (name, seconds) in enumerate(shown):
        inputs += ["-loop", "1", "-t", str(seconds), "-i", str(sample_path(name))]
        scaled.append(f"[{n}]scale=480:320,setsar=1,fps=10,format=yuv420p[v{n}]")
    joined = "".join(f"[v{n}]" for n in range(len(shown)))
    graph = ";".join(scaled) + f";{joined}concat=n={len(shown)}:v=1[out]"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", *inputs, "-filter_complex", graph, "-map", "[out]",
         "-c:v", "libx264", "-g", "10", "-movflags", "+faststart", str(out)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return out.read_bytes()


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
