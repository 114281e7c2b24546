"""Speech to text: hours of audio per core-hour, the step's decode and model beside the bare model.

About a minute of speech said by espeak-ng (Debian, an independent tool) and encoded to AAC in an
M4A by Debian's ffmpeg, as a recording arrives. The path the speech step takes for it: decode the
file once to 16 kHz mono (``speech.decode``) and transcribe (``Transcriber.transcribe``), in a thread
at nice 19 as the enrich worker's inference threads; beside it, the bare model call on the samples
already decoded. The model is loaded before the clock starts; the cases alternate, ``ROUNDS`` each.
CPU is this process's (every thread: CTranslate2's own included).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from statistics import median
from typing import Any

import msgspec

from dam.media.enrich import speech

ESPEAK = "/usr/bin/espeak-ng"  # Debian's espeak-ng (make media-tools)
FFMPEG = "/usr/bin/ffmpeg"
ROUNDS = 2
SAID = (
    "The archive keeps every photograph of the harbour, the old lighthouse and the market square."
    " Visitors walk along the river on Saturday morning, and the library opens early for the school."
    " In the afternoon the ferry leaves for the island, where the museum shows the fishermen's boats."
    " Each picture is described by the volunteers, who write the names of the streets and the families."
)


class SpeechFigures(msgspec.Struct, frozen=True):
    """Seconds of audio, and per case the median wall and CPU seconds of one pass."""

    audio_seconds: float
    words: int
    step_wall: float
    step_cpu: float
    bare_wall: float
    bare_cpu: float
    heard: str


def _nicest() -> None:
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


def recording(out: Path) -> Path:
    """About a minute of speech (the text said twice), as AAC in an M4A."""
    wav, m4a = out / "said.wav", out / "said.m4a"
    text = f"{SAID} {SAID}"
    subprocess.run([ESPEAK, "-v", "en-us", "-s", "150", "-w", str(wav), text], check=True, timeout=120)
    subprocess.run(
        [FFMPEG, "-v", "error", "-y", "-i", str(wav), "-c:a", "aac", "-b:a", "64k", str(m4a)],
        check=True, timeout=120,
    )  # fmt: skip
    return m4a


def _timed(work: Any) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    done = work()
    return time.perf_counter() - wall, time.process_time() - cpu, done


def speech_figures(out: Path) -> SpeechFigures:
    """Make the recording, load the model, and time both cases."""
    file = recording(out)
    with ThreadPoolExecutor(max_workers=1, initializer=_nicest) as thread:
        transcriber = thread.submit(speech.Transcriber).result()
        with file.open("rb") as fp:
            samples, _ = speech.decode(fp)

        def step() -> Any:
            with file.open("rb") as fp:
                decoded, truncated = speech.decode(fp)
            return transcriber.transcribe(decoded, truncated)

        def bare() -> Any:
            return transcriber.transcribe(samples)

        passes: dict[str, list[tuple[float, float]]] = {"step": [], "bare": []}
        heard = ""
        for round_ in range(ROUNDS):
            for case in ("bare", "step") if round_ % 2 == 0 else ("step", "bare"):
                wall, cpu, found = thread.submit(_timed, step if case == "step" else bare).result()
                passes[case].append((wall, cpu))
                heard = found.text
    return SpeechFigures(
        audio_seconds=len(samples) / speech.SAMPLE_RATE,
        words=len(f"{SAID} {SAID}".split()),
        step_wall=median(w for w, _ in passes["step"]),
        step_cpu=median(c for _, c in passes["step"]),
        bare_wall=median(w for w, _ in passes["bare"]),
        bare_cpu=median(c for _, c in passes["bare"]),
        heard=heard,
    )
