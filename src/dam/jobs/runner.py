"""What a step's runner is: a function of a ``StepContext`` and the asset, returning typed outputs.

The context carries the process's resources and the tools the queue's worker opened once at
start-up (a loaded model, a decoder pool: none today), so a runner never opens them per job.
"""

from __future__ import annotations

import dataclasses
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


Runner = Callable[[StepContext, Asset], Awaitable[StepResult]]
