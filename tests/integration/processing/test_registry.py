"""The registry of steps and queues: a queue and a step added at test time run with no other edit;
steps a deployment turns off are never planned and cannot be reprocessed."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from dam.domain.assets import Asset, Rendition
from dam.domain.outputs import Renditions, StepResult
from dam.domain.steps import QUEUES, STEPS, QueueSpec, StepSpec
from dam.jobs import registry
from dam.jobs.runner import StepContext
from dam.resources import Resources
from dam.settings import Settings
from tests.support import media
from tests.support.accounts import client_of
from tests.support.flows import ingest, json_of


def steps_of(asset: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in asset["steps"]}


async def test_a_third_queue_and_its_step_need_only_the_registry(
    monkeypatch: pytest.MonkeyPatch,
    make_settings: Callable[..., Settings],
    api_key: str,
    http: httpx.AsyncClient,
    run_jobs: Any,
) -> None:
    # A queue of its own (its settings are the media queue's), a step on it for images, its runner,
    # and a tool its worker opens once: nothing else in the code base changes.
    queue = QueueSpec(
        name="enrich",
        function="enrich_asset",
        concurrency="DAM_WORKER_CONCURRENCY",
        time_limit="DAM_JOB_TIMEOUT",
    )
    step = StepSpec(name="label", queue="enrich", timeout=60, needs=("probe",), kinds=("image",))
    opened: list[str] = []
    seen: list[object] = []

    @contextlib.asynccontextmanager
    async def tools(resources: Resources) -> AsyncIterator[dict[str, object]]:
        opened.append("open")
        yield {"model": "a loaded model"}
        opened.append("close")

    async def label(context: StepContext, asset: Asset) -> StepResult:
        seen.append(context.tools["model"])
        assert context.queue == "enrich"
        assert asset.media is not None
        assert asset.media.kind == "image"
        key = f"renditions/{asset.id}/label.txt"
        await context.resources.storage.put(key, b"a photo", "text/plain")
        made = Rendition(
            kind="label", storage_key=key, content_type="text/plain", width=None, height=None, bytes=7
        )
        return StepResult(outputs=[Renditions(items=[made])])

    monkeypatch.setitem(QUEUES, queue.name, queue)
    monkeypatch.setitem(STEPS, step.name, step)
    monkeypatch.setitem(registry.RUNNERS, step.name, label)
    monkeypatch.setitem(registry.TOOLS, queue.name, tools)

    settings = make_settings()
    async with client_of(settings, api_key) as api:
        asset_id = await ingest(api, http, media.jpeg_with_exif(), "labelled.jpg", "image/jpeg")
        await run_jobs(settings=settings)  # the media queue: probe, stills; then hands over to enrich
        waiting = json_of(await api.get(f"/assets/{asset_id}"))
        assert waiting["status"] == "processing"  # not background: the asset waits for its label
        assert [(s["name"], s["state"]) for s in waiting["steps"]] == [
            ("probe", "done"),
            ("stills", "done"),
            ("label", "pending"),
        ]
        assert opened == []
        await run_jobs(settings=settings, queue="enrich")
        asset = json_of(await api.get(f"/assets/{asset_id}"))
    assert asset["status"] == "ready", asset["error"]
    assert steps_of(asset)["label"]["state"] == "done"
    assert steps_of(asset)["label"]["attempts"] == 1
    assert {r["kind"] for r in asset["renditions"]} == {"preview", "thumbnail", "label"}
    assert opened == ["open", "close"]  # once for the worker, not per job
    assert seen == ["a loaded model"]


async def test_a_disabled_step_is_never_planned_and_cannot_be_reprocessed(
    make_settings: Callable[..., Settings], api_key: str, http: httpx.AsyncClient, run_jobs: Any
) -> None:
    settings = make_settings(DAM_STEPS_DISABLED="waveform")
    async with client_of(settings, api_key) as api:
        asset_id = await ingest(api, http, media.audio_file("wav", "pcm_s16le"), "tone.wav", "audio/wav")
        await run_jobs(settings=settings)
        asset = json_of(await api.get(f"/assets/{asset_id}"))
        assert asset["status"] == "ready", asset["error"]
        assert "waveform" not in steps_of(asset)
        assert [s["name"] for s in asset["steps"]] == ["probe", "ladder"]
        assert not [r for r in asset["renditions"] if r["kind"] in {"waveform", "peaks"}]

        refused = await api.post(f"/assets/{asset_id}/reprocess", json={"steps": ["waveform"]})
        assert refused.status_code == 422, refused.text
        assert "disabled" in json_of(refused)["detail"]
        assert "DAM_STEPS_DISABLED" in json_of(refused)["detail"]
        # The steps it does run can still be reprocessed.
        again = await api.post(f"/assets/{asset_id}/reprocess", json={"steps": ["probe"]})
        assert again.status_code == 202, again.text
        await run_jobs(settings=settings)
        asset = json_of(await api.get(f"/assets/{asset_id}"))
    assert asset["status"] == "ready", asset["error"]
    assert "waveform" not in steps_of(asset)
