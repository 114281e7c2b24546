"""Processing as a chain of steps: which steps an asset needs, on which queue, and what follows.

Pure decisions, as Immich's job service makes them: ``plan`` says from the asset's kind and its
probe which steps it needs; ``runnable`` which of them may start now; ``outcome`` whether the asset
is done.

Some steps run in the background: the asset is ``ready`` without them (a video can be read,
downloaded and shared while its stream is still being encoded), and their failure is theirs, not
the asset's. ``ladder`` (the adaptive stream) and ``storyboard`` (seek thumbnails) are such steps,
on their own ``transcode`` queue, so long encodes never hold up the media queue.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import msgspec

from dam.domain.errors import InvalidInput
from dam.domain.media import MediaInfo
from dam.domain.status import AssetStatus


class Queue(enum.StrEnum):
    """Work queues; each has its own workers and concurrency."""

    MEDIA = "media"
    TRANSCODE = "transcode"


class StepState(enum.StrEnum):
    """Lifecycle of one step of one asset."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class StepSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A step: its queue, how long one attempt may take, and the steps it needs first."""

    name: str
    queue: Queue
    timeout: int
    needs: tuple[str, ...] = ()
    background: bool = False  # the asset is ready without it; its failure does not fail the asset


STEPS: dict[str, StepSpec] = {
    spec.name: spec
    for spec in (
        StepSpec(name="probe", queue=Queue.MEDIA, timeout=120),
        StepSpec(name="stills", queue=Queue.MEDIA, timeout=300, needs=("probe",)),
        StepSpec(name="poster", queue=Queue.MEDIA, timeout=300, needs=("probe",)),
        StepSpec(name="waveform", queue=Queue.MEDIA, timeout=480, needs=("probe",)),
        # One job per chunk of content (DAM_LADDER_CHUNK_SECONDS): the time limit is a chunk's.
        StepSpec(name="ladder", queue=Queue.TRANSCODE, timeout=1800, needs=("probe",), background=True),
        StepSpec(name="storyboard", queue=Queue.TRANSCODE, timeout=900, needs=("probe",), background=True),
    )
}
FIRST = "probe"
_RENDER = {
    "image": ("stills",),
    # The storyboard first: a few seconds of work, so seek thumbnails never wait for a long ladder.
    "video": ("poster", "storyboard", "ladder"),
    "audio": ("waveform", "ladder"),
}


def plan(info: MediaInfo | None) -> tuple[str, ...]:
    """The steps an asset needs: ``probe`` until its facts are known, then what its kind needs."""
    if info is None:
        return (FIRST,)
    return (FIRST, *_RENDER[info.kind])


def in_background(name: str) -> bool:
    """Whether the asset is ready without this step (see the module's docstring)."""
    spec = STEPS.get(name)
    return spec is not None and spec.background


def runnable(
    states: Mapping[str, StepState], queue: Queue | None = None, *, resume: bool = False
) -> list[str]:
    """Pending steps whose prerequisites are done (on ``queue`` only, when given), in plan order.

    ``resume`` adds running steps: a job that runs again after its worker died takes them over.
    """
    waiting = {StepState.PENDING, StepState.RUNNING} if resume else {StepState.PENDING}
    return [
        name
        for name, state in states.items()
        if state in waiting
        and all(states.get(need) is StepState.DONE for need in STEPS[name].needs)
        and (queue is None or STEPS[name].queue is queue)
    ]


def queues_of(states: Mapping[str, StepState]) -> list[Queue]:
    """The queues that have work for an asset: those of its runnable (or interrupted) steps."""
    return sorted({STEPS[name].queue for name in runnable(states, resume=True)})


def outcome(states: Mapping[str, StepState]) -> AssetStatus | None:
    """``ready`` when every planned step is done, ``failed`` when one failed; None while work remains.
    Background steps do not count."""
    decisive = {name: state for name, state in states.items() if not in_background(name)}
    if any(state is StepState.FAILED for state in decisive.values()):
        return AssetStatus.FAILED
    if decisive and all(state is StepState.DONE for state in decisive.values()):
        return AssetStatus.READY
    return None


def chosen_steps(requested: list[str] | None, planned: tuple[str, ...]) -> tuple[str, ...]:
    """Which planned steps a reprocess request re-runs (all when none are named)."""
    if not requested:
        return planned
    unknown = [name for name in requested if name not in STEPS]
    if unknown:
        raise InvalidInput(f"unknown step(s) {unknown}; steps are {', '.join(STEPS)}")
    missing = [name for name in requested if name not in planned]
    if missing:
        raise InvalidInput(
            f"step(s) {missing} are not part of this asset's processing ({', '.join(planned)})"
        )
    # A step's outputs are made from what the steps it needs found: those that need a rerun one
    # run again too (probe again, and the poster's corrected facts are corrected again).
    chosen = set(requested)
    for name in planned:
        if any(need in chosen for need in STEPS[name].needs):
            chosen.add(name)
    return tuple(name for name in planned if name in chosen)


def retry_delay(retry: int, cap: float, spread: float) -> float:
    """Seconds before retry number ``retry`` (1, 2, ...) after a transient fault: doubling from 1 s,
    capped at ``cap``, scaled by ``spread`` in [0.5, 1] (jitter: assets hit by the same outage do
    not all come back in the same instant)."""
    base = min(cap, 2.0 ** min(max(retry, 1) - 1, 30))
    return max(0.05, base * min(1.0, max(0.5, spread)))


class Released(msgspec.Struct, frozen=True, kw_only=True):
    """A step given back after a fault: its retries so far and how long they have lasted."""

    retries: int
    retrying_for: float
