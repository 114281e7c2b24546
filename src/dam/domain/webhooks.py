"""Webhooks as the Standard Webhooks specification has them (https://www.standardwebhooks.com/):
the events a workspace's endpoints can take, their signing secrets and signatures, the retry
schedule, and which addresses an endpoint may never reach.

A secret is ``whsec_`` and the base64 of 32 random bytes; those bytes are the HMAC-SHA256 key. A
message is signed over ``{webhook-id}.{webhook-timestamp}.{body}`` and the signature sent as
``v1,<base64>`` in ``webhook-signature`` (two, space-separated, while a rotated secret's grace lasts).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import random
import secrets
import uuid
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import msgspec

from dam.domain.assets import Asset
from dam.domain.errors import InvalidInput

EVENTS = (
    "asset.created", "asset.uploaded", "asset.ready", "asset.failed", "asset.updated",
    "asset.version_ready", "asset.trashed", "asset.restored", "asset.purged", "stream.ready",
    "share.created", "share.revoked", "collection.changed", "enrichment.done",
)  # fmt: skip
TEST_EVENT = "webhook.test"  # POST /webhooks/{id}/test: to that endpoint alone, whatever it takes
SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SECRET_BYTES = 32
ROTATION_GRACE = 24 * 3600  # seconds the previous secret keeps signing beside the new one
TIMEOUT = 10.0  # seconds for a whole delivery
MAX_BODY = 64 * 1024  # bytes of an answer read at most
KEPT_BODY = 1024  # bytes of an answer kept with its attempt
GIVE_UP = 3 * 86400  # seconds after its first attempt a delivery is retried at most
DISABLE_AFTER = 5 * 86400  # seconds an endpoint may fail in a row before it is disabled
DEFAULT_SCHEDULE = (5.0, 30.0, 120.0, 600.0, 1800.0, 7200.0, 21600.0)  # then every 6 h
JITTER = 0.1  # each wait moves by up to this fraction, either way
MAX_URL = 2048
# The metadata service of the clouds (also link-local, 169.254.0.0/16; named for the message).
METADATA = frozenset(ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200"))


class Endpoint(msgspec.Struct, frozen=True, kw_only=True):
    """A workspace's webhook endpoint (its secrets are read only to sign)."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    url: str
    events: list[str]
    description: str
    enabled: bool
    failing_since: datetime | None
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime


class Claimed(msgspec.Struct, frozen=True, kw_only=True):
    """A delivery to try now, with what its attempt needs."""

    id: uuid.UUID
    webhook_id: uuid.UUID
    event_id: uuid.UUID
    url: str
    body: str
    attempts: int
    first_at: datetime | None
    keys: list[bytes]
    failing_since: datetime | None


class Attempt(msgspec.Struct, frozen=True, kw_only=True):
    """One try of a delivery."""

    at: datetime
    duration_ms: int
    status: int | None
    error: str | None
    body: str | None


class Delivery(msgspec.Struct, frozen=True, kw_only=True):
    """A delivery of an event to an endpoint, with its attempts."""

    id: uuid.UUID
    event_id: uuid.UUID
    type: str
    state: str
    next_at: datetime | None
    delivered_at: datetime | None
    error: str | None
    created_at: datetime
    attempts: list[Attempt]


def new_secret() -> str:
    """A fresh signing secret, as shown once to the endpoint's admin."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_text(key: bytes) -> str:
    return SECRET_PREFIX + base64.b64encode(key).decode()


def key_of(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<base64>`` signature of the message."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers(keys: list[bytes], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt, signed with every key in use."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(k, message_id, timestamp, body) for k in keys),
        "content-type": "application/json",
        "user-agent": "dam-webhooks/1",
    }


def message_id(event_id: uuid.UUID) -> str:
    """The ``webhook-id`` of an event: the same on every attempt and every endpoint."""
    return f"msg_{event_id.hex}"


def check_events(events: list[str]) -> list[str]:
    """The event types, each once, in the order given; InvalidInput for an unknown one or none."""
    if not events:
        raise InvalidInput(f"events: name at least one of {', '.join(EVENTS)}")
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        raise InvalidInput(f"events: {unknown[0][:60]!r} is not one of {', '.join(EVENTS)}")
    return list(dict.fromkeys(events))


def forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an endpoint may not reach this address (None: it may)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.is_site_local:
            return "a site-local address"
        # An IPv4 address inside an IPv6 one (mapped, 6to4, Teredo) is checked as itself.
        inner = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if inner is not None:
            return forbidden(inner)
    if address in METADATA:
        return "the cloud metadata address"
    for what, flag in (
        ("a loopback address", address.is_loopback), ("a link-local address", address.is_link_local),
        ("a multicast address", address.is_multicast), ("an unspecified address", address.is_unspecified),
        ("a reserved address", address.is_reserved), ("a private address", address.is_private),
        ("not a public address", not address.is_global),
    ):  # fmt: skip
        if flag:
            return what
    return None


def ascii_host(host: str) -> str:
    """A host name as DNS and the Host header carry it (IDNA: ``bücher.de`` -> ``xn--bcher-kva.de``);
    InvalidInput when it cannot be."""
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidInput(f"url: {host[:80]!r} is not a host name DNS can carry") from None


def check_url(url: str, *, allow_http: bool, allow_private: bool) -> str:
    """The endpoint's URL, checked: https (http only with ``DAM_WEBHOOK_ALLOW_HTTP``), a host, and
    a host that is not a literal address in the forbidden ranges (names are checked at every
    delivery, where they resolve)."""
    if len(url) > MAX_URL:
        raise InvalidInput(f"url: at most {MAX_URL} characters")
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise InvalidInput(f"url: not a URL ({exc})") from None
    if parts.scheme not in ("https", "http") or not host:
        raise InvalidInput("url: an https:// URL with a host")
    if parts.scheme == "http" and not allow_http:
        raise InvalidInput("url: must be https (plain http needs DAM_WEBHOOK_ALLOW_HTTP)")
    if parts.username or parts.password:
        raise InvalidInput("url: no user or password in the URL (the signature authenticates)")
    del port
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        ascii_host(host)
        return url
    why = forbidden(literal)
    if why and not allow_private:
        raise InvalidInput(f"url: {host} is {why}, which webhooks may not reach")
    return url


def parse_schedule(text: str) -> tuple[float, ...]:
    """``DAM_WEBHOOK_RETRY_SCHEDULE``: seconds before each retry, comma-separated, the last repeated."""
    try:
        waits = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise ValueError(
            f"DAM_WEBHOOK_RETRY_SCHEDULE: numbers of seconds, comma-separated, not {text!r}"
        ) from None
    if not waits or any(w <= 0 for w in waits):
        raise ValueError("DAM_WEBHOOK_RETRY_SCHEDULE: at least one wait, each above 0 seconds")
    return waits


def next_wait(schedule: tuple[float, ...], attempts: int, retry_after: float | None = None) -> float:
    """Seconds before the next try after ``attempts`` failed ones, jittered; at least what the
    receiver's ``Retry-After`` asked (up to a day)."""
    base = schedule[min(attempts, len(schedule)) - 1] if attempts > 0 else schedule[0]
    wait = base * (1 + random.uniform(-JITTER, JITTER))
    if retry_after is not None:
        wait = max(wait, min(retry_after, 86400.0))
    return wait


def retry_after(value: str | None, now: datetime) -> float | None:
    """A ``Retry-After`` header in seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def retryable(status: int | None) -> bool:
    """Whether an answer (None: no answer: a timeout, a refused connection...) is tried again."""
    return status is None or status == 429 or status >= 500


def event_asset(asset: Asset) -> dict[str, Any]:
    """An asset as events carry it: what lists show, never a presigned URL nor a storage key."""
    return {
        "id": str(asset.id), "status": asset.status.value, "filename": asset.filename,
        "content_type": asset.content_type, "kind": asset.media.kind if asset.media is not None else None,
        "size": asset.size, "sha256": asset.sha256, "title": asset.title, "description": asset.description,
        "tags": list(asset.tags), "metadata": asset.metadata, "revision": asset.revision,
        "created_at": asset.created_at, "updated_at": asset.updated_at, "uploaded_at": asset.uploaded_at,
        "trashed_at": asset.trashed_at, "purge_at": asset.purge_at,
    }  # fmt: skip


def body(event_type: str, workspace_id: uuid.UUID, data: dict[str, Any], at: datetime) -> str:
    """An event's payload: ``{"type", "timestamp", "workspace", "data"}``."""
    payload = {"type": event_type, "timestamp": at, "workspace": str(workspace_id), "data": data}
    return msgspec.json.encode(payload).decode()
