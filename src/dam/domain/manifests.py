"""HLS v7 playlists and a static DASH MPD over the same CMAF segments (pure text from the records).

Paths are relative: the master playlist and the MPD sit in the recipe's folder, each rendition's
playlist, init segment and media segments in the rendition's folder below it
(``v720/index.m3u8``, ``v720/init.mp4``, ``v720/seg_00001.m4s``), so a token in the URL's path
carries over to every file a player asks for.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import quoteattr

from dam.domain.streaming import AUDIO_NAME, Rendition, bandwidth

MASTER = "master.m3u8"
MPD = "manifest.mpd"
PLAYLIST = "index.m3u8"
INIT = "init.mp4"
AUDIO_GROUP = "aac"
STORYBOARD_VTT = "storyboard.vtt"
STORYBOARD_DIR = "storyboard"


def segment_name(number: int) -> str:
    """The file name of media segment ``number``."""
    return f"seg_{number:05d}.m4s"


def media_playlist(rendition: Rendition) -> str:
    """One rendition's VOD playlist: its init segment and every segment with its exact duration."""
    durations = [s.duration / rendition.timescale for s in rendition.segments]
    target = max(1, math.ceil(max(durations, default=1) - 1e-6))
    first = rendition.segments[0].number if rendition.segments else 1
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        f"#EXT-X-TARGETDURATION:{target}",
        f"#EXT-X-MEDIA-SEQUENCE:{first}",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        f'#EXT-X-MAP:URI="{INIT}"',
    ]
    for segment, seconds in zip(rendition.segments, durations, strict=True):
        lines += [f"#EXTINF:{seconds:.6f},", segment_name(segment.number)]
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def master_playlist(videos: list[Rendition], audio: Rendition | None) -> str:
    """The multivariant playlist: one variant per rung, all sharing the audio group."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    if audio is not None and videos:
        lines.append(
            f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="{AUDIO_GROUP}",NAME="audio",LANGUAGE="und",DEFAULT=YES,'
            f'AUTOSELECT=YES,CHANNELS="{audio.channels or 2}",URI="{AUDIO_NAME}/{PLAYLIST}"'
        )
    for video in videos:
        peak, average = bandwidth(video, audio)
        codecs = video.codecs + (f",{audio.codecs}" if audio is not None else "")
        attributes = [
            f"BANDWIDTH={peak}",
            f"AVERAGE-BANDWIDTH={average}",
            f'CODECS="{codecs}"',
            f"RESOLUTION={video.width}x{video.height}",
        ]
        if video.frame_rate:
            attributes.append(f"FRAME-RATE={video.frame_rate:.3f}")
        if audio is not None:
            attributes.append(f'AUDIO="{AUDIO_GROUP}"')
        lines += [f"#EXT-X-STREAM-INF:{','.join(attributes)}", f"{video.name}/{PLAYLIST}"]
    if not videos and audio is not None:  # an audio-only stream
        peak, average = bandwidth(None, audio)
        lines += [
            f'#EXT-X-STREAM-INF:BANDWIDTH={peak},AVERAGE-BANDWIDTH={average},CODECS="{audio.codecs}"',
            f"{AUDIO_NAME}/{PLAYLIST}",
        ]
    return "\n".join(lines) + "\n"


def _seconds(value: float) -> str:
    return f"PT{value:.3f}S"


def _timeline(rendition: Rendition) -> str:
    """A SegmentTimeline, runs of equal durations folded into ``r``."""
    runs: list[list[int]] = []  # [start, duration, repeats]
    for segment in rendition.segments:
        last = runs[-1] if runs else None
        if (
            last is not None
            and last[1] == segment.duration
            and last[0] + last[1] * (last[2] + 1) == segment.start
        ):
            last[2] += 1
        else:
            runs.append([segment.start, segment.duration, 0])
    entries = "".join(
        f'<S t="{start}" d="{duration}"' + (f' r="{repeats}"' if repeats else "") + "/>"
        for start, duration, repeats in runs
    )
    return f"<SegmentTimeline>{entries}</SegmentTimeline>"


def _representation(rendition: Rendition) -> str:
    first = rendition.segments[0].number if rendition.segments else 1
    template = (
        f'<SegmentTemplate timescale="{rendition.timescale}" startNumber="{first}"'
        f' initialization="$RepresentationID$/{INIT}" media="$RepresentationID$/seg_$Number%05d$.m4s">'
        f"{_timeline(rendition)}</SegmentTemplate>"
    )
    peak = rendition.peak_bandwidth
    if rendition.kind == "video":
        rate = f' frameRate="{_frame_rate(rendition.frame_rate)}"' if rendition.frame_rate else ""
        head = (
            f'<Representation id={quoteattr(rendition.name)} bandwidth="{peak}" codecs="{rendition.codecs}"'
            f' width="{rendition.width}" height="{rendition.height}" sar="1:1"{rate}>'
        )
    else:
        head = (
            f'<Representation id={quoteattr(rendition.name)} bandwidth="{peak}" codecs="{rendition.codecs}"'
            f' audioSamplingRate="{rendition.timescale}">'
            '<AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011"'
            f' value="{rendition.channels or 2}"/>'
        )
    return f"{head}{template}</Representation>"


def _frame_rate(rate: float | None) -> str:
    assert rate is not None
    for denominator in (1, 1001):
        numerator = rate * denominator
        if abs(numerator - round(numerator)) < 0.01 * denominator:
            return f"{round(numerator)}/{denominator}" if denominator > 1 else str(round(numerator))
    return f"{round(rate * 1000)}/1000"


def mpd(videos: list[Rendition], audio: Rendition | None) -> str:
    """A static MPD (live profile: SegmentTemplate with a SegmentTimeline) over the same files."""
    duration = max((r.duration for r in [*videos, *([audio] if audio else [])]), default=0.0)
    longest = max(
        (s.duration / r.timescale for r in [*videos, *([audio] if audio else [])] for s in r.segments),
        default=4.0,
    )
    sets = []
    if videos:
        heights = [v.height or 0 for v in videos]
        widths = [v.width or 0 for v in videos]
        sets.append(
            '<AdaptationSet id="0" contentType="video" mimeType="video/mp4" segmentAlignment="true"'
            f' startWithSAP="1" maxWidth="{max(widths)}" maxHeight="{max(heights)}">'
            + "".join(_representation(v) for v in videos)
            + "</AdaptationSet>"
        )
    if audio is not None:
        sets.append(
            '<AdaptationSet id="1" contentType="audio" mimeType="audio/mp4" lang="und"'
            ' segmentAlignment="true" startWithSAP="1">' + _representation(audio) + "</AdaptationSet>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011"'
        f' type="static" mediaPresentationDuration="{_seconds(duration)}"'
        f' minBufferTime="{_seconds(math.ceil(longest))}">'
        f'<Period id="0" start="PT0S">{"".join(sets)}</Period></MPD>\n'
    )
