"""Editing an asset (``PATCH /assets/{id}``): merge-patch semantics, revisions and ETags, If-Match
between two editors, the limits, who may edit what, and the audit entries."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from dam.domain.accounts import Workspace
from tests.support.accounts import Identities, bearer
from tests.support.flows import create

Client = AsyncTestClient[Any]
MERGE = {"Content-Type": "application/merge-patch+json"}


async def patch(api: Client, asset_id: str, body: Any, **headers: str) -> Any:
    """PATCH /assets/{id} with a JSON merge patch."""
    return await api.patch(
        f"/assets/{asset_id}", content=msgspec.json.encode(body), headers={**MERGE, **headers}
    )


async def test_a_merge_patch_sets_removes_and_merges(api: Client) -> None:
    created = await create(
        api, metadata={"album": "a", "client": {"name": "Tram Co", "job": 1, "notes": "x"}, "draft": True},
        tags=["one", "two"], title="First",
    )  # fmt: skip
    assert (created["title"], created["description"], created["tags"], created["revision"]) == (
        "First", None, ["one", "two"], 1,
    )  # fmt: skip
    answer = await patch(
        api, created["id"],
        {"description": "A tram.", "tags": ["three", "one"],
         "metadata": {"client": {"job": 2, "notes": None}, "draft": None, "place": {"city": "Lisbon"}}},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    asset = answer.json()
    assert asset["metadata"] == {
        "album": "a",
        "client": {"name": "Tram Co", "job": 2},
        "place": {"city": "Lisbon"},
    }
    assert (asset["title"], asset["description"], asset["tags"], asset["revision"]) == (
        "First", "A tram.", ["three", "one"], 2,
    )  # fmt: skip
    assert answer.headers["etag"] == '"2"'
    # The answer is GET's shape, and GET says the same.
    read = await api.get(f"/assets/{created['id']}")
    assert read.headers["etag"] == '"2"'
    assert read.json() == {**asset, "download_url": read.json()["download_url"]}
    # null removes: the title, every tag, all metadata; plain JSON is accepted too.
    cleared = await api.patch(
        f"/assets/{created['id']}", json={"title": None, "tags": None, "metadata": None}
    )
    assert cleared.status_code == 200, cleared.text
    assert (cleared.json()["title"], cleared.json()["tags"], cleared.json()["metadata"]) == (None, [], {})
    assert cleared.json()["description"] == "A tram."
    # A value that is not an object replaces the key's value, arrays whole.
    again = await patch(api, created["id"], {"metadata": {"list": [1, 2], "n": {"deep": {"er": 1}}}})
    again = await patch(api, created["id"], {"metadata": {"list": [3], "n": {"deep": {"est": 2}}}})
    assert again.json()["metadata"] == {"list": [3], "n": {"deep": {"er": 1, "est": 2}}}


async def test_revision_grows_only_with_a_change(api: Client) -> None:
    created = await create(api, metadata={"album": "a"}, tags=["Beach"])
    same = await patch(api, created["id"], {"metadata": {"album": "a"}, "tags": ["BEACH"], "title": None})
    assert same.status_code == 200, same.text
    assert same.json()["revision"] == 1
    assert same.headers["etag"] == '"1"'
    assert same.json()["tags"] == ["Beach"]
    assert (await patch(api, created["id"], {})).json()["revision"] == 1
    changed = await patch(api, created["id"], {"title": "Now"})
    assert changed.json()["revision"] == 2
    assert (await patch(api, created["id"], {"title": "Now"})).json()["revision"] == 2
    log = (await api.get(f"/audit?action=asset.update&asset={created['id']}")).json()["items"]
    assert [entry["detail"] for entry in log] == [{"changed": ["title"]}]


async def test_if_match_lets_one_of_two_editors_win(
    api: Client, identities: Identities, workspace: Workspace
) -> None:
    first, second = [bearer(await identities.key(workspace, "editor")) for _ in range(2)]
    created = await create(api, title="draft")
    etag = (await api.get(f"/assets/{created['id']}", headers=first)).headers["etag"]
    assert etag == (await api.get(f"/assets/{created['id']}", headers=second)).headers["etag"] == '"1"'
    won = await patch(api, created["id"], {"title": "mine"}, **first, **{"If-Match": etag})
    assert won.status_code == 200, won.text
    assert won.headers["etag"] == '"2"'
    lost = await patch(api, created["id"], {"title": "theirs"}, **second, **{"If-Match": etag})
    assert lost.status_code == 412, lost.text
    body = lost.json()
    assert body["error"] == "precondition_failed"
    assert body["status_code"] == 412
    assert body["detail"]
    assert (await api.get(f"/assets/{created['id']}")).json()["title"] == "mine"
    # Read again, then the change applies; a weak tag never matches, a list or * does.
    assert (await patch(api, created["id"], {"title": "t"}, **{"If-Match": 'W/"2"'})).status_code == 412
    assert (await patch(api, created["id"], {"title": "t"}, **{"If-Match": '"9", "2"'})).status_code == 200
    assert (await patch(api, created["id"], {"title": "u"}, **{"If-Match": "*"})).status_code == 200
    # Without If-Match the write applies.
    assert (await patch(api, created["id"], {"title": "v"}, **second)).json()["revision"] == 5


async def test_concurrent_conditional_edits_let_exactly_one_through(api: Client) -> None:
    created = await create(api)
    answers = await asyncio.gather(
        *(
            patch(api, created["id"], {"title": f"t{n}", "tags": [f"tag{n}"]}, **{"If-Match": '"1"'})
            for n in range(6)
        )
    )
    assert sorted(a.status_code for a in answers) == [200] + [412] * 5
    tags = (await api.get("/tags")).json()["items"]
    assert [t["count"] for t in tags] == [1]


def _nested(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = {"k": value}
    return value


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        pytest.param({"metadata": {"big": "x" * (64 * 1024)}}, 422, "64 KiB", id="over-64-KiB"),
        pytest.param({"metadata": {"deep": _nested(8)}}, 422, "8 levels", id="depth-9"),
        pytest.param({"metadata": {"a": "x\x00y"}}, 422, "NUL", id="nul-value"),
        pytest.param({"metadata": {"a b": 1}}, 422, "metadata key", id="bad-key"),
        pytest.param({"metadata": {"k" * 65: 1}}, 422, "metadata key", id="long-key"),
        pytest.param({"title": "t" * 501}, 422, "title", id="long-title"),
        pytest.param({"description": "d" * 10_001}, 422, "description", id="long-description"),
        pytest.param({"tags": [f"t{n}" for n in range(101)]}, 422, "at most 100 tags", id="101-tags"),
        pytest.param({"tags": ["x" * 101]}, 422, "longer than 100", id="long-tag"),
        pytest.param({"tags": ["  "]}, 422, "empty", id="blank-tag"),
        pytest.param({"tags": ["a\nb"]}, 422, "control", id="control-in-tag"),
        pytest.param({"colour": "red"}, 400, "colour", id="unknown-field"),
        pytest.param({"tags": "one"}, 400, "array", id="tags-not-a-list"),
        pytest.param(["title"], 400, "object", id="not-an-object"),
    ],
)
async def test_edits_outside_the_limits_are_refused(api: Client, body: Any, status: int, says: str) -> None:
    created = await create(api, metadata={"kept": 1})
    answer = await patch(api, created["id"], body)
    assert answer.status_code == status, answer.text
    assert says in answer.json()["detail"], answer.text
    assert {"status_code", "detail", "error"} <= answer.json().keys()
    unchanged = (await api.get(f"/assets/{created['id']}")).json()
    assert (unchanged["metadata"], unchanged["revision"]) == ({"kept": 1}, 1)


async def test_limits_hold_at_their_edge(api: Client) -> None:
    created = await create(api)
    edge = {"deep": _nested(7), "x": "y" * (60 * 1024)}
    answer = await patch(
        api, created["id"], {"metadata": edge, "title": "t" * 500, "tags": [f"t{n}" for n in range(100)]}
    )
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["tags"]) == 100
    assert (
        await patch(api, created["id"], {"tags": ["one"]}, **{"Content-Type": "text/plain"})
    ).status_code == 415
    # POST /assets applies the same rules.
    refused = await api.post(
        "/assets", json={"filename": "a.jpg", "content_type": "image/jpeg", "metadata": {"a b": 1}}
    )
    assert refused.status_code == 422, refused.text
    refused = await api.post(
        "/assets", json={"filename": "a.jpg", "content_type": "image/jpeg", "tags": [""]}
    )
    assert refused.status_code == 422, refused.text


async def test_who_may_edit(api: Client, identities: Identities, workspace: Workspace) -> None:
    viewer, contributor, editor = [
        bearer(await identities.key(workspace, role)) for role in ("viewer", "contributor", "editor")
    ]
    others = await create(api)  # made by the admin key
    own = (
        await api.post(
            "/assets", json={"filename": "mine.jpg", "content_type": "image/jpeg"}, headers=contributor
        )
    ).json()
    refused = await patch(api, others["id"], {"title": "x"}, **viewer)
    assert refused.status_code == 403
    assert refused.json()["error"] == "forbidden"
    assert (await patch(api, own["id"], {"title": "x"}, **viewer)).status_code == 403
    assert (await patch(api, others["id"], {"title": "x"}, **contributor)).status_code == 403
    assert (await patch(api, own["id"], {"title": "mine"}, **contributor)).status_code == 200
    assert (await patch(api, others["id"], {"title": "edited"}, **editor)).status_code == 200
    assert (await patch(api, own["id"], {"title": "edited too"}, **editor)).status_code == 200


async def test_another_workspaces_asset_is_as_unknown(api: Client, identities: Identities) -> None:
    created = await create(api)
    intruder = bearer(await identities.key(await identities.workspace(), "admin"))
    unknown = str(uuid.uuid4())
    theirs = await patch(api, created["id"], {"title": "x"}, **intruder)
    nobody = await patch(api, unknown, {"title": "x"}, **intruder)
    assert theirs.status_code == nobody.status_code == 404
    assert theirs.json() == {
        **nobody.json(),
        "detail": nobody.json()["detail"].replace(unknown, created["id"]),
    }
    assert (await patch(api, "not-a-uuid", {"title": "x"})).status_code == 422
    assert (await api.get(f"/assets/{created['id']}")).json()["title"] is None


async def test_a_deleted_asset_is_not_edited(api: Client) -> None:
    created = await create(api, tags=["gone"])
    assert (await api.delete(f"/assets/{created['id']}")).status_code == 204
    answer = await patch(api, created["id"], {"title": "x"})
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"] == "conflict"
    # Its tags went with it: the workspace counts live assets only.
    assert (await api.get("/tags")).json()["items"] == []


async def test_edits_are_audited_with_what_changed(api: Client) -> None:
    created = await create(api, metadata={"a": 1, "b": 2})
    await patch(api, created["id"], {"metadata": {"a": None, "b": 2, "c": 3}, "tags": ["x"], "title": "T"})
    (entry,) = (await api.get(f"/audit?action=asset.update&asset={created['id']}")).json()["items"]
    assert entry["detail"] == {"changed": ["title", "tags", "metadata"], "metadata_keys": ["a", "c"]}
    assert entry["actor"] == "key"
    assert entry["outcome"] == "ok"
