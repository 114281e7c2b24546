"""Parsing MinIO's Redis access-format notifications."""

from __future__ import annotations

import uuid

import pytest

from dam.domain.validation import asset_of_key as asset_of
from dam.events.minio import MalformedEvent, parse_entry
from tests.support.minio_events import SAMPLE, minio_entry


def test_documented_sample_parses() -> None:
    (event,) = parse_entry(SAMPLE.read_bytes())
    assert event.name == "s3:ObjectCreated:Put"
    assert event.bucket == "images"
    assert event.key == "myphoto.jpg"
    assert event.size == 200436
    assert event.etag == "5d1b7ad5ea5a9d8a4f4bd4d6e1a4c7f9"


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("holiday photo.jpg", id="space"),
        pytest.param("Été à Zürich 日本.mp4", id="non-ascii"),
        pytest.param("a+b%20c&d=e.jpg", id="reserved-chars"),
    ],
)
def test_keys_are_url_decoded(name: str) -> None:
    asset = uuid.uuid4()
    raw = minio_entry("dam", f"originals/{asset}/{name}")
    assert b" " not in raw.split(b'"key":"')[1].split(b'"')[0]
    (event,) = parse_entry(raw)
    assert event.key == f"originals/{asset}/{name}"
    assert asset_of(event.key) == asset


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"not json", id="not-json"),
        pytest.param(b'{"Records": []}', id="namespace-format"),
        pytest.param(b'[{"Event": [{"eventName": "x"}]}]', id="record-without-s3"),
        pytest.param(b'[{"Event": "nope"}]', id="event-not-list"),
    ],
)
def test_malformed_entries_are_refused_with_a_reason(raw: bytes) -> None:
    with pytest.raises(MalformedEvent, match="not a MinIO access-format event"):
        parse_entry(raw)


def test_only_originals_map_to_assets() -> None:
    asset = uuid.uuid4()
    assert asset_of(f"originals/{asset}/a.jpg") == asset
    assert asset_of(f"renditions/{asset}/thumbnail.webp") is None
    assert asset_of("uploads/elsewhere.jpg") is None
    assert asset_of(f"originals/{asset}/nested/a.jpg") is None
    assert asset_of("originals/not-a-uuid/a.jpg") is None
