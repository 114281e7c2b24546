"""The shape of ``harness.yaml``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import msgspec

Action = Literal[
    "wait_health", "health", "ready", "create", "upload", "complete", "wait_ready", "metadata", "download",
    "renditions", "stream",
]  # fmt: skip


class Deadlines(msgspec.Struct, forbid_unknown_fields=True):
    """Seconds allowed for each kind of wait."""

    startup: float = 90
    request: float = 20
    processing: float = 120
    stream: float = 300  # until a video's adaptive stream is ready (the ladder runs after the asset is)


class Sample(msgspec.Struct, forbid_unknown_fields=True):
    """A media file the harness makes and uploads."""

    kind: Literal["image", "video"]
    filename: str
    content_type: str


class Step(msgspec.Struct, forbid_unknown_fields=True):
    """One check."""

    name: str
    action: Action
    sample: str | None = None
    dependencies: list[str] = msgspec.field(default_factory=list)
    expect: dict[str, Any] = msgspec.field(default_factory=dict)
    kinds: list[str] = msgspec.field(default_factory=list)


class Spec(msgspec.Struct, forbid_unknown_fields=True):
    """The whole file."""

    steps: list[Step]
    base_url: str = "http://127.0.0.1:8000"
    deadlines: Deadlines = msgspec.field(default_factory=Deadlines)
    samples: dict[str, Sample] = msgspec.field(default_factory=dict)


def load_spec(path: Path) -> Spec:
    """Read and check a harness file; unknown steps, actions or samples are errors."""
    spec = msgspec.yaml.decode(path.read_bytes(), type=Spec)
    for step in spec.steps:
        if step.sample is not None and step.sample not in spec.samples:
            raise ValueError(f"step {step.name!r} names an unknown sample {step.sample!r}")
    return spec
