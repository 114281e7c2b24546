"""The enrich worker gives way to ingest: ``dam worker --queue enrich`` runs the worker as a child
process and stops it (SIGSTOP) while the media queue has a job due or running, then lets it go on
(SIGCONT) the moment that queue is empty.

Why a whole process, stopped: the models run at the lowest CPU priority already, yet on a machine of
two cores a model running flat out still slows the media queue's jobs by 15-25% (shared caches,
memory bandwidth, the host's hyperthreads); only not running beside them avoids it. A thread cannot
be stopped from outside, and a model's call cannot be interrupted: the process is.

Bounded both ways, so enrichment never starves under a steady ingest: the worker is stopped for
``MAX_PAUSE`` seconds at most in a row, then runs ``MIN_RUN`` seconds before it may be stopped again
(at least a fifth of the time). A job's time limit counts the pauses (``DAM_ENRICH_TIMEOUT``).

The child dies with this process (``PR_SET_PDEATHSIG``): a governor killed outright never leaves a
worker stopped forever; its jobs run again, as a killed worker's do. SIGTERM and SIGINT are passed
on (the worker continued first, so it can end its jobs).

``DAM_ENRICH_YIELD=false`` runs the worker without it: where enrich workers have machines of their
own (Kubernetes), a busy media queue elsewhere is no reason to wait.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from types import FrameType
from typing import cast

import redis
from redis.client import PubSub
from redis.exceptions import RedisError

from dam import keys
from dam.domain.steps import Queue
from dam.settings import Settings

log = logging.getLogger(__name__)

GOVERNED = "DAM_ENRICH_GOVERNED"  # set in the child: it is the worker, not another governor
POLL = 0.02  # seconds between looks at the media queue
MAX_PAUSE = 2.0  # seconds stopped at most in a row
MIN_RUN = 0.5  # seconds running after a pause that lasted MAX_PAUSE
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before it runs: SIGKILL it when its parent (the governor) ends."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class Gate:
    """When the worker may run: stopped while ``busy()``, within the bounds above. ``clock`` and
    ``busy`` are given, so the rule is tested without processes."""

    def __init__(self, busy: Callable[[], bool], clock: Callable[[], float] = time.monotonic) -> None:
        self.busy = busy
        self.clock = clock
        self.stopped_since: float | None = None
        self.run_until = 0.0

    def step(self) -> bool | None:
        """One look: True to stop the worker now, False to continue it now, None to leave it."""
        try:
            busy = self.busy()
        except (RedisError, OSError) as exc:  # Redis away: the worker finds out itself; never hold it
            log.debug("the media queue could not be read: %s", exc)
            busy = False
        now = self.clock()
        if self.stopped_since is None:
            if busy and now >= self.run_until:
                self.stopped_since = now
                return True
            return None
        if not busy:
            self.stopped_since = None
            return False
        if now - self.stopped_since >= MAX_PAUSE:
            self.stopped_since = None
            self.run_until = now + MIN_RUN
            return False
        return None


class MediaQueue:
    """The media queue as the governor watches it: whether it has a job due or running (arq keeps a
    job in its queue's sorted set, scored by when it is due, until it finishes), and a wait that
    ends early when a job is queued (the enqueue's publish, ``keys.wake_channel``)."""

    def __init__(self, settings: Settings) -> None:
        self.client = redis.Redis.from_url(settings.redis.url, socket_timeout=1, socket_connect_timeout=1)
        self.key = keys.queue_key(settings.redis.queue_name, Queue.MEDIA)
        self.channel = keys.wake_channel(self.key)
        self._news: PubSub | None = None

    def busy(self) -> bool:
        """A job due or running."""
        due = self.client.zcount(self.key, "-inf", int(time.time() * 1000))
        return int(cast(int, due)) > 0

    def wait(self, seconds: float) -> None:
        """Up to ``seconds``, less when a job is queued meanwhile."""
        try:
            if self._news is None:
                self._news = self.client.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
                self._news.subscribe(self.channel)
            self._news.get_message(timeout=seconds)
        except (RedisError, OSError):
            self._news = None  # subscribed again at the next wait
            time.sleep(seconds)


def govern(argv: Sequence[str], settings: Settings) -> int:
    """Run ``argv`` (the worker) as a child, stopped while the media queue is busy; its exit code."""
    child = subprocess.Popen(list(argv), env={**os.environ, GOVERNED: "1"}, preexec_fn=_die_with_parent)

    def pass_on(signum: int, _frame: FrameType | None) -> None:
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signal.SIGCONT)
            child.send_signal(signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, pass_on)
    media = MediaQueue(settings)
    gate = Gate(media.busy)
    stopped = False
    while child.poll() is None:
        decided = gate.step()
        if decided is not None and decided != stopped:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGSTOP if decided else signal.SIGCONT)
            stopped = decided
        media.wait(POLL)
    code = child.returncode
    return 128 - code if code < 0 else code  # ended by a signal: as a shell reports it


def governed() -> bool:
    """Whether this process is the worker a governor runs."""
    return os.environ.get(GOVERNED) == "1"


def worker_argv() -> list[str]:
    """This process's own command line, to run the worker under the governor."""
    return [sys.executable, *sys.orig_argv[1:]]
