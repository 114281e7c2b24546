"""The form-upload watch looks again soon, then less often, never more than 10 s apart."""

from __future__ import annotations

import itertools

from dam.jobs.watch import MAX_DELAY, next_look


def test_looks_grow_from_half_a_second_to_the_cap() -> None:
    delays = [next_look(n) for n in range(1, 30)]
    assert delays[0] == 0.5
    assert all(a <= b for a, b in itertools.pairwise(delays))
    assert max(delays) == MAX_DELAY
    assert sum(delays[:3]) < 3  # a form that lands at once is seen within seconds of the first look
