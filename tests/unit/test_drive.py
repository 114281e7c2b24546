"""``jobs.steps.drive``: one item of lookahead, and the generator always closed, never while it runs."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Generator

import pytest

from dam.jobs.steps import drive


class Made:
    """A generator of numbers that records what happened to it."""

    def __init__(self, count: int, gate: threading.Event | None = None) -> None:
        self.count = count
        self.gate = gate  # each item after the first waits for it
        self.made: list[int] = []
        self.closed = threading.Event()
        self.making = threading.Event()

    def items(self) -> Generator[int, None, str]:
        try:
            for n in range(self.count):
                if n and self.gate is not None:
                    self.making.set()
                    assert self.gate.wait(10)
                self.made.append(n)
                yield n
            return "done"
        finally:
            self.closed.set()


async def test_drive_makes_the_next_item_while_one_is_stored() -> None:
    made = Made(3)
    stored: list[tuple[int, list[int]]] = []
    seen_ahead = asyncio.Event()

    async def store(n: int) -> None:
        if n == 0:
            for _ in range(1000):  # the thread makes item 1 meanwhile
                if len(made.made) > 1:
                    seen_ahead.set()
                    break
                await asyncio.sleep(0.005)
        stored.append((n, list(made.made)))

    assert await drive(made.items(), store) == "done"
    assert [n for n, _ in stored] == [0, 1, 2]
    assert seen_ahead.is_set()
    assert all(len(at) <= n + 2 for n, at in stored)  # never more than one item ahead
    assert made.closed.is_set()


async def test_a_failed_store_closes_the_generator_once_its_thread_is_done() -> None:
    gate = threading.Event()
    made = Made(5, gate)

    async def store(n: int) -> None:
        await asyncio.to_thread(made.making.wait, 10)  # the thread is making item 1
        raise RuntimeError("storage broke")

    with pytest.raises(RuntimeError, match="storage broke"):
        await drive(made.items(), store)
    assert not made.closed.is_set()  # not closed under the running thread
    gate.set()
    assert await asyncio.to_thread(made.closed.wait, 10)  # closed by it, once item 1 was made
    assert made.made == [0, 1]


async def test_a_cancelled_drive_closes_the_generator_once_its_thread_is_done() -> None:
    gate = threading.Event()
    made = Made(5, gate)

    async def store(n: int) -> None:
        return None

    task = asyncio.create_task(drive(made.items(), store))
    assert await asyncio.to_thread(made.making.wait, 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not made.closed.is_set()
    gate.set()
    assert await asyncio.to_thread(made.closed.wait, 10)
    assert made.made == [0, 1]


async def test_an_item_that_fails_after_its_job_gave_up_leaves_no_unretrieved_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gate = threading.Event()
    made = Made(5, gate)

    def items() -> Generator[int, None, str]:
        yield 0
        made.making.set()
        assert gate.wait(10)
        raise ValueError("corrupt")  # as a decoder does: MediaRejected in the thread, nobody to hear it

    closed = threading.Event()

    def tracked() -> Generator[int, None, str]:
        try:
            return (yield from items())
        finally:
            closed.set()

    async def store(n: int) -> None:
        await asyncio.to_thread(made.making.wait, 10)
        raise RuntimeError("storage broke")

    with pytest.raises(RuntimeError, match="storage broke"):
        await drive(tracked(), store)
    gate.set()
    assert await asyncio.to_thread(closed.wait, 10)
    deadline = time.monotonic() + 10
    while len(asyncio.all_tasks()) > 1:  # until the thread's outcome has reached the loop
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    gc.collect()
    assert "never retrieved" not in caplog.text
