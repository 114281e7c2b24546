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
from collections.abc import Container, Mapping

import msgspec

from dam.domain.errors import InvalidInput
from dam.domain.media import MediaInfo
from dam.domain.status import AssetStatus


class Queue(enum.StrEnum):
    """Today's work queues; each has its own workers and concurrency (see ``QUEUES``)."""

    MEDIA = "media"
    TRANSCODE = "transcode"
    ENRICH = "enrich"


class StepName(enum.StrEnum):
    """Today's steps (see ``STEPS``)."""

    PROBE = "probe"
    STILLS = "stills"
    POSTER = "poster"
    WAVEFORM = "waveform"
    STORYBOARD = "storyboard"
    LADDER = "ladder"
    OCR = "ocr"
    OBJECTS = "objects"
    SCENES = "scenes"
    SIMILAR = "similar"
    CREDENTIALS = "credentials"
    SPEECH = "speech"


# The kinds of enrichment ``DAM_ENRICH`` may name, each a background step of the ``enrich`` queue
# once it is built (``STEPS``); the default runs every kind but speech.
ENRICH_KINDS = ("ocr", "objects", "scenes", "speech", "similar", "credentials")
ENRICH_DEFAULT = ("ocr", "objects", "scenes", "similar", "credentials")


class StepState(enum.StrEnum):
    """Lifecycle of one step of one asset."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class QueueSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A work queue: the arq function its workers run, and the settings (``DAM_*`` names) that give
    its concurrency and its time limit, read by every process from this one table."""

    name: str
    function: str  # the arq function that runs an asset's steps of this queue
    concurrency: str  # the DAM_* setting: jobs one worker of the queue runs at once
    time_limit: str  # the DAM_* setting: seconds one job of the queue may run
    # The queue's Redis key beside DAM_QUEUE_NAME ("" for DAM_QUEUE_NAME itself), and the prefix of
    # its job ids; both default to the queue's name.
    key_suffix: str | None = None
    job_prefix: str | None = None
    housekeeping: bool = False  # its workers also run the reconciler and the upload watch

    @property
    def suffix(self) -> str:
        """The queue's key beside ``DAM_QUEUE_NAME``."""
        return self.name if self.key_suffix is None else self.key_suffix

    @property
    def prefix(self) -> str:
        """The first part of the queue's job ids."""
        return self.job_prefix or self.name


class StepSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A step: its queue, how long one attempt may take, the steps it needs first, the kinds of
    media it runs for (none: every asset, before its kind is known)."""

    name: str
    queue: str
    timeout: int
    needs: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    background: bool = False  # the asset is ready without it; its failure does not fail the asset
    # Steps that end first when the asset's kind plans them (the rendition an enrichment reads is
    # the stills' of an image, the poster's of a video); unlike ``needs``, one not planned is no bar.
    after: tuple[str, ...] = ()


# The registry: a queue is one spec here, a step one spec here and one runner (dam.jobs.registry).
# Keyed by name, so a queue or a step can be added without a member of the enums above.
QUEUES: dict[str, QueueSpec] = {
    str(spec.name): spec
    for spec in (
        # The media queue keeps its historic key (DAM_QUEUE_NAME itself), function and job ids.
        QueueSpec(
            name=Queue.MEDIA,
            function="process_asset",
            concurrency="DAM_WORKER_CONCURRENCY",
            time_limit="DAM_JOB_TIMEOUT",
            key_suffix="",
            job_prefix="process",
            housekeeping=True,
        ),
        QueueSpec(
            name=Queue.TRANSCODE,
            function="transcode_asset",
            concurrency="DAM_TRANSCODE_CONCURRENCY",
            time_limit="DAM_TRANSCODE_TIMEOUT",
        ),
        # Models: a worker of its own at the lowest CPU priority, so renditions never wait behind OCR.
        QueueSpec(
            name=Queue.ENRICH,
            function="enrich_asset",
            concurrency="DAM_ENRICH_CONCURRENCY",
            time_limit="DAM_ENRICH_TIMEOUT",
        ),
    )
}
_PICTURES = (StepName.STILLS, StepName.POSTER)  # what makes the preview an enrichment reads


def _enrichment(
    name: str,
    *,
    timeout: int,
    kinds: tuple[str, ...] = ("image", "video"),
    after: tuple[str, ...] = _PICTURES,
) -> StepSpec:
    """An enrichment step: on the enrich queue, in the background, once the facts are known and
    (``after``) the picture it reads is made."""
    return StepSpec(
        name=name, queue=Queue.ENRICH, timeout=timeout, needs=(StepName.PROBE,), kinds=kinds, background=True,
        after=after,
    )  # fmt: skip


# In plan order: an asset's steps are the ones of its kind, in the order they are listed here.
STEPS: dict[str, StepSpec] = {
    str(spec.name): spec
    for spec in (
        StepSpec(name=StepName.PROBE, queue=Queue.MEDIA, timeout=120),
        StepSpec(
            name=StepName.STILLS, queue=Queue.MEDIA, timeout=300, needs=(StepName.PROBE,), kinds=("image",)
        ),
        StepSpec(
            name=StepName.POSTER, queue=Queue.MEDIA, timeout=300, needs=(StepName.PROBE,), kinds=("video",)
        ),
        StepSpec(
            name=StepName.WAVEFORM, queue=Queue.MEDIA, timeout=480, needs=(StepName.PROBE,), kinds=("audio",)
        ),
        # The storyboard before the ladder: a few seconds of work, so seek thumbnails never wait for
        # a long ladder.
        StepSpec(
            name=StepName.STORYBOARD,
            queue=Queue.TRANSCODE,
            timeout=900,
            needs=(StepName.PROBE,),
            kinds=("video",),
            background=True,
        ),
        # One job per chunk of content (DAM_LADDER_CHUNK_SECONDS): the time limit is a chunk's.
        StepSpec(
            name=StepName.LADDER,
            queue=Queue.TRANSCODE,
            timeout=1800,
            needs=(StepName.PROBE,),
            kinds=("video", "audio"),
            background=True,
        ),
        # Enrichment (``ENRICH_KINDS``): read the upright preview, run a model, keep what it found.
        _enrichment(StepName.OCR, timeout=300),
        _enrichment(StepName.OBJECTS, timeout=120),
        _enrichment(StepName.SCENES, timeout=120),
        _enrichment(StepName.SIMILAR, timeout=120),
        # Reads the original, not a picture: nothing to wait for but the probe. Checking the hard
        # binding hashes the whole file (a long video takes a while).
        _enrichment(StepName.CREDENTIALS, timeout=300, kinds=("image", "video", "audio"), after=()),
        # Reads the original's audio (decoded once, front to back). Whisper on one core runs at about
        # half real time: the queue's DAM_ENRICH_TIMEOUT bounds the step before this limit does.
        _enrichment(StepName.SPEECH, timeout=3600, kinds=("audio", "video"), after=()),
    )
}
FIRST = StepName.PROBE


def plan(info: MediaInfo | None, enabled: Container[str] | None = None) -> tuple[str, ...]:
    """The steps an asset needs: ``probe`` until its facts are known, then what its kind needs, of
    the ``enabled`` steps (all when None): a step turned off, or one whose prerequisite is, is never
    planned."""
    if info is None:
        return (FIRST,)
    chosen: list[str] = []
    for spec in STEPS.values():
        wanted = spec.name == FIRST or info.kind in spec.kinds
        allowed = enabled is None or spec.name in enabled
        if wanted and allowed and all(need in chosen for need in spec.needs):
            chosen.append(spec.name)
    return tuple(chosen)


def enabled_steps(disabled: tuple[str, ...], enrich: tuple[str, ...] = ENRICH_DEFAULT) -> frozenset[str]:
    """The steps a deployment runs: not those of ``DAM_STEPS_DISABLED``, and of the enrichment
    steps those ``DAM_ENRICH`` names (``enrich``); InvalidInput naming the valid names for a name no
    step has, or for the probe (every other step needs its facts)."""
    unknown = [name for name in disabled if name not in STEPS]
    if unknown:
        raise InvalidInput(f"unknown step(s) {unknown}; steps are {', '.join(STEPS)}")
    if FIRST in disabled:
        raise InvalidInput(f"{FIRST} cannot be disabled: every other step needs the facts it finds")
    return frozenset(
        name for name in STEPS if name not in disabled and (name not in ENRICH_KINDS or name in enrich)
    )


def enrich_kinds(names: tuple[str, ...]) -> tuple[str, ...]:
    """The kinds of enrichment ``DAM_ENRICH`` names (``none``: none), in their own order;
    InvalidInput naming the kinds for any other name."""
    if names == ("none",):
        return ()
    unknown = [name for name in names if name not in ENRICH_KINDS]
    if unknown:
        raise InvalidInput(f"unknown kind(s) {unknown}; kinds are {', '.join(ENRICH_KINDS)}, or none")
    return tuple(kind for kind in ENRICH_KINDS if kind in names)


def stale_after(*, background: bool) -> tuple[str, ...]:
    """The time-limit settings of the queues that run (non-)background steps: how long an asset's
    work may go without progress before the reconciler queues it again."""
    return tuple(
        dict.fromkeys(QUEUES[s.queue].time_limit for s in STEPS.values() if s.background is background)
    )


def in_background(name: str) -> bool:
    """Whether the asset is ready without this step (see the module's docstring)."""
    spec = STEPS.get(name)
    return spec is not None and spec.background


def runnable(states: Mapping[str, StepState], queue: str | None = None, *, resume: bool = False) -> list[str]:
    """Pending steps whose prerequisites are done (on ``queue`` only, when given), in plan order.

    ``resume`` adds running steps: a job that runs again after its worker died takes them over.
    """
    waiting = {StepState.PENDING, StepState.RUNNING} if resume else {StepState.PENDING}
    return [
        name
        for name, state in states.items()
        if state in waiting
        and all(states.get(need) is StepState.DONE for need in STEPS[name].needs)
        and all(states.get(first, StepState.DONE) is StepState.DONE for first in STEPS[name].after)
        and (queue is None or STEPS[name].queue == queue)
    ]


def queues_of(states: Mapping[str, StepState]) -> list[str]:
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


def chosen_steps(
    requested: list[str] | None, planned: tuple[str, ...], enabled: Container[str] | None = None
) -> tuple[str, ...]:
    """Which planned steps a reprocess request re-runs (all when none are named); of the
    ``enabled`` steps only (all when None): naming a disabled one is refused."""
    if not requested:
        return tuple(name for name in planned if enabled is None or name in enabled)
    unknown = [name for name in requested if name not in STEPS]
    if unknown:
        raise InvalidInput(f"unknown step(s) {unknown}; steps are {', '.join(STEPS)}")
    disabled = [name for name in requested if enabled is not None and name not in enabled]
    if disabled:
        raise InvalidInput(f"step(s) {disabled} are disabled in this deployment (DAM_STEPS_DISABLED)")
    missing = [name for name in requested if name not in planned]
    if missing:
        raise InvalidInput(
            f"step(s) {missing} are not part of this asset's processing ({', '.join(planned)})"
        )
    # A step's outputs are made from what the steps it needs found: those that need a rerun one
    # run again too (probe again, and the poster's corrected facts are corrected again).
    chosen = set(requested)
    for name in planned:
        spec = STEPS[name]
        upstream = (*spec.needs, *spec.after)
        if any(need in chosen for need in upstream) and (enabled is None or name in enabled):
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
