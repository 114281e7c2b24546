"""Watch jobs of an earlier release: one polling job per form upload on the media queue, now
replaced by the form sweep (``jobs/forms.py``). A watch still queued when the workers are upgraded
ends at once; the sweep looks for its object."""

from __future__ import annotations

from typing import Any


async def watch_upload(ctx: dict[str, Any], asset_id: str, until: float) -> str:
    """Nothing left to do: the form sweep completes the upload."""
    return "swept"
