"""The ``ladder`` step around its media work: one chunk per job, each segment stored as it closes.

A job encodes the chunk the stream's record says is next, stores its files, and records the chunk;
while chunks remain the step waits for its next job (``StepResult.more``). A worker killed mid-chunk
loses that chunk only: the job that takes the step over finds the same chunk next, and its files
(deterministic keys, the same bytes for the init segments) are written again. After the last chunk
the playlists and the MPD are written from the recorded segments, kept in PostgreSQL and stored
beside them.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import IO, cast

from dam.domain import manifests
from dam.domain import streaming as st
from dam.domain.assets import Asset, Rendition
from dam.domain.errors import MediaRejected
from dam.domain.media import MediaInfo
from dam.domain.outputs import Renditions, StepResult
from dam.domain.steps import StepName
from dam.jobs.runner import StepContext
from dam.jobs.steps import drive, readable, source
from dam.media import ladder, pipeline
from dam.resources import Resources
from dam.services.encoding import Encoding
from dam.storage.ranged import ConcatReader, RangeReader

# The ladder reads the original front to back, once per chunk: large reads, few kept.
LADDER_BLOCK = 4 * 1024 * 1024
LADDER_CACHE_BLOCKS = 3
PROGRESS_EVERY = 2.0  # seconds between progress writes while a chunk encodes
CONTENT_TYPES = {
    "init.mp4": "video/mp4",
    ".m4s": "video/iso.segment",
    ".m3u8": "application/vnd.apple.mpegurl",
    ".mpd": "application/dash+xml",
}


def content_type(name: str) -> str:
    """The stored type of a stream file, by its name."""
    return next(
        (t for suffix, t in CONTENT_TYPES.items() if name.endswith(suffix)), "application/octet-stream"
    )


def chunk_plan(
    info: MediaInfo, ladder_sides: tuple[int, ...], start: float, end: float | None
) -> ladder.ChunkPlan:
    """What one chunk encodes, from the probe's facts."""
    main = next((s for s in info.streams if s.type == "video" and not s.attached_pic), None)
    rungs = st.rungs(info.width, info.height, ladder_sides) if main and info.width and info.height else []
    has_audio = any(s.type == "audio" for s in info.streams)
    return ladder.ChunkPlan(
        rungs=rungs, audio=has_audio, start=start, end=end, frame_rate=main.frame_rate if main else None
    )


async def ladder_step(context: StepContext, asset: Asset) -> StepResult:
    """Encode the stream's next chunk; after the last one, write the manifests."""
    info = asset.media
    if info is None or info.kind not in {"video", "audio"}:
        raise MediaRejected("no video or audio facts: the probe step must run first")
    resources = context.resources
    settings = resources.settings.stream
    encoding = Encoding(resources)
    record = await encoding.stream(asset.id, info)
    recipe, count = record.recipe, record.chunk_count
    if record.chunks_done < record.chunk_count:
        index = record.chunks_done
        start = float(index * record.chunk_seconds)
        end = None if index + 1 >= record.chunk_count else float((index + 1) * record.chunk_seconds)
        made = await _encode(
            resources, asset, recipe, chunk_plan(info, settings.ladder, start, end), index, count
        )
        recorded = await encoding.record_chunk(asset.id, record, index, made)
        if recorded is None:
            raise MediaRejected("the stream was reset while its chunk was encoded")
        record = recorded
        if record.chunks_done < record.chunk_count:
            return StepResult(
                more=f"chunk:{record.run_id.hex[:12]}:{record.chunks_done}",
                progress=record.chunks_done / record.chunk_count,
            )
    await _finish(resources, asset, record)
    download = await _download(resources, asset, record)
    return StepResult(outputs=[Renditions(items=[download] if download is not None else [])])


async def _encode(
    resources: Resources, asset: Asset, recipe: str, plan: ladder.ChunkPlan, index: int, count: int
) -> list[st.Rendition]:
    """One chunk: the generator runs in a thread, each file it yields is stored while the next is
    made (one ahead, never more)."""
    url, size = await source(resources, asset)
    reader = RangeReader(
        url, size, client=resources.reads, block=LADDER_BLOCK, cache_blocks=LADDER_CACHE_BLOCKS
    )
    files = pipeline.ladder_chunk(cast(IO[bytes], reader), plan)
    prefix = st.stream_prefix(asset.id, recipe)
    span = (plan.end or (asset.media.duration if asset.media else 0) or plan.start + 1) - plan.start
    reported = time.monotonic()

    async def store(encoded: ladder.EncodedFile) -> None:
        nonlocal reported
        await resources.storage.put(
            f"{prefix}{encoded.rendition}/{encoded.name}", encoded.data, content_type(encoded.name)
        )
        if time.monotonic() - reported > PROGRESS_EVERY and encoded.name.startswith("seg_"):
            reported = time.monotonic()
            number = int(encoded.name[4:9])
            done = min(1.0, max(0.0, (number * st.SEGMENT_SECONDS - plan.start) / max(span, 1e-3)))
            await Encoding(resources).progress(asset.id, StepName.LADDER, (index + done) / count)

    result: ladder.ChunkResult = await drive(files, store)
    return result.renditions


async def _finish(resources: Resources, asset: Asset, record: st.StreamRecord) -> None:
    """Playlists and MPD over the recorded segments: stored beside them, then kept in PostgreSQL
    (the delivery path answers from there)."""
    videos, audio = record.videos, record.audio
    made = st.Manifests(
        master=manifests.master_playlist(videos, audio),
        mpd=manifests.mpd(videos, audio),
        playlists={r.name: manifests.media_playlist(r) for r in record.renditions},
    )
    prefix = st.stream_prefix(asset.id, record.recipe)
    await resources.storage.put(f"{prefix}{manifests.MASTER}", made.master.encode(), content_type(".m3u8"))
    await resources.storage.put(f"{prefix}{manifests.MPD}", made.mpd.encode(), content_type(".mpd"))
    for name, text in made.playlists.items():
        await resources.storage.put(
            f"{prefix}{name}/{manifests.PLAYLIST}", text.encode(), content_type(".m3u8")
        )
    await Encoding(resources).manifests(asset.id, record.recipe, made)


DOWNLOAD = "download_720p"


def download_rung(videos: list[st.Rendition]) -> st.Rendition | None:
    """The rung the download MP4 is made of: 720p, else the largest below it, else the smallest."""
    if not videos:
        return None
    short = [v for v in videos if min(v.width or 0, v.height or 0) <= 720]
    return max(short, key=lambda v: min(v.width or 0, v.height or 0)) if short else videos[-1]


async def _parts(resources: Resources, prefix: str, rendition: st.Rendition) -> list[tuple[str, int]]:
    init_key = f"{prefix}{rendition.name}/{manifests.INIT}"
    info = await resources.storage.head(init_key)
    if info is None:
        raise MediaRejected(f"the stream's {rendition.name} init segment is missing from storage")
    parts = [(resources.storage.presign_get(init_key, internal=True), info.size)]
    for segment in rendition.segments:
        key = f"{prefix}{rendition.name}/{manifests.segment_name(segment.number)}"
        parts.append((resources.storage.presign_get(key, internal=True), segment.bytes))
    return parts


async def _download(resources: Resources, asset: Asset, record: st.StreamRecord) -> Rendition | None:
    """The ``download_720p`` rendition: a rung and the audio remuxed into a faststart MP4 through a
    temporary file (FFmpeg moves the index to the front by rewriting the file), then stored in parts."""
    rung = download_rung(record.videos)
    if rung is None:
        return None
    prefix = st.stream_prefix(asset.id, record.recipe)
    video = ConcatReader(await _parts(resources, prefix, rung), client=resources.reads)
    audio = record.audio
    sound = ConcatReader(await _parts(resources, prefix, audio), client=resources.reads) if audio else None
    key = f"{prefix}{DOWNLOAD}.mp4"
    with tempfile.TemporaryDirectory(prefix="dam-download-") as folder:
        out = Path(folder) / "download.mp4"
        size = await asyncio.to_thread(
            readable,
            lambda: pipeline.download_mp4(cast(IO[bytes], video), cast(IO[bytes] | None, sound), out),
        )
        await resources.storage.put_file(key, str(out), "video/mp4")
    return Rendition(
        kind=DOWNLOAD,
        storage_key=key,
        content_type="video/mp4",
        width=rung.width,
        height=rung.height,
        bytes=size,
    )
