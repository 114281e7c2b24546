"""Build MinIO access-format Redis entries, the same shape as tests/data/minio_redis_access_event.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "minio_redis_access_event.json"


def minio_entry(
    bucket: str, key: str, *, size: int = 1, etag: str = "0" * 32, name: str = "s3:ObjectCreated:Put"
) -> bytes:
    """One RPUSHed entry for an object event; the key escaped as Go's url.QueryEscape does."""
    entry: list[dict[str, Any]] = json.loads(SAMPLE.read_text())
    record = entry[0]["Event"][0]
    record["eventName"] = name
    record["s3"]["bucket"]["name"] = bucket
    record["s3"]["bucket"]["arn"] = f"arn:aws:s3:::{bucket}"
    record["s3"]["object"].update({"key": quote_plus(key, safe=""), "size": size, "eTag": etag})
    return json.dumps(entry, separators=(",", ":")).encode()
