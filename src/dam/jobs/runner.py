"""What a step's runner is: a function of a ``StepContext`` and the asset, returning typed outputs.

The context carries the process's resources and the tools the queue's worker opened once at
start-up (a loaded model, a decoder pool: none today), so a runner never opens them per job.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping

from dam.domain.assets import Asset
from dam.domain.outputs import StepResult
from dam.resources import Resources


@dataclasses.dataclass(frozen=True, kw_only=True)
class StepContext:
    """What a runner gets besides the asset."""

    resources: Resources
    queue: str
    tools: Mapping[str, object] = dataclasses.field(default_factory=dict)
    held: OrderedDict[int, bytes] = dataclasses.field(default_factory=OrderedDict)
    """The asset's original when it is small, read whole by the job's first step that reads it and
    kept for its next steps (``jobs.steps.reader``): at most ``SMALL_ORIGINAL`` bytes per job."""
    decoded: dict[str, object] = dataclasses.field(default_factory=dict)
    """Pictures a step decoded, by rendition key, for the job's next steps (the enrich queue's steps
    all read the asset's preview: decoded once per job, not once per model)."""


Runner = Callable[[StepContext, Asset], Awaitable[StepResult]]
