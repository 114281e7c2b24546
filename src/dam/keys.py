"""Every Redis key the service uses, in one place (as arq keeps its own in ``arq/constants.py``).

- job queues (their specs in ``dam.domain.steps.QUEUES``): the media queue is ``DAM_QUEUE_NAME``
  itself (``dam:queue``); the others live beside it as ``<DAM_QUEUE_NAME>:<queue>``
  (``dam:queue:transcode``);
- beside each queue, ``<queue key>:wake``: a short list an enqueue pushes to, so an idle worker of
  that queue looks at it at once instead of at its next poll;
- arq's per-job keys (``arq:job:<id>``, ``arq:in-progress:<id>``, ``arq:result:<id>``,
  ``arq:retry:<id>``), named by arq;
- beside the queue, ``<DAM_QUEUE_NAME>:login:...`` (failed sign-ins), ``<DAM_QUEUE_NAME>:upload-rate:...``
  (assets an upload token created per address) and ``<DAM_QUEUE_NAME>:form-sweep`` (the lease of the
  worker sweeping form uploads);
- the storage events list ``DAM_EVENTS_KEY`` that MinIO appends to, and beside it the bridge's
  ``<key>:processing`` (taken, not yet acknowledged) and ``<key>:dead`` (unusable entries);
- the rate limits beside the queue: attempts at a password (``<queue>:login:...``), the lock of
  the one password check of an account or link at a time (``<queue>:login:checking:...``),
  anonymous writes per address (``<queue>:rate:...``), and the share-link opens already recorded
  this hour (``<queue>:share-open:...``).
"""

from __future__ import annotations

import uuid

from arq.constants import in_progress_key_prefix, job_key_prefix, result_key_prefix, retry_key_prefix

from dam.domain.steps import QUEUES

__all__ = [
    "bridge_keys",
    "checking_key",
    "form_sweep_key",
    "given_back_key",
    "in_progress_key_prefix",
    "job_id",
    "job_key_prefix",
    "login_failures_key",
    "queue_key",
    "rate_key",
    "result_key_prefix",
    "retry_key_prefix",
    "share_open_key",
    "upload_rate_key",
    "wake_channel",
    "wake_key",
]


def queue_key(queue_name: str, queue: str) -> str:
    """The Redis key of one work queue, from the configured ``DAM_QUEUE_NAME``."""
    suffix = QUEUES[queue].suffix
    return f"{queue_name}:{suffix}" if suffix else queue_name


def wake_key(queue_key: str) -> str:
    """The list an enqueue pushes to so that an idle worker of the queue (arq's key ``queue_key``)
    polls it at once."""
    return f"{queue_key}:wake"


def wake_channel(queue_key: str) -> str:
    """The Pub/Sub channel an enqueue publishes on too: for whoever must know at once that the queue
    has work without taking a wake-up from its workers (the enrich worker's governor)."""
    return f"{queue_key}:queued"


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
    """The sorted set of recent attempts at a password (a sign-in, a password change, a share link's
    password) of one account, link or client address (shared by every API process), beside the
    queue: ``<DAM_QUEUE_NAME>:login:<kind>:<ident>``."""
    return f"{queue_name}:login:{kind}:{ident}"


def upload_rate_key(queue_name: str, token_id: str, address: str) -> str:
    """The sorted set of the assets one upload token created from one client address within the
    last minute (shared by every API process): ``<DAM_QUEUE_NAME>:upload-rate:<token>:<address>``."""
    return f"{queue_name}:upload-rate:{token_id}:{address}"


def form_sweep_key(queue_name: str) -> str:
    """The lease a media worker holds while it sweeps form uploads (one sweep at a time)."""
    return f"{queue_name}:form-sweep"


def checking_key(queue_name: str, ident: str) -> str:
    """The lock held while one password of an account (or a share link) is being checked."""
    return f"{queue_name}:login:checking:{ident}"


def rate_key(queue_name: str, kind: str, ident: str) -> str:
    """The sorted set of one client address's recent anonymous writes of a kind (``share-open``,
    ``sso-start``): ``<DAM_QUEUE_NAME>:rate:<kind>:<address>``."""
    return f"{queue_name}:rate:{kind}:{ident}"


def share_open_key(queue_name: str, share_id: str, visitor: str) -> str:
    """Present while a visitor's open of a share link this hour is recorded already."""
    return f"{queue_name}:share-open:{share_id}:{visitor}"
