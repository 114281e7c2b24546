"""Real-world media made by independent tools (Debian's ffmpeg, ImageMagick, exiftool, libheif, libjxl,
sox), and those tools' own readings of it: ffprobe and exiftool as the oracle for facts, ImageMagick's
upright sRGB rendering for renditions. Built once per session (``make test`` installs the tools).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

ICC = Path("/usr/share/color/icc/colord")
# Ghostscript's press CMYK profile (Debian's libgs-common): colord ships no CMYK profile.
CMYK_ICC = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")
TOOLS = ("ffmpeg", "ffprobe", "exiftool", "convert", "heif-enc", "cjxl", "sox")


def require_tools() -> None:
    """Fail (not skip) when an oracle is missing: `make test` installs them."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    profiles = [p.name for p in (ICC / "AdobeRGB1998.icc", CMYK_ICC) if not p.exists()]
    if missing or profiles:
        pytest.fail(f"oracle tools missing ({', '.join(missing + profiles)}): `make test` installs them")


def run(*args: str | Path) -> str:
    """Run a tool, failing with its output when it fails."""
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        pytest.fail(f"{args[0]} failed: {done.stderr[-2000:]}")
    return done.stdout


def ffprobe(path: Path) -> dict[str, Any]:
    """ffprobe's own reading of a file."""
    out = run("ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", path)
    result: dict[str, Any] = json.loads(out)
    return result


def exiftool(path: Path) -> dict[str, Any]:
    """exiftool's reading, numbers as numbers (-n)."""
    result: dict[str, Any] = json.loads(run("exiftool", "-j", "-n", "-G0", "-a", path))[0]
    return result


def magick_reference(path: Path, size: tuple[int, int]) -> Image.Image:
    """ImageMagick's rendering: first frame, upright, through the embedded profile to sRGB, at ``size``."""
    out = path.with_suffix(f".ref{size[0]}x{size[1]}.png")
    if not out.exists():
        run(
            "convert", f"{path}[0]", "-auto-orient", "-profile", ICC / "sRGB.icc", "-colorspace", "sRGB",
            "-resize", f"{size[0]}x{size[1]}!", "-depth", "8", "-alpha", "off", out,
        )  # fmt: skip
    with Image.open(out) as image:
        return image.convert("RGB")


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per channel, 0-255, of the colours at 1/8 scale: what a viewer sees,
    not the WebP encoder's loss on fine texture."""
    assert a.size == b.size, (a.size, b.size)
    small = (max(1, a.width // 8), max(1, a.height // 8))
    left = np.asarray(a.convert("RGB").resize(small, Image.Resampling.BOX), dtype=np.int16)
    right = np.asarray(b.convert("RGB").resize(small, Image.Resampling.BOX), dtype=np.int16)
    return float(np.abs(left - right).mean())


class Corpus:
    """Files made on demand, each once per session."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def _made(self, name: str, *command: str | Path) -> Path:
        path = self.root / name
        if not path.exists():
            run(*(str(c).replace("{out}", str(path)) for c in command))
        return path

    def base(self) -> Path:
        """A colourful, detailed picture: ImageMagick's plasma, seeded."""
        return self._made("base.png", "convert", "-size", "800x600", "-seed", "7", "plasma:fractal", "{out}")

    def photo(self) -> Path:
        """A camera-like JPEG: EXIF (orientation 6, exposure, GPS), IPTC and XMP written by exiftool."""
        path = self.root / "photo.jpg"
        if not path.exists():
            run("convert", self.base(), "-quality", "92", path)
            run(
                "exiftool", "-q", "-overwrite_original", "-Make=Oracle", "-Model=Cam 1", "-FNumber=2.8",
                "-ExposureTime=0.004", "-ISO=200", "-FocalLength=35", "-LensModel=Zoom 24-70",
                "-DateTimeOriginal=2026:05:04 10:20:30", "-Orientation#=6",
                "-GPSLatitude=48.8583", "-GPSLatitudeRef=N", "-GPSLongitude=2.2945", "-GPSLongitudeRef=E",
                "-GPSAltitude=35", "-GPSAltitudeRef#=0", "-GPSVersionID=2 2 0 0",
                "-IPTC:Keywords=tower", "-IPTC:Keywords=paris", "-IPTC:By-line=Iptc Person",
                "-XMP-dc:Subject=tower", "-XMP-dc:Subject=paris", "-XMP-dc:Description=The tower at dusk",
                "-XMP-dc:Creator=Ada Lovelace", "-XMP-dc:Rights=CC BY 4.0", "-XMP-xmp:Rating=4", path,
            )  # fmt: skip
        return path

    def tagged(self, profile: str, name: str, *extra: str) -> Path:
        """The base picture converted into a wide-gamut space, its profile embedded."""
        return self._made(
            name,
            "convert",
            self.base(),
            "-profile",
            ICC / "sRGB.icc",
            "-profile",
            ICC / profile,
            *extra,
            "{out}",
        )

    def cmyk_tagged(self, name: str) -> Path:
        """The base picture separated into press CMYK through Ghostscript's profile, embedded."""
        return self._made(
            name, "convert", self.base(), "-profile", ICC / "sRGB.icc", "-profile", CMYK_ICC, "{out}"
        )

    def converted(self, name: str, *extra: str) -> Path:
        """The base picture written by ImageMagick in the format ``name``'s extension says."""
        return self._made(name, "convert", self.base(), *extra, "{out}")

    def heic(self) -> Path:
        """HEIC by libheif's own encoder (x265)."""
        return self._made("photo.heic", "heif-enc", "-q", "80", self.converted("for-heif.png"), "-o", "{out}")

    def avif(self) -> Path:
        """AVIF by ImageMagick through libheif (heif-enc -A trips an assertion of this AOM on 4:4:4)."""
        return self.converted("photo.avif", "-quality", "80")

    def jxl(self) -> Path:
        """JPEG XL by libjxl's cjxl."""
        return self._made("photo.jxl", "cjxl", "-q", "90", self.converted("for-jxl.png"), "{out}")

    def jxl_container(self) -> Path:
        """JPEG XL in its ISO BMFF container (where exiftool can write metadata boxes)."""
        return self._made(
            "boxed.jxl", "cjxl", "--container=1", "-q", "90", self.converted("for-jxl.png"), "{out}"
        )

    def animated(self, name: str) -> Path:
        """Three frames, as GIF (ImageMagick), animated WebP or APNG (ffmpeg)."""
        frames = self.root / "frame-%d.png"
        if not (self.root / "frame-3.png").exists():
            for i in (1, 2, 3):
                run("convert", self.base(), "-resize", "320x240!", "-modulate", f"100,100,{60 * i}",
                    str(frames).replace("%d", str(i)))  # fmt: skip
        if name.endswith(".gif"):
            return self._made(
                name, "convert", "-delay", "20", "-loop", "0", *sorted(self.root.glob("frame-*.png")), "{out}"
            )
        codec = (
            ["-c:v", "libwebp_anim", "-loop", "0"]
            if name.endswith(".webp")
            else ["-f", "apng", "-plays", "0"]
        )
        return self._made(
            name, "ffmpeg", "-v", "error", "-y", "-framerate", "5", "-i", frames, *codec, "{out}"
        )

    def video(self, name: str, *args: str) -> Path:
        """A clip by ffmpeg from its test sources; ``args`` are ffmpeg's output options."""
        return self._made(
            name, "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "3", *args, "{out}",
        )  # fmt: skip

    def sine(self, name: str, frequency: int, *effects: str) -> Path:
        """A loud sine by sox at 44.1 kHz."""
        return self._made(
            name,
            "sox",
            "-n",
            "-r",
            "44100",
            "-b",
            "16",
            "{out}",
            "synth",
            "2",
            "sine",
            str(frequency),
            *effects,
        )

    def song(self, name: str, *codec: str) -> Path:
        """Audio with tags and a cover picture, muxed by ffmpeg."""
        cover = self.converted("cover.jpg", "-resize", "500x500!")
        return self._made(
            name, "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=660:duration=2",
            "-i", cover, "-map", "0:a", "-map", "1", *codec, "-c:v", "copy",
            "-disposition:v", "attached_pic",
            "-metadata", "title=Oracle Song", "-metadata", "artist=The Testers",
            "-metadata", "album=Fixtures",
            "-metadata", "genre=Test", "-metadata", "track=3", "{out}",
        )  # fmt: skip
