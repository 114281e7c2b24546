"""The rules of a bulk change (``domain/bulk.py``): what makes a request unusable as a whole, each
id's outcome in the order ``PATCH`` decides one, and how tags are counted and named."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from dam.domain import bulk as rules
from dam.domain.access import Principal, Role
from dam.domain.assets import Asset
from dam.domain.bulk import Bulk
from dam.domain.errors import Conflict, Forbidden, InvalidInput, NotApplied, NotFound, PreconditionFailed
from dam.domain.status import AssetStatus

pytestmark = pytest.mark.unit

WORKSPACE = uuid.uuid4()
ME, SOMEONE = uuid.uuid4(), uuid.uuid4()
AT = datetime(2026, 12, 2, tzinfo=UTC)


def principal(role: Role) -> Principal:
    return Principal(kind="user", workspace_id=WORKSPACE, role=role, user_id=ME)


def asset(**changes: Any) -> Asset:
    base = Asset(
        id=uuid.uuid4(), status=AssetStatus.READY, filename="a.jpg", content_type="image/jpeg", size=1,
        sha256=None, storage_key="k", metadata={}, title=None, description=None, tags=[], revision=1,
        media=None, error=None, etag=None, stored_size=None, created_at=AT, updated_at=AT,
        uploaded_at=None, upload_id=None, part_size=None, part_checksums=False, workspace_id=WORKSPACE,
        created_by=ME,
    )  # fmt: skip
    return msgspec.structs.replace(base, **changes)


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        pytest.param({"ids": []}, "at least one", id="no-ids"),
        pytest.param({"ids": [uuid.uuid4() for _ in range(1001)]}, "at most 1000", id="1001-ids"),
        pytest.param({"add_tags": msgspec.UNSET}, "nothing to do", id="nothing"),
        pytest.param({"add_tags": []}, "add_tags is empty", id="empty-tags"),
        pytest.param({"metadata": {}}, "metadata is empty", id="empty-patch"),
        pytest.param({"delete": True}, "cannot be combined", id="delete-and-tags"),
        pytest.param({"remove_tags": [" X "]}, "both added and removed", id="add-and-remove"),
        pytest.param({"revisions": {uuid.uuid4(): 1}}, "revisions names ids", id="stray-revision"),
    ],
)
def test_check_refuses_requests_unusable_as_a_whole(changes: dict[str, Any], says: str) -> None:
    request = Bulk(ids=[uuid.uuid4()], add_tags=["x"])
    with pytest.raises(InvalidInput, match=says):
        rules.check(msgspec.structs.replace(request, **changes))


def test_check_answers_a_repeated_id_once_in_order() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    assert rules.check(Bulk(ids=[a, b, a, b], delete=True)).ids == [a, b]
    box = uuid.uuid4()
    with pytest.raises(InvalidInput, match="same collection"):
        rules.check(Bulk(ids=[a], add_to=box, remove_from=box))


def test_each_id_is_decided_as_patch_decides_one() -> None:
    mine, theirs = asset(tags=["Sea"]), asset(created_by=SOMEONE)
    gone, stale = asset(status=AssetStatus.DELETED), asset(revision=3)
    full = asset(tags=[f"t{n}" for n in range(100)])
    unknown = uuid.uuid4()
    found = {a.id: a for a in (mine, theirs, gone, stale, full)}
    request = Bulk(
        ids=[mine.id, theirs.id, gone.id, stale.id, full.id, unknown], add_tags=["sea", "Lisbon"],
        revisions={stale.id: 2},
    )  # fmt: skip
    planned = rules.plan(principal(Role.CONTRIBUTOR), request, found)
    kinds = [type(p.error) if p.error else None for p in planned]
    assert kinds == [None, Forbidden, Conflict, PreconditionFailed, InvalidInput, NotFound]
    assert planned[0].after is not None
    assert planned[0].after.tags == ["Sea", "Lisbon"]
    # An editor may change anyone's; a viewer no one's, even to add it to a collection.
    assert rules.plan(principal(Role.EDITOR), request, found)[1].error is None
    box = Bulk(ids=[theirs.id], add_to=uuid.uuid4())
    assert rules.plan(principal(Role.CONTRIBUTOR), box, found)[0].error is None
    assert isinstance(rules.plan(principal(Role.VIEWER), box, found)[0].error, Forbidden)


def test_atomic_leaves_the_others_not_applied_and_no_change_is_no_edit() -> None:
    tagged, gone = asset(tags=["x"]), asset(status=AssetStatus.DELETED)
    found = {tagged.id: tagged, gone.id: gone}
    request = Bulk(ids=[tagged.id, gone.id], add_tags=["X"], atomic=True)
    first, second = rules.plan(principal(Role.ADMIN), request, found)
    assert isinstance(first.error, NotApplied)
    assert isinstance(second.error, Conflict)
    alone = rules.plan(principal(Role.ADMIN), msgspec.structs.replace(request, ids=[tagged.id]), found)
    assert alone[0].error is None
    assert alone[0].after is None  # it carries the tag already: nothing to write
    deleting = Bulk(ids=[gone.id], delete=True)
    assert rules.plan(principal(Role.ADMIN), deleting, found)[0].error is None  # again: no change


@pytest.mark.parametrize(
    ("current", "adding", "removing", "expected"),
    [
        pytest.param(["a", "B"], ["b", "c"], set(), ["a", "B", "c"], id="any-case-once"),
        pytest.param(["a", "B"], [], {"b"}, ["a"], id="remove-any-case"),
        pytest.param(["a", "B"], ["b"], {"b"}, ["a", "b"], id="removed-then-added"),
    ],
)
def test_retagged(current: list[str], adding: list[str], removing: set[str], expected: list[str]) -> None:
    assert rules.retagged(current, adding, removing) == expected


def test_tags_are_counted_by_key_and_named_as_the_workspace_writes_them() -> None:
    deltas = rules.tag_deltas([(["Sea"], ["Sea", "Lisbon"]), (["SEA", "x"], ["lisbon"]), ([], ["LISBON"])])
    assert deltas == [("lisbon", "Lisbon", 3), ("sea", "sea", -1), ("x", "x", -1)]
    names = {"lisbon": "Lisboa"}
    assert rules.named(["SEA", "lisbon"], ["SEA"], names) == ["SEA", "Lisboa"]
