"""Seek thumbnails: small frames every few seconds, tiled into JPEG sprite sheets, and the WebVTT
track players read them through (``sprite_001.jpg#xywh=x,y,w,h`` per cue)."""

from __future__ import annotations

import io
from collections.abc import Generator
from typing import Any

import av
import msgspec
from PIL import Image

from dam.domain.media import MediaInfo, MediaRejected

TILE_WIDTH = 160
COLUMNS = 10
ROWS = 10
MAX_TILES = 1000  # a 3-hour film at one tile every 10 s
CONTINUE_WITHIN = 4.0  # seconds: a tile this close ahead is decoded to rather than sought


class Sprite(msgspec.Struct, frozen=True, kw_only=True):
    """One sprite sheet, ready to upload."""

    name: str
    data: bytes


class Board(msgspec.Struct, frozen=True, kw_only=True):
    """The storyboard's track and geometry."""

    vtt: str
    sprites: list[str]
    interval: float
    tile_width: int
    tile_height: int


def interval(duration: float) -> float:
    """Seconds between tiles: about a hundred tiles, one every 2 to 10 s."""
    return float(min(10, max(2, round(duration / 100))))


def tile_size(width: int, height: int) -> tuple[int, int]:
    """A tile's size: 160 wide (square pixels, upright), its height by the aspect, even."""
    return TILE_WIDTH, max(2, 2 * round(TILE_WIDTH * height / width / 2))


def _stamp(seconds: float) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{int(hours):02d}:{int(minutes):02d}:{secs:06.3f}"


def frames_at(container: Any, times: list[float]) -> Generator[Any, None, None]:
    """The first frame at or after each time (from the stream's start), seeking only to jump ahead."""
    stream = next(
        s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic
    )
    stream.thread_type = "AUTO"
    origin = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
    decoder = None
    position = -1.0
    for target in times:
        if decoder is None or not (position <= target < position + CONTINUE_WITHIN):
            container.seek(int((target + origin) / stream.time_base), stream=stream, backward=True)
            decoder = container.decode(stream)
        frame = None
        for candidate in decoder:
            if candidate.time is None:
                continue
            position = float(candidate.time) - origin
            if position >= target - 1e-3:
                frame = candidate
                break
        if frame is None:
            return
        yield frame


def storyboard(container: Any, info: MediaInfo, *, folder: str = "") -> Generator[Sprite, None, Board]:
    """Sprite sheets as they fill, then the track that points into them (``folder``: where the
    sprites sit relative to the track)."""
    if not info.duration or not info.width or not info.height:
        raise MediaRejected("no duration or size: the probe step must run first")
    step = interval(info.duration)
    count = min(MAX_TILES, max(1, int(info.duration // step) + (1 if info.duration % step > 0.5 else 0)))
    times = [i * step for i in range(count)]
    width, height = tile_size(info.width, info.height)
    cues: list[str] = []
    names: list[str] = []
    sheet: Image.Image | None = None
    per_sheet = COLUMNS * ROWS
    index = -1
    for index, frame in enumerate(frames_at(container, times)):
        slot = index % per_sheet
        if slot == 0:
            if sheet is not None:
                yield _sprite(sheet, len(names))
            names.append(f"sprite_{len(names) + 1:03d}.jpg")
            rows = min(ROWS, -(-(count - index) // COLUMNS))
            sheet = Image.new("RGB", (width * COLUMNS, height * rows))
        picture = upright(frame, width, height)
        x, y = (slot % COLUMNS) * width, (slot // COLUMNS) * height
        assert sheet is not None
        sheet.paste(picture, (x, y))
        end = min(info.duration, times[index] + step)
        cues.append(
            f"{_stamp(times[index])} --> {_stamp(end)}\n{folder}{names[-1]}#xywh={x},{y},{width},{height}"
        )
    if sheet is None:
        raise MediaRejected("the video has no decodable frame for a storyboard")
    yield _sprite(sheet, len(names))
    vtt = "WEBVTT\n\n" + "\n\n".join(cues[: index + 1]) + "\n"
    return Board(vtt=vtt, sprites=names, interval=step, tile_width=width, tile_height=height)


def upright(frame: Any, width: int, height: int) -> Image.Image:
    """The decoded frame as an RGB picture of ``width`` x ``height``, its display rotation applied."""
    rotation = int(frame.rotation or 0) % 360
    turned = rotation % 180 == 90
    image = frame.reformat(
        width=height if turned else width, height=width if turned else height, format="rgb24"
    )
    picture: Image.Image = image.to_image()
    return picture.rotate(rotation, expand=True) if rotation else picture


def _sprite(sheet: Image.Image, number: int) -> Sprite:
    out = io.BytesIO()
    sheet.save(out, "JPEG", quality=70, optimize=True)
    return Sprite(name=f"sprite_{number:03d}.jpg", data=out.getvalue())
