"""A workspace's metadata schema (``GET``/``PUT /workspace/schema``): who reads and replaces it,
unusable schemas refused, ``POST /assets`` and ``PATCH /assets/{id}`` validating ``metadata``
against it (each type, strict, required), assets written before it left as they are, another
workspace's schema never applying, and the audit entry."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from dam.domain.accounts import Workspace
from dam.domain.schema import EMPTY
from dam.services.schema import schema_of
from dam.settings import Settings
from tests.support.accounts import Identities, bearer, client_of
from tests.support.flows import create

Client = AsyncTestClient[Any]
MERGE = {"Content-Type": "application/merge-patch+json"}
NONE = {"fields": [], "strict": False}
FIELDS = [
    {"key": "client", "label": "Client", "type": "text", "required": True, "facet": True},
    {"key": "rating", "label": "Rating", "type": "number", "facet": True},
    {"key": "shot_on", "label": "Shot on", "type": "date", "facet": True},
    {"key": "status", "label": "Status", "type": "enum", "options": ["draft", "final"]},
    {"key": "usage", "label": "Usage", "type": "multi_enum", "options": ["web", "print"]},
    {"key": "licensed", "label": "Licensed", "type": "bool"},
]
SCHEMA = {"fields": FIELDS, "strict": False}
# Each field, a value of its type and one that is not, and what the refusal says.
BY_TYPE = [
    pytest.param("client", "Tram Co", 12, "metadata.client: must be a string", id="text"),
    pytest.param("rating", 4.5, "4.5", "metadata.rating: must be a number", id="number"),
    pytest.param(
        "shot_on",
        "2026-12-09T14:30:00+01:00",
        "9 Dec 2026",
        "metadata.shot_on: must be a date (YYYY-MM-DD or RFC 3339)",
        id="date",
    ),
    pytest.param("status", "final", "done", 'metadata.status: "done" is not one of draft, final', id="enum"),
    pytest.param(
        "usage", ["web", "print"], ["web", "tv"], 'metadata.usage: "tv" is not one of web, print', id="multi"
    ),
    pytest.param("licensed", True, "true", "metadata.licensed: must be true or false", id="bool"),
]


def _stored(schema: dict[str, Any]) -> dict[str, Any]:
    """A schema as the API answers it: every field with all its members."""
    return {
        "fields": [{"options": None, "required": False, "facet": False, **f} for f in schema["fields"]],
        "strict": schema.get("strict", False),
    }


async def put(api: Client, schema: Any, **headers: str) -> Any:
    return await api.put("/workspace/schema", json=schema, headers=headers)


async def with_schema(api: Client, schema: dict[str, Any] = SCHEMA) -> None:
    answer = await put(api, schema)
    assert answer.status_code == 200, answer.text


async def post(api: Client, metadata: dict[str, Any], **headers: str) -> Any:
    body = {"filename": "a.jpg", "content_type": "image/jpeg", "metadata": metadata}
    return await api.post("/assets", json=body, headers=headers)


async def patch(api: Client, asset_id: str, body: Any, **headers: str) -> Any:
    return await api.patch(
        f"/assets/{asset_id}", content=msgspec.json.encode(body), headers={**MERGE, **headers}
    )


def _refused(answer: Any, says: str) -> None:
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == "invalid_input"
    assert answer.json()["detail"].startswith(says), answer.text


async def test_a_workspace_without_a_schema_answers_an_empty_one(api: Client) -> None:
    answer = await api.get("/workspace/schema")
    assert answer.status_code == 200, answer.text
    assert answer.json() == NONE
    # And metadata stays schemaless.
    await create(api, metadata={"anything": [1, {"x": None}], "rating": "four"})


async def test_admins_replace_it_and_members_read_it(
    api: Client, identities: Identities, workspace: Workspace
) -> None:
    viewer, editor = [bearer(await identities.key(workspace, role)) for role in ("viewer", "editor")]
    answer = await put(api, SCHEMA)
    assert answer.status_code == 200, answer.text
    assert answer.json() == _stored(SCHEMA)
    for who in (viewer, editor, {}):
        read = await api.get("/workspace/schema", headers=who)
        assert read.status_code == 200, read.text
        assert read.json() == _stored(SCHEMA)
    refused = await put(api, NONE, **editor)
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"] == "forbidden"
    assert (await put(api, NONE, **viewer)).status_code == 403
    # Replaced whole; an empty one removes it.
    smaller = {"fields": [FIELDS[1]], "strict": True}
    assert (await put(api, smaller)).json() == _stored(smaller)
    assert (await api.get("/workspace/schema")).json() == _stored(smaller)
    assert (await put(api, NONE)).json() == NONE
    assert (await api.get("/workspace/schema")).json() == NONE
    await create(api, metadata={"rating": "four"})


async def test_replacing_it_is_audited(api: Client, workspace: Workspace) -> None:
    await with_schema(api, {"fields": FIELDS[:2], "strict": True})
    (entry,) = (await api.get("/audit?action=workspace.schema")).json()["items"]
    assert entry["detail"] == {"fields": ["client", "rating"], "strict": True}
    assert (entry["actor"], entry["outcome"], entry["workspace_id"]) == ("key", "ok", str(workspace.id))
    assert entry["target_id"] == str(workspace.id)
    # A refused one is not.
    assert (await put(api, {"fields": [FIELDS[0], FIELDS[0]]})).status_code == 422
    assert len((await api.get("/audit?action=workspace.schema")).json()["items"]) == 1


@pytest.mark.parametrize(
    ("schema", "status", "says"),
    [
        pytest.param(
            {"fields": [{**FIELDS[0], "key": "a b"}]}, 422, 'fields[0].key: "a b" must be 1 to 64', id="key"
        ),
        pytest.param(
            {"fields": [FIELDS[1], FIELDS[1]]}, 422, 'fields[1].key: "rating" is declared twice', id="twice"
        ),
        pytest.param({"fields": [{**FIELDS[0], "label": ""}]}, 422, "fields[0].label", id="label"),
        pytest.param(
            {"fields": [{"key": "s", "label": "S", "type": "enum"}]},
            422,
            "fields[0].options: enum fields need",
            id="enum-without-options",
        ),
        pytest.param(
            {"fields": [{**FIELDS[1], "options": ["1"]}]},
            422,
            "fields[0].options: only enum and multi_enum",
            id="options-on-a-number",
        ),
        pytest.param(
            {"fields": [{**FIELDS[3], "options": ["a", "a"]}]},
            422,
            'fields[0].options[1]: "a" is listed twice',
            id="option-twice",
        ),
        pytest.param(
            {"fields": [{"key": f"k{n}", "label": "K", "type": "text"} for n in range(201)]},
            422,
            "fields: a schema has at most 200 fields",
            id="201-fields",
        ),
        pytest.param({"fields": [{**FIELDS[0], "type": "colour"}]}, 400, "fields[0].type", id="unknown-type"),
        pytest.param({"fields": [{**FIELDS[0], "colour": 1}]}, 400, "colour", id="unknown-member"),
        pytest.param({"fields": "client"}, 400, "array", id="fields-not-a-list"),
        pytest.param({"strict": True}, 400, "fields", id="fields-missing"),
    ],
)
async def test_an_unusable_schema_is_refused(api: Client, schema: Any, status: int, says: str) -> None:
    await with_schema(api)
    answer = await put(api, schema)
    assert answer.status_code == status, answer.text
    assert says in answer.json()["detail"], answer.text
    assert (await api.get("/workspace/schema")).json() == _stored(SCHEMA)  # unchanged


@pytest.mark.parametrize(("key", "good", "bad", "says"), BY_TYPE)
async def test_post_assets_validates_each_type(api: Client, key: str, good: Any, bad: Any, says: str) -> None:
    await with_schema(api)
    base = {"client": "Tram Co"}
    _refused(await post(api, {**base, key: bad}), says)
    created = await post(api, {**base, key: good})
    assert created.status_code == 201, created.text
    assert created.json()["metadata"] == {**base, key: good}


@pytest.mark.parametrize(("key", "good", "bad", "says"), BY_TYPE)
async def test_patch_validates_each_type(api: Client, key: str, good: Any, bad: Any, says: str) -> None:
    await with_schema(api)
    asset = await create(api, metadata={"client": "Tram Co"})
    _refused(await patch(api, asset["id"], {"metadata": {key: bad}}), says)
    unchanged = (await api.get(f"/assets/{asset['id']}")).json()
    assert (unchanged["metadata"], unchanged["revision"]) == ({"client": "Tram Co"}, 1)
    if key != "client":
        answer = await patch(api, asset["id"], {"metadata": {key: good}})
        assert answer.status_code == 200, answer.text
        assert answer.json()["metadata"] == {"client": "Tram Co", key: good}


async def test_required_fields_are_needed_on_creation_and_kept_by_edits(api: Client) -> None:
    await with_schema(api)
    _refused(await post(api, {}), "metadata.client: required")
    _refused(await post(api, {"client": ""}), "metadata.client: required, and must not be empty")
    no_metadata = await api.post("/assets", json={"filename": "a.jpg", "content_type": "image/jpeg"})
    _refused(no_metadata, "metadata.client: required")
    asset = await create(api, metadata={"client": "Tram Co", "rating": 3})
    _refused(await patch(api, asset["id"], {"metadata": {"client": None}}), "metadata.client: required")
    _refused(await patch(api, asset["id"], {"metadata": None}), "metadata.client: required")
    assert (
        await patch(api, asset["id"], {"metadata": {"client": "Bus Co", "rating": None}})
    ).status_code == 200
    # An edit of other fields does not touch metadata: nothing to validate.
    assert (await patch(api, asset["id"], {"title": "t", "tags": ["x"]})).status_code == 200


async def test_strict_refuses_undeclared_keys(api: Client) -> None:
    await with_schema(api, {**SCHEMA, "strict": True})
    says = "metadata.colour: not a field of this workspace's schema (strict)"
    _refused(await post(api, {"client": "c", "colour": "red"}), says)
    asset = await create(api, metadata={"client": "c", "rating": 1})
    _refused(await patch(api, asset["id"], {"metadata": {"colour": "red"}}), says)
    # Not strict: undeclared keys are anything, as without a schema.
    await with_schema(api)
    await create(api, metadata={"client": "c", "colour": {"any": ["thing"]}})


async def test_assets_written_before_the_schema_are_left_as_they_are(api: Client) -> None:
    old = await create(api, metadata={"rating": "four", "legacy": True})
    await with_schema(api, {**SCHEMA, "strict": True})
    # Stored and shown as written; an edit that leaves metadata alone is not held to the schema.
    assert (await api.get(f"/assets/{old['id']}")).json()["metadata"] == {"rating": "four", "legacy": True}
    assert (await patch(api, old["id"], {"title": "kept"})).status_code == 200
    # An edit of metadata checks what it changes and the required fields, not the old values.
    _refused(await patch(api, old["id"], {"metadata": {"status": "final"}}), "metadata.client: required")
    answer = await patch(api, old["id"], {"metadata": {"client": "Tram Co"}})
    assert answer.status_code == 200, answer.text
    assert answer.json()["metadata"] == {"rating": "four", "legacy": True, "client": "Tram Co"}
    _refused(
        await patch(api, old["id"], {"metadata": {"rating": "five"}}), "metadata.rating: must be a number"
    )


async def test_another_workspaces_schema_does_not_apply(
    api: Client, identities: Identities, settings: Settings
) -> None:
    await with_schema(api, {**SCHEMA, "strict": True})
    other = await identities.workspace()
    async with client_of(settings, await identities.key(other, "admin")) as theirs:
        assert (await theirs.get("/workspace/schema")).json() == NONE
        mine = await create(theirs, metadata={"rating": "four", "colour": "red"})
        assert (await patch(theirs, mine["id"], {"metadata": {"status": 7}})).status_code == 200
        await with_schema(theirs, {"fields": [FIELDS[1]], "strict": False})
    # Each keeps its own.
    assert (await api.get("/workspace/schema")).json() == _stored({**SCHEMA, "strict": True})
    _refused(await post(api, {"client": "c", "rating": "x"}), "metadata.rating: must be a number")


async def test_companion_uploads_are_validated_too(api: Client) -> None:
    await with_schema(api, {**SCHEMA, "strict": True})
    body = {"filename": "m.mp4", "type": "video/mp4", "metadata": {"client": "c", "name": "m.mp4"}}
    _refused(await api.post("/s3/multipart", json=body), "metadata.name: not a field")
    body["metadata"] = {"client": "c"}
    assert (await api.post("/s3/multipart", json=body)).status_code == 200


async def test_schema_of_reads_what_search_needs(
    api: Client, workspace: Workspace, accounts_pool: Any
) -> None:
    assert await schema_of(accounts_pool, workspace.id) is EMPTY
    await with_schema(api)
    schema = await schema_of(accounts_pool, workspace.id)
    assert [f.key for f in schema.facets] == ["client", "rating", "shot_on"]
    rating = schema.field("rating")
    assert rating is not None
    assert (rating.type, rating.ranged, rating.facet) == ("number", True, True)
    assert schema.field("usage") is not None
    assert schema.field("nope") is None
    assert not schema.strict


async def test_search_filters_ranges_and_facets_of_declared_fields(api: Client, accounts_pool: Any) -> None:
    await with_schema(api)
    written = {
        "early": {"client": "Tram Co", "rating": 2, "shot_on": "2026-01-05", "status": "draft"},
        "late": {"client": "Tram Co", "rating": 4.5, "shot_on": "2026-03-01T10:00:00Z"},
        "top": {"client": "Bus Co", "rating": 5},
    }
    ids = {(await create(api, metadata=metadata))["id"]: name for name, metadata in written.items()}
    # Searched once their bytes have arrived (a pending upload has no search document).
    await accounts_pool.execute(
        "UPDATE assets SET status = 'ready' WHERE id = ANY($1::uuid[])", [uuid.UUID(i) for i in ids]
    )

    async def search(**params: str) -> Any:
        answer = await api.get("/search", params={"status": "any", **params})
        assert answer.status_code == 200, answer.text
        return answer.json()

    async def found(**params: str) -> list[str]:
        return sorted(ids[item["id"]] for item in (await search(**params))["items"])

    assert await found(**{"meta.rating.min": "3"}) == ["late", "top"]
    assert await found(**{"meta.rating.min": "3", "meta.rating.max": "4.5"}) == ["late"]
    assert await found(**{"meta.shot_on.max": "2026-02-01"}) == ["early"]
    assert await found(**{"meta.shot_on.min": "2026-02-01"}) == ["late"]
    assert await found(**{"meta.status": "draft"}) == ["early"]
    counts = (await search(facets="meta.client"))["facets"]["meta.client"]
    assert [(c["value"], c["count"]) for c in counts] == [("Tram Co", 2), ("Bus Co", 1)]
    # A range of a field that is not a number or date, a facet of one not declared facet: 400.
    for params in ({"meta.client.min": "a"}, {"meta.colour.max": "1"}, {"facets": "meta.status"}):
        answer = await api.get("/search", params=params)
        assert answer.status_code == 400, (params, answer.text)


async def test_bulk_metadata_patches_are_validated_per_asset(api: Client) -> None:
    old = await create(api, metadata={"rating": "four"})  # before the schema: no client
    await with_schema(api, {**SCHEMA, "strict": True})
    kept = await create(api, metadata={"client": "Tram Co"})
    answer = await api.post("/assets/bulk", json={"ids": [kept["id"], old["id"]], "metadata": {"rating": 3}})
    assert answer.status_code == 200, answer.text
    results = {r["id"]: r for r in answer.json()["results"]}
    assert results[kept["id"]]["status"] == 200
    assert results[old["id"]]["status"] == 422
    assert results[old["id"]]["error"] == "metadata.client: required"
    assert (await api.get(f"/assets/{kept['id']}")).json()["metadata"] == {"client": "Tram Co", "rating": 3}
    for patch_, says in (
        ({"rating": "3"}, "metadata.rating: must be a number"),
        ({"colour": "red"}, "metadata.colour: not a field of this workspace's schema (strict)"),
        ({"client": None}, "metadata.client: required"),
    ):
        answer = await api.post("/assets/bulk", json={"ids": [kept["id"]], "metadata": patch_})
        (result,) = answer.json()["results"]
        assert (result["status"], result["error"]) == (422, says), answer.text
    # Tags alone do not touch metadata: an asset written before the schema takes them.
    answer = await api.post("/assets/bulk", json={"ids": [old["id"]], "add_tags": ["x"]})
    assert answer.json()["results"][0]["status"] == 200, answer.text
