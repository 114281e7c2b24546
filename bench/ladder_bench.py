"""The ladder's cost: one decode feeding three rungs, against three separate PyAV encodes (three
decodes) and against FFmpeg's own command line doing the same one-pass split+scale ladder (the CLI
of the imageio-ffmpeg wheel, bench-only). CPU seconds, not wall time: stable on a shared machine.
Every case uses the same clip and the same x264 settings."""

from __future__ import annotations

import resource
import subprocess
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import av
import imageio_ffmpeg

from dam.domain import streaming as st
from dam.media import ladder

SECONDS = 10
RUNGS = st.rungs(1920, 1080)


def make_clip(cache: Path) -> Path:
    """10 s of 1080p30 with film-like noise (x264 has real work), encoded once and kept."""
    path = cache / "ladder-1080p30.mp4"
    if not path.exists():
        subprocess.run(
            [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi",
             "-i", "testsrc2=size=1920x1080:rate=30,noise=alls=3:allf=t+u", "-t", str(SECONDS),
             "-c:v", "libx264", "-preset", "fast", "-crf", "18", "-g", "60", "-pix_fmt", "yuv420p",
             str(path)],
            check=True, timeout=600,
        )  # fmt: skip
    return path


def _cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _encode(path: str, rungs: list[st.Rung]) -> int:
    written = 0
    with av.open(path) as container:
        plan = ladder.ChunkPlan(rungs=rungs, audio=False, start=0.0, end=None, frame_rate=30.0)
        for item in ladder.encode_chunk(container, plan):
            written += len(item.data)
    return written


def _ours(path: str) -> tuple[float, float, int]:
    """In a fresh process: CPU and wall seconds of the one-decode ladder."""
    cpu, wall = _cpu_self(), time.perf_counter()
    written = _encode(path, RUNGS)
    return _cpu_self() - cpu, time.perf_counter() - wall, written


def _separate(path: str) -> tuple[float, float, int]:
    """In a fresh process: three encodes, each decoding the clip again."""
    cpu, wall = _cpu_self(), time.perf_counter()
    written = sum(_encode(path, [rung]) for rung in RUNGS)
    return _cpu_self() - cpu, time.perf_counter() - wall, written


def _in_child(fn: object, path: Path) -> tuple[float, float, int]:
    with ProcessPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, str(path)).result()  # type: ignore[arg-type]


def _ffmpeg(path: Path) -> tuple[float, float]:
    """FFmpeg's CLI: one decode, split, scale, three x264 encodes with our settings."""
    graph = ";".join(
        [f"[0:v]split={len(RUNGS)}" + "".join(f"[s{i}]" for i in range(len(RUNGS)))]
        + [
            f"[s{i}]scale={r.width}:{r.height}:flags=bicubic,setsar=1,format=yuv420p[o{i}]"
            for i, r in enumerate(RUNGS)
        ]
    )
    outputs: list[str] = []
    for i, rung in enumerate(RUNGS):
        outputs += [
            "-map", f"[o{i}]", "-c:v", "libx264", "-preset", st.PRESET, "-crf", str(st.CRF),
            "-profile:v", "high", "-forced-idr", "1",
            "-force_key_frames", f"expr:gte(t,n_forced*{st.GOP_SECONDS})",
            "-x264-params", ladder.x264_params(rung),
            "-f", "mp4", "-movflags", "frag_keyframe+empty_moov+default_base_moof", "-y", "/dev/null",
        ]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-filter_complex", graph, *outputs],
        check=True,
        timeout=900,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return cpu, time.perf_counter() - wall


def ladder_figures(cache: Path) -> None:
    """Print the ladder's figures beside both baselines."""
    clip = make_clip(cache)
    ours_cpu, ours_wall, written = _in_child(_ours, clip)
    separate_cpu, _, _ = _in_child(_separate, clip)
    ffmpeg_cpu, _ = _ffmpeg(clip)
    names = ", ".join(r.name for r in RUNGS)
    print(f"\n## Ladder of {SECONDS} s of 1080p30 to {names} (x264 {st.PRESET}, CRF {st.CRF})")
    print(f"one decode, three rungs (ours)     {ours_cpu:7.1f} CPU s, {ours_wall:6.1f} s wall, "
          f"{written / 2**20:.1f} MiB")  # fmt: skip
    print(f"three PyAV encodes, three decodes  {separate_cpu:7.1f} CPU s")
    version = imageio_ffmpeg.get_ffmpeg_version()
    print(f"FFmpeg CLI split+scale ladder      {ffmpeg_cpu:7.1f} CPU s   (FFmpeg {version})")
    print(f"ours / three encodes               {ours_cpu / separate_cpu:7.2f}x   (target <= 0.90)")
    print(f"ours / FFmpeg CLI                  {ours_cpu / ffmpeg_cpu:7.2f}x   (target <= 1.10)")
    print(f"CPU s per second of content        {ours_cpu / SECONDS:7.2f}    (target <= 1.5), "
          f"realtime x{SECONDS / ours_wall:.2f} here")  # fmt: skip
