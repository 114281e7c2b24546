"""The registry of steps and queues: every queue's settings exist, plans follow the enabled steps,
and a deployment cannot turn off a step that does not exist."""

from __future__ import annotations

import pytest

from dam.domain.errors import InvalidInput
from dam.domain.media import MediaInfo
from dam.domain.steps import QUEUES, STEPS, StepName, chosen_steps, enabled_steps, plan
from dam.jobs.registry import RUNNERS
from dam.settings import ENV_VARS, SettingsError, concurrency, load_settings, time_limit

pytestmark = pytest.mark.unit


def test_every_queue_reads_settings_that_exist() -> None:
    settings = load_settings({})
    for name, spec in QUEUES.items():
        assert spec.concurrency in ENV_VARS, name
        assert spec.time_limit in ENV_VARS, name
        assert concurrency(settings, name) >= 1
        assert time_limit(settings, name) >= 1
    assert time_limit(load_settings({"DAM_TRANSCODE_TIMEOUT": "77"}), "transcode") == 77
    assert concurrency(load_settings({"DAM_WORKER_CONCURRENCY": "5"}), "media") == 5


def test_every_step_has_a_runner_and_a_known_queue() -> None:
    assert set(RUNNERS) == set(STEPS) == {s.value for s in StepName}
    assert all(spec.queue in QUEUES for spec in STEPS.values())


def test_a_disabled_step_is_not_planned() -> None:
    enabled = enabled_steps(("waveform",))
    assert plan(MediaInfo(kind="audio"), enabled) == ("probe", "ladder", "credentials")
    assert plan(MediaInfo(kind="video"), enabled_steps(("storyboard", "ladder"), enrich=())) == (
        "probe",
        "poster",
    )
    assert plan(None, enabled) == ("probe",)


def test_reprocess_refuses_a_disabled_step() -> None:
    enabled = enabled_steps(("waveform",))
    with pytest.raises(InvalidInput, match="disabled in this deployment"):
        chosen_steps(["waveform"], ("probe", "waveform", "ladder"), enabled)
    # What needs a rerun step runs again, unless it is disabled.
    assert chosen_steps(["probe"], ("probe", "waveform", "ladder"), enabled) == ("probe", "ladder")


@pytest.mark.parametrize(
    ("value", "says"),
    [
        pytest.param("waveform,thumbnails", "unknown step(s) ['thumbnails']", id="unknown"),
        pytest.param("probe", "probe cannot be disabled", id="probe"),
    ],
)
def test_steps_disabled_is_checked_at_start_up(value: str, says: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"DAM_STEPS_DISABLED": value})
    assert "DAM_STEPS_DISABLED" in str(refused.value)
    assert says in str(refused.value)
    if "unknown" in says:
        assert ", ".join(STEPS) in str(refused.value)  # it names the valid ones


def test_steps_disabled_reads_a_list() -> None:
    settings = load_settings({"DAM_STEPS_DISABLED": " waveform , storyboard "})
    assert settings.worker.steps_disabled == ("waveform", "storyboard")
    assert load_settings({}).worker.steps_disabled == ()
