"""The ladder: one decode of a chunk of the original feeds every rung's H.264 encoder and the AAC one.

A filter graph turns each decoded frame upright and into square pixels once, splits it, and scales
it for each rung. Frames keep their own timestamps; the first at or after every ``GOP_SECONDS``
boundary is forced to an IDR in every rung, so variable-frame-rate video cuts at the same frames in
each. Encoded packets are packed into CMAF segments on the ``SEGMENT_SECONDS`` grid as they come
(``cmaf.segment``) and yielded one by one: memory holds a segment per rendition, never the video.
"""

from __future__ import annotations

import io
from collections.abc import Generator, Iterator
from fractions import Fraction
from typing import Any

import av
import msgspec
from av.audio.fifo import AudioFifo
from av.audio.resampler import AudioResampler
from av.video.frame import PictureType

from dam.domain import streaming as st
from dam.domain.errors import MediaRejected
from dam.domain.manifests import segment_name
from dam.media import cmaf

_VIDEO_TB = Fraction(1, st.VIDEO_TIMESCALE)
_AUDIO_TB = Fraction(1, st.AUDIO_RATE)
_PREROLL = 2 * st.AUDIO_FRAME  # samples encoded before a chunk's first, so its first frame is warm
_INIT_FLAGS = {"movflags": "empty_moov+default_base_moof+cmaf"}


class ChunkPlan(msgspec.Struct, frozen=True, kw_only=True):
    """What one job encodes: the rungs, whether there is audio, and the chunk's span in seconds."""

    rungs: list[st.Rung]
    audio: bool
    start: float
    end: float | None  # None: to the end of the file
    frame_rate: float | None = None


class EncodedFile(msgspec.Struct, frozen=True, kw_only=True):
    """A file of the stream, ready to upload into its rendition's folder."""

    rendition: str
    name: str
    data: bytes


class ChunkResult(msgspec.Struct, kw_only=True):
    """What a chunk made: each rendition with this chunk's segments."""

    renditions: list[st.Rendition]


class _Pending(msgspec.Struct, kw_only=True):
    decode_time: int
    pts: int
    data: bytes
    sync: bool


class _Track:
    """One rendition being encoded: its encoder (the stream of a muxer that writes only the init
    segment), the segment being filled, and the segments closed so far."""

    def __init__(self, name: str, kind: str, container: Any, stream: Any, buffer: io.BytesIO) -> None:
        self.name, self.kind = name, kind
        self.container, self.stream, self.buffer = container, stream, buffer
        self.samples: list[_Pending] = []
        self.number = 0
        self.shift: int | None = None
        self.segments: list[st.Segment] = []
        self.init = b""

    def start(self) -> EncodedFile:
        self.container.start_encoding()  # writes ftyp + moov (empty_moov), the encoder opened
        self.init = self.buffer.getvalue()
        return EncodedFile(rendition=self.name, name="init.mp4", data=self.init)

    def add(self, packet: Any) -> None:
        if self.shift is None:  # the first packet (an IDR) decodes when it is shown
            self.shift = int(packet.pts) - int(packet.dts)
        self.samples.append(
            _Pending(
                decode_time=int(packet.dts) + self.shift,
                pts=int(packet.pts),
                data=cmaf.length_prefixed(bytes(packet)),
                sync=bool(packet.is_keyframe),
            )
        )

    def close(self, next_decode_time: int) -> EncodedFile | None:
        """The segment filled so far, its last sample lasting until ``next_decode_time``."""
        if not self.samples:
            return None
        times = [s.decode_time for s in self.samples] + [next_decode_time]
        samples = [
            cmaf.Sample(max(1, times[i + 1] - s.decode_time), len(s.data), s.sync, s.pts - s.decode_time)
            for i, s in enumerate(self.samples)
        ]
        data = b"".join(s.data for s in self.samples)
        start = self.samples[0].decode_time
        body = cmaf.segment(self.number, start, samples, data)
        self.segments.append(
            st.Segment(number=self.number, start=start, duration=times[-1] - start, bytes=len(body))
        )
        self.samples = []
        return EncodedFile(rendition=self.name, name=segment_name(self.number), data=body)


def x264_params(rung: st.Rung) -> str:
    """x264's own options for a rung: IDRs only where the ladder forces them (on the time grid),
    GOPs closed, the rate capped."""
    return (
        "scenecut=0:open-gop=0:keyint=infinite:min-keyint=1"
        f":vbv-maxrate={rung.maxrate}:vbv-bufsize={rung.bufsize}"
    )


def _video_track(rung: st.Rung, rate: Fraction) -> _Track:
    buffer = io.BytesIO()
    container = av.open(buffer, "w", format="mp4", options=_INIT_FLAGS)
    options = {"preset": st.PRESET, "crf": str(st.CRF), "profile": "high", "forced-idr": "1"}
    options["x264-params"] = x264_params(rung)
    stream = container.add_stream("libx264", rate=rate, options=options)
    stream.width, stream.height, stream.pix_fmt = rung.width, rung.height, "yuv420p"
    stream.time_base = _VIDEO_TB
    stream.codec_context.time_base = _VIDEO_TB
    stream.thread_type = "FRAME"  # PyAV's default slice threading is ~40% slower here
    return _Track(rung.name, "video", container, stream, buffer)


def _audio_track() -> _Track:
    buffer = io.BytesIO()
    container = av.open(buffer, "w", format="mp4", options=_INIT_FLAGS)
    stream = container.add_stream("aac", rate=st.AUDIO_RATE)
    stream.layout = "stereo"
    stream.bit_rate = st.AUDIO_BITRATE
    stream.time_base = _AUDIO_TB
    stream.codec_context.time_base = _AUDIO_TB
    return _Track(st.AUDIO_NAME, "audio", container, stream, buffer)


class _Video:
    """Frames in, packets into segments out, for every rung at once."""

    def __init__(self, plan: ChunkPlan, source: Any, rate: Fraction) -> None:
        self.plan, self.source = plan, source
        self.tracks = [_video_track(rung, rate) for rung in plan.rungs]
        self.graph: Any = None
        self.sinks: list[Any] = []
        self.next_idr = self.next_segment = plan.start
        self.segment_starts: dict[int, int] = {}  # pts of a segment's first frame -> its number
        self.done = False
        self.next_pts: int | None = None  # the first frame after the chunk: where its last segment ends

    def _configure(self, frame: Any) -> None:
        graph = av.filter.Graph()
        head = graph.add_buffer(template=self.source)
        last = head
        rotation = int(frame.rotation or 0) % 360
        chain = {
            90: [("transpose", "cclock")],
            270: [("transpose", "clock")],
            180: [("hflip", ""), ("vflip", "")],
        }
        for name, args in chain.get(rotation, []):
            node = graph.add(name, args) if args else graph.add(name)
            last.link_to(node)
            last = node
        split = graph.add("split", str(len(self.tracks)))
        last.link_to(split)
        for index, track in enumerate(self.tracks):
            w, h = track.stream.width, track.stream.height
            scale = graph.add("scale", f"{w}:{h}:flags=bicubic")
            split.link_to(scale, index, 0)
            square = graph.add("setsar", "1")
            scale.link_to(square)
            fmt = graph.add("format", "yuv420p")
            square.link_to(fmt)
            sink = graph.add("buffersink")
            fmt.link_to(sink)
            self.sinks.append(sink)
        graph.configure()
        self.graph, self.head = graph, head

    def frame(self, frame: Any, t: float) -> Iterator[EncodedFile]:
        if self.done or t < self.plan.start - 1e-6:
            return
        pts = round(t * st.VIDEO_TIMESCALE)
        if self.plan.end is not None and t >= self.plan.end - 1e-6:
            self.done, self.next_pts = True, pts
            return
        idr = t >= self.next_idr - 1e-6
        while self.next_idr <= t + 1e-6:
            self.next_idr += st.GOP_SECONDS
        if t >= self.next_segment - 1e-6:  # a segment boundary is an IDR boundary too
            while self.next_segment <= t + 1e-6:
                self.next_segment += st.SEGMENT_SECONDS
            self.segment_starts[pts] = st.video_segment(t)
        if self.graph is None:
            self._configure(frame)
        self.head.push(frame)
        for track, sink in zip(self.tracks, self.sinks, strict=True):
            out = sink.pull()
            out.pts, out.time_base = pts, _VIDEO_TB
            out.pict_type = PictureType.I if idr else PictureType.NONE
            yield from self._packets(track, track.stream.encode(out))

    def _packets(self, track: _Track, packets: list[Any]) -> Iterator[EncodedFile]:
        for packet in packets:
            number = self.segment_starts.get(int(packet.pts)) if packet.is_keyframe else None
            if number is not None:
                shift = track.shift if track.shift is not None else int(packet.pts) - int(packet.dts)
                closed = track.close(int(packet.dts) + shift)
                if closed is not None:
                    yield closed
                track.number = number
            track.add(packet)

    def finish(self, last_duration: int) -> Iterator[EncodedFile]:
        for track in self.tracks:
            yield from self._packets(track, track.stream.encode(None))
            end = self.next_pts
            if end is None and track.samples:
                end = max(s.pts for s in track.samples) + last_duration
            closed = track.close(end if end is not None else 0)
            if closed is not None:
                yield closed
            track.container.close()


class _Audio:
    """Decoded audio in, 48 kHz stereo AAC segments out, on the sample grid of AAC frames."""

    def __init__(self, plan: ChunkPlan) -> None:
        self.track = _audio_track()
        self.start = st.audio_start(plan.start)
        self.end = None if plan.end is None else st.audio_start(plan.end)
        self.feed = max(0, self.start - _PREROLL) if plan.start else 0
        self.position: int | None = None  # sample index of the FIFO's first sample
        self.encoded = self.feed  # sample index of the next frame given to the encoder
        self.resampler = AudioResampler(format="fltp", layout="stereo", rate=st.AUDIO_RATE)
        self.fifo = AudioFifo()
        self.next_boundary = self.start
        self.done = False

    def frame(self, frame: Any | None, t: float) -> Iterator[EncodedFile]:
        if self.done:
            return
        for out in self.resampler.resample(frame):
            if self.position is None:
                self.position = round(t * st.AUDIO_RATE)
                if self.position > self.encoded:  # the audio starts late: silence until it does
                    self._silence(self.position - self.encoded)
                    self.position = self.encoded
            out.pts = None
            self.fifo.write(out)
        yield from self._drain(final=frame is None)

    def _silence(self, samples: int) -> None:
        quiet = av.AudioFrame(format="fltp", layout="stereo", samples=samples)
        for plane in quiet.planes:
            plane.update(bytes(plane.buffer_size))
        quiet.sample_rate = st.AUDIO_RATE
        self.fifo.write(quiet)

    def _drain(self, *, final: bool) -> Iterator[EncodedFile]:
        assert self.position is not None or self.fifo.samples == 0
        if self.position is not None and self.position < self.encoded:  # before the chunk: dropped
            drop = min(self.encoded - self.position, self.fifo.samples)
            if drop:
                self.fifo.read(drop)
            self.position += drop
            if self.position < self.encoded:
                return
        while self.fifo.samples >= st.AUDIO_FRAME or (final and self.fifo.samples):
            size = min(st.AUDIO_FRAME, self.fifo.samples)
            chunk = self.fifo.read(size)
            assert chunk is not None  # the FIFO holds that many
            chunk.pts, chunk.time_base = self.encoded, _AUDIO_TB
            self.encoded += size
            if self.position is not None:
                self.position += size
            yield from self._packets(self.track.stream.encode(chunk))
            if self.end is not None and self.encoded >= self.end + 2 * st.AUDIO_FRAME:
                self.done = True
                return

    def _packets(self, packets: list[Any]) -> Iterator[EncodedFile]:
        track = self.track
        for packet in packets:
            pts = int(packet.pts)
            if pts < self.start or (self.end is not None and pts >= self.end):
                continue
            if pts >= self.next_boundary:
                closed = track.close(pts)
                if closed is not None:
                    yield closed
                track.number = st.audio_segment(pts)
                self.next_boundary = st.audio_start(track.number * st.SEGMENT_SECONDS)
            track.samples.append(_Pending(decode_time=pts, pts=pts, data=bytes(packet), sync=True))

    def finish(self) -> Iterator[EncodedFile]:
        if not self.done:
            yield from self.frame(None, 0.0)
            yield from self._packets(self.track.stream.encode(None))
        track = self.track
        end = self.end
        if end is None and track.samples:
            end = track.samples[-1].decode_time + st.AUDIO_FRAME
        closed = track.close(end if end is not None else 0)
        if closed is not None:
            yield closed
        track.container.close()


def _streams(container: Any, plan: ChunkPlan) -> tuple[Any, Any]:
    video = next(
        (s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic), None
    )
    audio = container.streams.audio[0] if container.streams.audio and plan.audio else None
    if plan.rungs and video is None:
        raise MediaRejected("the file has no video stream to stream")
    if not plan.rungs:
        video = None
    if video is None and audio is None:
        raise MediaRejected("the file has neither video nor audio to stream")
    return video, audio


def encode_chunk(container: Any, plan: ChunkPlan) -> Generator[EncodedFile, None, ChunkResult]:
    """Encode one chunk: the init segments first, then each segment of every rendition as it closes."""
    video_stream, audio_stream = _streams(container, plan)
    rate = Fraction(plan.frame_rate or 30).limit_denominator(1001)
    video = _Video(plan, video_stream, rate) if video_stream is not None else None
    audio = _Audio(plan) if audio_stream is not None else None
    tracks = [*(video.tracks if video else []), *([audio.track] if audio else [])]
    for track in tracks:
        yield track.start()
    yield from _decode(container, plan, video, audio)
    if video is not None:
        yield from video.finish(round(st.VIDEO_TIMESCALE / float(rate)))
    if audio is not None:
        yield from audio.finish()
    return ChunkResult(renditions=[_describe(track, plan) for track in tracks])


def _decode(
    container: Any, plan: ChunkPlan, video: _Video | None, audio: _Audio | None
) -> Iterator[EncodedFile]:
    """Decode the chunk's span once, each frame to the side that wants it, until both have enough."""
    origin = (container.start_time or 0) / av.time_base
    if plan.start > 0:  # a second early: the keyframe before, and the audio's preroll
        target = int(max(0.0, plan.start + origin - 1.0) * av.time_base)
        container.seek(target, backward=True, any_frame=False)
    video_stream = video.source if video is not None else None
    wanted = [s for s in (video_stream, container.streams.audio[0] if audio else None) if s is not None]
    for stream in wanted:
        stream.thread_type = "AUTO"
    for packet in container.demux(*wanted):
        try:
            frames = packet.decode()
        except av.error.InvalidDataError:
            continue  # a damaged packet: the decoder picks up at the next one
        for frame in frames:
            if frame.time is None:
                continue
            t = float(frame.time) - origin
            if video is not None and packet.stream is video_stream:
                yield from video.frame(frame, t)
            elif audio is not None:
                yield from audio.frame(frame, t)
        if (video is None or video.done) and (audio is None or audio.done):
            return


def _describe(track: _Track, plan: ChunkPlan) -> st.Rendition:
    timescale = cmaf.timescale(track.init)
    if track.kind == "audio":
        return st.Rendition(
            name=track.name, kind="audio", codecs=st.AUDIO_CODECS, timescale=timescale, channels=2,
            segments=track.segments,
        )  # fmt: skip
    return st.Rendition(
        name=track.name, kind="video", codecs=cmaf.avc_codecs(track.init), timescale=timescale,
        width=track.stream.width, height=track.stream.height, frame_rate=plan.frame_rate,
        segments=track.segments,
    )  # fmt: skip
