"""Keep the test processes under the ordinary scheduler.

On this machine the test process has been seen running under SCHED_FIFO at priority 99, put there
from outside (its parent `make` was not). Every process it starts inherits that; headless Chromium's
zygotes then spin at real-time priority and starve everything else on two cores, until a fixture's
teardown times out. Tests put the process tree back on SCHED_OTHER before each test.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def ordinary_scheduling() -> int:
    """Move this process and its descendants (every thread) off real-time policies; how many moved."""
    if not hasattr(os, "sched_setscheduler"):
        return 0
    moved = 0
    for pid in _tree(os.getpid()):
        for task in _tasks(pid):
            with contextlib.suppress(OSError):
                if os.sched_getscheduler(task) in {os.SCHED_FIFO, os.SCHED_RR}:
                    os.sched_setscheduler(task, os.SCHED_OTHER, os.sched_param(0))
                    moved += 1
    return moved


def _tasks(pid: int) -> list[int]:
    with contextlib.suppress(OSError):
        return [int(task.name) for task in Path(f"/proc/{pid}/task").iterdir()]
    return []


def _tree(root: int) -> list[int]:
    """``root`` and every process below it, from /proc's parent ids."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found
