"""The step plan and the status guards: pure decisions, checked against the transition table."""

from __future__ import annotations

import inspect
import re

import pytest

from dam.db import assets as db_assets
from dam.db import steps as db_steps
from dam.domain.errors import InvalidInput
from dam.domain.media import MediaInfo
from dam.domain.status import TRANSITIONS, AssetStatus, can_transition, move
from dam.domain.steps import STEPS, Queue, StepState, chosen_steps, outcome, plan, runnable

P, R, D, F = StepState.PENDING, StepState.RUNNING, StepState.DONE, StepState.FAILED


@pytest.mark.parametrize(
    ("kind", "steps"),
    [
        pytest.param(
            "image", ("probe", "stills", "ocr", "objects", "scenes", "similar", "credentials"), id="image"
        ),
        pytest.param(
            "video",
            (
                "probe",
                "poster",
                "storyboard",
                "ladder",
                "ocr",
                "objects",
                "scenes",
                "similar",
                "credentials",
                "speech",
            ),
            id="video",
        ),
        pytest.param("audio", ("probe", "waveform", "ladder", "credentials", "speech"), id="audio"),
    ],
)
def test_plan_follows_the_probe(kind: str, steps: tuple[str, ...]) -> None:
    assert plan(None) == ("probe",)
    assert plan(MediaInfo(kind=kind)) == steps  # type: ignore[arg-type]


def test_every_step_has_a_queue_and_a_time_limit() -> None:
    for spec in STEPS.values():
        assert spec.queue in set(Queue)
        assert spec.timeout > 0
        assert all(need in STEPS for need in spec.needs)


def test_runnable_waits_for_prerequisites() -> None:
    assert runnable({"probe": P}) == ["probe"]
    assert runnable({"probe": R, "stills": P}) == []
    assert runnable({"probe": R, "stills": P}, resume=True) == ["probe"]
    assert runnable({"probe": D, "stills": P}, Queue.MEDIA) == ["stills"]
    assert runnable({"probe": D, "stills": D}) == []


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        pytest.param({"probe": D, "stills": D}, AssetStatus.READY, id="all-done"),
        pytest.param({"probe": D, "stills": R}, None, id="one-running"),
        pytest.param({"probe": D, "stills": F}, AssetStatus.FAILED, id="one-failed"),
        pytest.param({}, None, id="nothing-planned"),
        pytest.param({"probe": D, "poster": D, "ladder": R}, AssetStatus.READY, id="ready-while-streaming"),
        pytest.param(
            {"probe": D, "poster": D, "ladder": F}, AssetStatus.READY, id="stream-failure-is-its-own"
        ),
        pytest.param({"probe": D, "poster": F, "ladder": P}, AssetStatus.FAILED, id="failed-media-step"),
    ],
)
def test_outcome(states: dict[str, StepState], expected: AssetStatus | None) -> None:
    assert outcome(states) is expected


def test_reprocess_chooses_planned_steps_only() -> None:
    planned = ("probe", "stills")
    assert chosen_steps(None, planned) == planned
    assert chosen_steps(["stills"], planned) == ("stills",)
    assert chosen_steps(["probe"], planned) == planned  # what needs the probe runs again too
    with pytest.raises(InvalidInput, match="unknown step"):
        chosen_steps(["transcode"], planned)
    with pytest.raises(InvalidInput, match="not part of this asset"):
        chosen_steps(["poster"], planned)


def test_move_refuses_what_the_table_forbids() -> None:
    with pytest.raises(ValueError, match="not in the transition table"):
        move(AssetStatus.PROCESSING, sources={AssetStatus.PROCESSING})
    with pytest.raises(ValueError, match="not in the transition table"):
        move(AssetStatus.PENDING_UPLOAD)


def test_every_guarded_move_in_db_agrees_with_the_table() -> None:
    assert db_assets.MOVES, "db/assets.py declares the moves it makes"
    for function, moves in db_assets.MOVES.items():
        assert callable(getattr(db_assets, function)), function
        for guard in moves:
            for source in guard.sources:
                assert can_transition(source, guard.target), (function, source, guard.target)
    # Every (source, target) pair the table allows is reachable through some function.
    reachable = {(s, m.target) for moves in db_assets.MOVES.values() for m in moves for s in m.sources}
    assert reachable == {(s, t) for s, targets in TRANSITIONS.items() for t in targets}


STATUS_LITERAL = re.compile(r"'(" + "|".join(s.value for s in AssetStatus) + r")'")


@pytest.mark.parametrize("module", [db_assets, db_steps], ids=lambda m: m.__name__)
def test_no_sql_in_db_names_a_status_itself(module: object) -> None:
    source = inspect.getsource(module)  # type: ignore[arg-type]
    assert not STATUS_LITERAL.findall(source), "statuses come from AssetStatus and the moves, not literals"
