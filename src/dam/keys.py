"""Every Redis key the service uses, in one place (as arq keeps its own in ``arq/constants.py``).

- job queues (their specs in ``dam.domain.steps.QUEUES``): the media queue is ``DAM_QUEUE_NAME``
  itself (``dam:queue``); the others live beside it as ``<DAM_QUEUE_NAME>:<queue>``
  (``dam:queue:transcode``);
- arq's per-job keys (``arq:job:<id>``, ``arq:in-progress:<id>``, ``arq:result:<id>``,
  ``arq:retry:<id>``), named by arq;
- the storage events list ``DAM_EVENTS_KEY`` that MinIO appends to, and beside it the bridge's
  ``<key>:processing`` (taken, not yet acknowledged) and ``<key>:dead`` (unusable entries).
"""

from __future__ import annotations

import uuid

from arq.constants import in_progress_key_prefix, job_key_prefix, result_key_prefix, retry_key_prefix

from dam.domain.steps import QUEUES

__all__ = [
    "bridge_keys",
    "given_back_key",
    "in_progress_key_prefix",
    "job_id",
    "job_key_prefix",
    "login_failures_key",
    "queue_key",
    "result_key_prefix",
    "retry_key_prefix",
]


def queue_key(queue_name: str, queue: str) -> str:
    """The Redis key of one work queue, from the configured ``DAM_QUEUE_NAME``."""
    suffix = QUEUES[queue].suffix
    return f"{queue_name}:{suffix}" if suffix else queue_name


def job_id(queue: str, asset_id: uuid.UUID, etag: str, rerun: str = "") -> str:
    """Same asset, same bytes, same queue -> same job id, so duplicate triggers collapse.

    ``rerun`` names a deliberate new run (reprocess, a dead worker's job, a lost result): the first
    job's id stays taken by its kept result, so a rerun needs an id of its own, the same for every
    trigger of that one rerun.
    """
    base = f"{QUEUES[queue].prefix}:{asset_id}:{etag}"
    return f"{base}:{rerun}" if rerun else base


def given_back_key(queue_name: str, runner: str) -> str:
    """The mark a job leaves when it gives its steps back after a dependency fault, read (and
    removed) by its next try: ``<DAM_QUEUE_NAME>:given-back:<job id>``."""
    return f"{queue_name}:given-back:{runner}"


def bridge_keys(events_key: str) -> tuple[str, str]:
    """The processing and dead-letter lists beside the events list."""
    return f"{events_key}:processing", f"{events_key}:dead"


def login_failures_key(queue_name: str, kind: str, ident: str) -> str:
    """The sorted set of recent failed sign-ins of one account or one client address (shared by
    every API process), beside the queue: ``<DAM_QUEUE_NAME>:login:<kind>:<ident>``."""
    return f"{queue_name}:login:{kind}:{ident}"
