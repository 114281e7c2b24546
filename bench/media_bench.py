"""Pipeline benchmarks: probing a large MP4 through ranged reads, and the image job's pixel work.

Each figure is measured beside its bare baseline in the same run; peak memory is measured in a fresh
process per case (ru_maxrss above the process's baseline), since Pillow's pixels live outside
Python's allocator.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path
from statistics import median

import av
import httpx
from PIL import Image

from dam.media.probe import open_media, probe
from dam.storage.ranged import RangeReader

ROOT = Path(__file__).resolve().parents[1]


def make_mp4(path: Path, target_bytes: int = 100 * 1024 * 1024) -> Path:
    """A 1080p H.264 MP4 of about ``target_bytes`` (high bit rate, moov at the end as muxers write it)."""
    if path.exists() and path.stat().st_size > target_bytes * 0.8:
        return path
    fps, width, height = 25, 1920, 1080
    base = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "4"}
        i = 0
        while not path.exists() or path.stat().st_size < target_bytes:
            noise = Image.frombytes("L", (width // 4, height // 4), os.urandom(width * height // 16))
            frame_image = base.copy()
            frame_image.paste(
                noise.convert("RGB").resize((width // 2, height // 2)), ((i * 37) % (width // 2), 0)
            )
            frame = av.VideoFrame.from_image(frame_image)
            frame.pts, frame.time_base = i, Fraction(1, fps)
            out.mux(stream.encode(frame))
            i += 1
        out.mux(stream.encode(None))
    return path


def bench_probe(url: str, size: int, repeat: int = 7) -> dict[str, float]:
    """Our probe (ranged reads, locked-down open) vs a bare PyAV open+close of the same URL."""
    ours: list[float] = []
    bare: list[float] = []
    fetched = 0
    with httpx.Client(timeout=30) as client:
        for _ in range(repeat):
            start = time.perf_counter()
            reader = RangeReader(url, size, client=client)
            with open_media(reader) as container:  # type: ignore[arg-type]
                probe(container, "video")
            ours.append(time.perf_counter() - start)
            fetched = reader.bytes_fetched
            start = time.perf_counter()
            with av.open(url, timeout=30):
                pass
            bare.append(time.perf_counter() - start)
    return {
        "ours_ms": median(ours) * 1000,
        "bare_ms": median(bare) * 1000,
        "bytes_read": fetched,
        "size": size,
    }


def make_jpeg(path: Path, width: int = 4000, height: int = 3000) -> Path:
    """A 12-megapixel camera-like JPEG (gradient plus grain)."""
    if not path.exists():
        grain = Image.frombytes("L", (width // 8, height // 8), os.urandom(width * height // 64))
        bands = [
            Image.linear_gradient("L").resize((width, height)),
            grain.resize((width, height)),
            Image.new("L", (width, height), 90),
        ]
        image = Image.merge("RGB", bands)
        image.save(path, "JPEG", quality=90)
    return path


def _vm(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


ADOBE_RGB = Path("/usr/share/color/icc/colord/AdobeRGB1998.icc")  # colord-data (`make media-tools`)


def make_heic(path: Path) -> Path:
    """A 24 MP (6000x4000) HEIC, encoded by libheif's x265 through pillow-heif."""
    if not path.exists():
        import pillow_heif

        pillow_heif.register_heif_opener()
        _photo_like(6000, 4000).save(path, "HEIF", quality=85)
    return path


def make_dng(path: Path) -> Path:
    """A 24 MP (6000x4000) 16-bit mosaic DNG written by pidng, with no embedded preview."""
    if not path.exists():
        sys.path.insert(0, str(ROOT))
        from tests.support.media import dng

        path.write_bytes(dng(6000, 4000))
    return path


def make_tagged_jpeg(path: Path, plain: Path) -> Path:
    """The 4000x3000 JPEG's pixels with an Adobe RGB (1998) profile embedded."""
    if not path.exists():
        with Image.open(plain) as image:
            image.save(path, "JPEG", quality=90, icc_profile=ADOBE_RGB.read_bytes())
    return path


def _photo_like(width: int, height: int) -> Image.Image:
    base = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    noise = Image.frombytes("L", (width // 8, height // 8), os.urandom(width * height // 64))
    base.paste(noise.convert("RGB").resize((width // 2, height // 2)), (width // 4, height // 4))
    return base


def _bare(fmt: str, data: bytes, path: str) -> None:
    """The bare library call that decodes the format to a 1280 preview."""
    if fmt == "DNG":
        import rawpy

        with rawpy.imread(path) as raw:
            Image.fromarray(raw.postprocess(use_camera_wb=True, half_size=True, output_bps=8)).thumbnail(
                (1280, 1280)
            )
        return
    if fmt == "HEIC":
        import pillow_heif

        pillow_heif.register_heif_opener()
    with Image.open(io.BytesIO(data)) as image:
        image.thumbnail((1280, 1280))


def _image_case(case: str, path: str, fmt: str = "JPEG") -> None:
    """Run in a fresh process: time one case and report its peak memory above the baseline.

    The peak resident size (VmHWM) is reset through /proc/self/clear_refs first, so imports and
    earlier allocations do not hide the case's own peak.
    """
    from dam.media.images import scaled_images

    data = Path(path).read_bytes()

    def run() -> None:
        if case == "ours":
            scaled_images(io.BytesIO(data), fmt=fmt)
        else:
            _bare(fmt, data, path)

    run()  # warm-up: first-use allocations
    Path("/proc/self/clear_refs").write_text("5")
    baseline = _vm("VmRSS")
    run()
    peak = _vm("VmHWM") - baseline
    times, cpu = [], []
    for _ in range(5):
        start, spent = time.perf_counter(), time.process_time()
        run()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - spent)
    print(json.dumps({"ms": median(times) * 1000, "cpu_ms": median(cpu) * 1000, "peak_kib": peak}))


ROUNDS = 3  # fresh processes per case, in alternating order; the median of their medians is reported


def bench_image(path: Path, fmt: str = "JPEG") -> dict[str, dict[str, float]]:
    """Our pixel work and the bare library call on one file (see ``rounds``)."""
    return rounds({"bare": ("bare", path, fmt), "ours": ("ours", path, fmt)})


def bench_tagged(tagged: Path, plain: Path) -> dict[str, dict[str, float]]:
    """Our pixel work on the tagged file and on the same pixels untagged (see ``rounds``)."""
    return rounds({"tagged": ("ours", tagged, "JPEG"), "untagged": ("ours", plain, "JPEG")})


def rounds(cases: dict[str, tuple[str, Path, str]]) -> dict[str, dict[str, float]]:
    """Each case in its own process, so peak memory is its own; ``ROUNDS`` rounds with the cases
    alternating, so a burst of load on this shared machine does not land on one case only. Times
    are CPU times as well as wall times: a thread's CPU time moves far less with the load."""
    runs: dict[str, list[dict[str, float]]] = {label: [] for label in cases}
    for round_ in range(ROUNDS):
        order = list(cases) if round_ % 2 == 0 else list(reversed(cases))
        for label in order:
            case, path, fmt = cases[label]
            out = subprocess.run(
                [sys.executable, __file__, case, str(path), fmt],
                capture_output=True, text=True, check=True, cwd=ROOT,
            )  # fmt: skip
            runs[label].append(json.loads(out.stdout))
    return {label: {k: median(r[k] for r in rs) for k in rs[0]} for label, rs in runs.items()}


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    _image_case(sys.argv[1], sys.argv[2], *sys.argv[3:])
