"""The pure rules of collections: where moved members go, and the ids one call may name."""

from __future__ import annotations

import uuid

import pytest

from dam.domain.collections import GAP, MAX_IDS, clean_ids, clean_name, plan_move
from dam.domain.errors import InvalidInput


@pytest.mark.parametrize(
    ("previous", "following", "count", "expected"),
    [
        pytest.param(0, None, 2, [GAP, 2 * GAP], id="to-the-end-of-an-empty-collection"),
        pytest.param(GAP, 2 * GAP, 1, [GAP + GAP // 2], id="halfway-between-two"),
        pytest.param(0, 4, 3, [1, 2, 3], id="exactly-enough-room"),
        pytest.param(0, 4, 4, None, id="no-room-left"),
        pytest.param(5, 6, 1, None, id="neighbours"),
    ],
)
def test_plan_move_spreads_members_between_neighbours(
    previous: int, following: int | None, count: int, expected: list[int] | None
) -> None:
    assert plan_move(previous, following, count) == expected


def test_plan_move_after_a_renumbering_always_has_room_for_a_full_call() -> None:
    planned = plan_move(GAP, 2 * GAP, MAX_IDS)
    assert planned is not None
    assert len(set(planned)) == MAX_IDS
    assert min(planned) > GAP
    assert max(planned) < 2 * GAP


def test_clean_ids_keeps_the_first_of_each_and_refuses_past_the_limit() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    assert clean_ids([a, b, a]) == [a, b]
    with pytest.raises(InvalidInput, match="at most 1000"):
        clean_ids([uuid.uuid4() for _ in range(MAX_IDS + 1)])
    with pytest.raises(InvalidInput, match="at least one"):
        clean_ids([])


@pytest.mark.parametrize("name", ["  ", "a\x00b", "tab\there", "x" * 201])
def test_clean_name_refuses(name: str) -> None:
    with pytest.raises(InvalidInput):
        clean_name(name)
