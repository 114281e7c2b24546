"""A web-playable MP4 from a stream's renditions: the video rung's and the audio's CMAF segments
remuxed (not re-encoded) into one file with its index (``moov``) first, so it plays from its start
while it downloads."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import av


def _packets(container: Any, stream: Any, order: int) -> Iterator[tuple[float, int, Any]]:
    for packet in container.demux(stream):
        if packet.dts is None:
            continue
        yield float(packet.dts * packet.time_base), order, packet


def faststart(video: IO[bytes], audio: IO[bytes] | None, out: Path) -> int:
    """Write the MP4 to ``out`` (FFmpeg's faststart rewrites it in place: a file, not memory);
    returns its size."""
    inputs = [av.open(video, "r", format="mp4")]
    if audio is not None:
        inputs.append(av.open(audio, "r", format="mp4"))
    try:
        with av.open(str(out), "w", format="mp4", options={"movflags": "+faststart"}) as output:
            sources = [container.streams[0] for container in inputs]
            targets = [output.add_stream_from_template(source) for source in sources]
            merged = heapq.merge(
                *(_packets(c, s, i) for i, (c, s) in enumerate(zip(inputs, sources, strict=True))),
                key=lambda item: (item[0], item[1]),
            )
            for _, order, packet in merged:
                packet.stream = targets[order]
                output.mux(packet)
    finally:
        for container in inputs:
            container.close()
    return out.stat().st_size
