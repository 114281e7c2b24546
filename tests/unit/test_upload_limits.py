"""What bounds a page's upload: the part numbers a limit allows, how long what is signed for an
upload token lives, and how often the form sweep looks for a form's object."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec

from dam.domain.assets import Asset
from dam.domain.status import AssetStatus
from dam.domain.uploads import MAX_PARTS, MIN_PART, part_cap, signing_ttl
from dam.jobs.forms import due


def test_part_numbers_stop_at_the_last_part_a_file_within_the_limit_needs() -> None:
    assert part_cap(1) == 1
    assert part_cap(1024) == 1
    assert part_cap(MIN_PART) == 1
    assert part_cap(MIN_PART + 1) == 2
    assert part_cap(64 * 1024 * 1024) == 13  # 12 parts of 5 MiB and a last of 4 MiB
    assert part_cap(5 * 1024**4) == MAX_PARTS


def test_what_is_signed_for_a_token_never_outlives_it() -> None:
    assert signing_ttl(900, None, 1000.0) == 900  # a key or a session: DAM_PRESIGN_TTL
    assert signing_ttl(900, 1000.0 + 3600, 1000.0) == 900
    assert signing_ttl(900, 1003.0, 1000.0) == 3
    assert signing_ttl(900, 1003.9, 1000.5) == 3  # whole seconds, rounded down
    assert signing_ttl(900, 1000.2, 1000.0) == 1  # at least a second


def _form(age: float, now: float) -> Asset:
    made = datetime.fromtimestamp(now - age, UTC)
    return msgspec.convert(
        {
            "id": str(uuid.uuid4()), "filename": "a.jpg", "content_type": "image/jpeg", "size": None,
            "sha256": None, "storage_key": "originals/x/a.jpg", "status": AssetStatus.PENDING_UPLOAD.value,
            "upload_id": None, "part_size": None, "part_checksums": False, "etag": None,
            "stored_size": None, "error": None, "metadata": {}, "media": None, "created_at": made,
            "updated_at": made, "uploaded_at": None, "workspace_id": str(uuid.uuid4()),
            "title": None, "description": None, "tags": [], "revision": 1,
        },
        Asset,
    )  # fmt: skip


def test_the_sweep_looks_for_young_forms_every_time_and_for_old_ones_now_and_then() -> None:
    now = 1_000_000.0
    young = [_form(5, now) for _ in range(20)]
    assert all(due(form, sweep, now) for form in young for sweep in range(10))
    for age, every in ((120, 5), (3600, 15)):
        for form in (_form(age, now) for _ in range(20)):
            looks = [sweep for sweep in range(60) if due(form, sweep, now)]
            assert len(looks) == 60 // every
