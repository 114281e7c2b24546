"""MinIO bucket notifications as its Redis target writes them in ``access`` format.

MinIO (internal/event/target/redis.go, ``send``) does, for each event::

    RPUSH <key> json([{"Event": [<S3 event record>], "EventTime": <record.eventTime>}])

Each record is an S3-style event record (``eventName``, ``s3.bucket.name``, ``s3.object.key``
URL-encoded as by Go's url.QueryEscape, ``size``, ``eTag``...). This module turns one list entry
into the object events it holds, or says why it cannot.
"""

from __future__ import annotations

from urllib.parse import unquote_plus

import msgspec


class MalformedEvent(ValueError):
    """A list entry that is not a MinIO access-format notification."""


class S3Bucket(msgspec.Struct, rename="camel"):
    """``s3.bucket``."""

    name: str


class S3Object(msgspec.Struct, rename="camel"):
    """``s3.object``; the key is URL-encoded."""

    key: str
    size: int | None = None
    e_tag: str | None = msgspec.field(default=None, name="eTag")


class S3Entity(msgspec.Struct):
    """``s3``."""

    bucket: S3Bucket
    object: S3Object


class Record(msgspec.Struct, rename="camel"):
    """One S3 event record."""

    event_name: str
    s3: S3Entity


class AccessEvent(msgspec.Struct):
    """One element of the JSON array MinIO pushes."""

    Event: list[Record]
    EventTime: str | None = None


class ObjectEvent(msgspec.Struct, frozen=True):
    """An object event, key decoded."""

    name: str
    bucket: str
    key: str
    size: int | None
    etag: str | None


_decoder = msgspec.json.Decoder(list[AccessEvent])


def parse_entry(raw: bytes | str) -> list[ObjectEvent]:
    """The events in one list entry; MalformedEvent with the reason if it is not one."""
    try:
        entries = _decoder.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise MalformedEvent(f"not a MinIO access-format event: {exc}") from None
    events = []
    for entry in entries:
        for record in entry.Event:
            events.append(
                ObjectEvent(
                    name=record.event_name,
                    bucket=record.s3.bucket.name,
                    key=unquote_plus(record.s3.object.key),
                    size=record.s3.object.size,
                    etag=record.s3.object.e_tag,
                )
            )
    return events
