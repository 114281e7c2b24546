"""A video's frames for the picture models, beside its poster: a few spread over its length, so
what appears after the poster's moment is read, tagged and hashed too."""

from __future__ import annotations

from typing import IO

import msgspec
from PIL import Image

from dam.domain.media import MediaInfo
from dam.media import probe, storyboard

# Where the frames are taken, as fractions of the duration (the poster is near 10%).
AT = (0.3, 0.5, 0.7, 0.9)
SIDE = 960  # the longest side of a frame: the models read 280-960 px


class Frame(msgspec.Struct, frozen=True, kw_only=True):
    """A frame, upright, at ``time`` seconds from the video's start."""

    time: float
    picture: Image.Image


def size_of(width: int, height: int, side: int = SIDE) -> tuple[int, int]:
    """A frame's size: the displayed aspect within ``side`` (never larger than the video), even."""
    scale = min(1.0, side / max(width, height))
    return max(2, 2 * round(width * scale / 2)), max(2, 2 * round(height * scale / 2))


def frames(fp: IO[bytes], info: MediaInfo) -> list[Frame]:
    """The frames at ``AT`` of the video's duration (fewer when its end does not decode; none
    without a duration or size), seeking from one to the next."""
    if not info.duration or not info.width or not info.height:
        return []
    times = [round(info.duration * at, 3) for at in AT]
    width, height = size_of(info.width, info.height)
    with probe.open_media(fp) as container:
        return [
            Frame(time=time, picture=storyboard.upright(frame, width, height))
            for time, frame in zip(times, storyboard.frames_at(container, times), strict=False)
        ]
