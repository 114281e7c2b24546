"""Which runner does each step, and what each queue's workers open once at start-up.

With the specs of ``dam.domain.steps`` (``QUEUES``, ``STEPS``) this is the whole registry: a new step
is a spec there and a runner here; a new queue a spec there (and, if its runners need a model or a
decoder pool, an opener here). Workers, the enqueue function, the reconciler, the job and the
dashboard read the tables; none names a queue or a step itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager

from dam.domain.steps import Queue, StepName
from dam.jobs import steps
from dam.jobs.enrich import (
    credentials_step,
    objects_step,
    ocr_step,
    open_models,
    scenes_step,
    similar_step,
    speech_step,
)
from dam.jobs.runner import Runner
from dam.jobs.storyboard import storyboard_step
from dam.jobs.stream import ladder_step
from dam.resources import Resources

RUNNERS: dict[str, Runner] = {
    StepName.PROBE: steps.probe,
    StepName.STILLS: steps.stills,
    StepName.POSTER: steps.poster,
    StepName.WAVEFORM: steps.waveform,
    StepName.STORYBOARD: storyboard_step,
    StepName.LADDER: ladder_step,
    StepName.OCR: ocr_step,
    StepName.OBJECTS: objects_step,
    StepName.SCENES: scenes_step,
    StepName.SIMILAR: similar_step,
    StepName.CREDENTIALS: credentials_step,
    StepName.SPEECH: speech_step,
}

Tools = Mapping[str, object]
# Queue name -> what its workers open once at start-up and close on shutdown (a loaded model...),
# handed to every runner of that queue in ``StepContext.tools``. Queues not listed open nothing.
TOOLS: dict[str, Callable[[Resources], AbstractAsyncContextManager[Tools]]] = {
    Queue.ENRICH: open_models,
}


@contextlib.asynccontextmanager
async def open_tools(resources: Resources, queue: str) -> AsyncIterator[Tools]:
    """The tools of ``queue``'s runners, open until the context ends."""
    opener = TOOLS.get(queue)
    if opener is None:
        yield {}
        return
    async with opener(resources) as tools:
        yield tools
