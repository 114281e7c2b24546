"""A transcript's timed segments and their WebVTT (the captions a player shows): pure."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec


class Segment(msgspec.Struct, frozen=True, kw_only=True):
    """What was said from ``start`` to ``end`` (seconds)."""

    start: float
    end: float
    text: str


def timestamp(seconds: float) -> str:
    """``HH:MM:SS.mmm``, as WebVTT writes a cue's time (hours may pass 99)."""
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    return f"{hours:02d}:{minutes:02d}:{millis // 1000:02d}.{millis % 1000:03d}"


def _escaped(text: str) -> str:
    # A cue's text may hold neither "-->" nor a blank line; & and < start entities and tags.
    flat = " ".join(text.split())
    return flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_webvtt(segments: Iterable[Segment]) -> str:
    """A WebVTT file with one cue per segment, in order; a segment that ends before it starts ends
    where it starts."""
    cues = [
        f"{timestamp(s.start)} --> {timestamp(max(s.start, s.end))}\n{_escaped(s.text)}"
        for s in segments
        if s.text.strip()
    ]
    return "WEBVTT\n\n" + "".join(f"{cue}\n\n" for cue in cues)
