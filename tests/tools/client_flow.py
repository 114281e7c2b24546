"""The whole ingest sequence through a client openapi-python-client generated from the served document.

Run by the contract test with the tools venv's Python (``.venv-tools``), the generated package on
``PYTHONPATH``: ``client_flow.py BASE_URL JPEG_PATH``. Prints one JSON object of what it saw; the
test asserts on it. Nothing here is the project's code: only the generated client and httpx.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import uuid
from typing import Any

import httpx
from dam_client import AuthenticatedClient, Client
from dam_client.api.assets import (
    complete_upload,
    create_asset,
    delete_asset,
    get_asset,
    list_assets,
    renew_upload,
    reprocess_asset,
    restore_asset,
)
from dam_client.api.health import get_health, get_readiness
from dam_client.models import (
    AssetOut,
    CompletedPart,
    CompleteUpload,
    CreateAsset,
    CreatedAsset,
    ErrorBody,
    MultipartUpload,
    RenewUpload,
    SingleUpload,
)

DEADLINE = 120.0


def wait_for(client: Client, asset_id: uuid.UUID, status: str) -> AssetOut:
    """Poll getAsset until the asset has ``status`` (fails at the deadline)."""
    deadline = time.monotonic() + DEADLINE
    while True:
        asset = get_asset.sync(asset_id, client=client)
        assert isinstance(asset, AssetOut), asset
        if asset.status.value == status:
            return asset
        if time.monotonic() > deadline:
            raise SystemExit(f"asset {asset_id} is {asset.status.value}, not {status}, after {DEADLINE}s")
        time.sleep(0.2)


def single(client: Client, data: bytes, seen: dict[str, Any]) -> uuid.UUID:
    body = CreateAsset(
        filename="generated client.jpg",
        content_type="image/jpeg",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        metadata=None,
    )
    created = create_asset.sync(client=client, body=body)
    assert isinstance(created, CreatedAsset), created
    upload = created.upload
    assert isinstance(upload, SingleUpload), upload
    put = httpx.put(upload.url, content=data, headers=upload.headers.additional_properties)
    seen["single_put"] = put.status_code
    done = complete_upload.sync_detailed(created.id, client=client)
    seen["complete_status"] = int(done.status_code)
    ready = wait_for(client, created.id, "ready")
    seen["single_ready"] = {"sha256": ready.sha256, "kinds": sorted(r.kind for r in ready.renditions)}
    download = httpx.get(ready.download_url)
    seen["download_sha256"] = hashlib.sha256(download.content).hexdigest()
    return created.id


def multipart(client: Client, data: bytes, seen: dict[str, Any]) -> uuid.UUID:
    body = CreateAsset(filename="big.bin.mp4", content_type="video/mp4", size=len(data), multipart=True)
    created = create_asset.sync(client=client, body=body)
    assert isinstance(created, CreatedAsset), created
    renewed = renew_upload.sync(created.id, client=client, body=RenewUpload(part_numbers=[1, 2]))
    assert isinstance(renewed, MultipartUpload), renewed
    parts = []
    for part in renewed.parts:
        chunk = data[(part.number - 1) * renewed.part_size : part.number * renewed.part_size]
        answer = httpx.put(part.url, content=chunk)
        parts.append(CompletedPart(number=part.number, etag=answer.headers["etag"]))
    done = complete_upload.sync_detailed(created.id, client=client, body=CompleteUpload(parts=parts))
    seen["multipart"] = {"parts": len(parts), "complete_status": int(done.status_code)}
    stored = get_asset.sync(created.id, client=client)
    assert isinstance(stored, AssetOut), stored
    seen["multipart"]["stored_size"] = stored.stored_size
    return created.id


def errors(client: Client, seen: dict[str, Any]) -> None:
    unknown = get_asset.sync(uuid.uuid4(), client=client)
    refused = create_asset.sync(
        client=client, body=CreateAsset(filename="a/b.jpg", content_type="image/jpeg")
    )
    assert isinstance(unknown, ErrorBody), unknown
    assert isinstance(refused, ErrorBody), refused
    seen["errors"] = {"unknown": unknown.error, "refused": [refused.status_code, refused.error]}


def main() -> None:
    base, jpeg, key = sys.argv[1], sys.argv[2], sys.argv[3]
    anonymous = Client(base_url=base, timeout=httpx.Timeout(60))
    client = AuthenticatedClient(
        base_url=base, token=key, raise_on_unexpected_status=True, timeout=httpx.Timeout(60)
    )
    with open(jpeg, "rb") as f:
        data = f.read()
    seen: dict[str, Any] = {"health": get_health.sync_detailed(client=client).status_code}
    seen["ready"] = get_readiness.sync_detailed(client=client).status_code
    seen["anonymous_list"] = int(list_assets.sync_detailed(client=anonymous, limit=10).status_code)
    photo = single(client, data, seen)
    big = multipart(client, os.urandom(5 * 1024 * 1024 + 4096), seen)
    page = list_assets.sync(client=client, limit=10)
    seen["listed"] = sorted(str(a.id) for a in page.items)
    again = reprocess_asset.sync_detailed(photo, client=client)
    seen["reprocess_status"] = int(again.status_code)
    wait_for(client, photo, "ready")
    errors(client, seen)
    was = get_asset.sync(big, client=client)
    seen["before_delete"] = was.status.value if isinstance(was, AssetOut) else repr(was)
    removed = delete_asset.sync_detailed(big, client=client)
    seen["delete_status"] = int(removed.status_code)
    trashed = get_asset.sync(big, client=client)
    seen["trashed_status"] = trashed.status.value if isinstance(trashed, AssetOut) else repr(trashed)
    back = restore_asset.sync(big, client=client)
    seen["restored_status"] = back.status.value if isinstance(back, AssetOut) else repr(back)
    purged = delete_asset.sync_detailed(big, client=client, permanent=True)
    seen["purge_status"] = int(purged.status_code)
    gone = get_asset.sync(big, client=client)
    seen["deleted_status"] = gone.status.value if isinstance(gone, AssetOut) else repr(gone)
    seen["ids"] = {"photo": str(photo), "big": str(big)}
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
