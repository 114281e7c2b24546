"""``POST /assets/bulk``: many assets changed in one request and one transaction, each id answered
with its own status."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK
from msgspec import UNSET, Meta, UnsetType

from dam.api.access import policy
from dam.api.errors import responses, status_of
from dam.api.query import CLOSED
from dam.api.schemas import TagName
from dam.domain.access import Principal, Scope, needs
from dam.domain.bulk import MAX_IDS, Bulk, Outcome
from dam.services.bulk import BulkChanges

# Open to every member: what a role may not change is refused per id (403), beside the ids it may.
MEMBERS = {**policy(needs(Scope.READ)), CLOSED: True}

Tags = Annotated[
    list[TagName],
    Meta(
        description="Tags, matched in any case; one that breaks a rule is 422 for each asset it would change",
        examples=[["Lisbon", "trams"]],
    ),
]
CollectionRef = Annotated[
    uuid.UUID,
    Meta(description="A plain collection of the workspace (an unknown one is 404, a smart one 422)"),
]
Revision = Annotated[int, Meta(ge=1)]


class BulkChange(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``POST /assets/bulk``: the assets, and at least one thing to do to each of them. A field left
    out asks nothing; an empty one (`[]`, `{}`) is 422."""

    ids: Annotated[
        list[uuid.UUID],
        Meta(
            description=f"The assets, 1 to {MAX_IDS} (422 beyond); a repeated id is answered once",
            extra_json_schema={"minItems": 1, "maxItems": MAX_IDS},
        ),
    ]
    add_tags: Tags | UnsetType = UNSET
    remove_tags: Tags | UnsetType = UNSET
    metadata: (
        Annotated[
            dict[str, Any],
            Meta(
                description="A JSON merge patch merged into each asset's metadata as `PATCH /assets/{id}`"
                " merges it (`null` removes a key; `null` for the whole field removes all metadata)",
                examples=[{"client": {"job": 4412}, "draft": None}],
            ),
        ]
        | UnsetType
        | None
    ) = UNSET
    add_to: CollectionRef | None = None
    remove_from: CollectionRef | None = None
    delete: Annotated[
        bool,
        Meta(description="Delete the assets as `DELETE /assets/{id}` does; with no other change (422)"),
    ] = False
    revisions: (
        Annotated[
            dict[uuid.UUID, Revision],
            Meta(
                description="Change an asset only if it is still at this revision (its `ETag`), as"
                " `If-Match` does for one: 412 for that id otherwise. Keys must be among `ids`",
                examples=[{"0b6c3f52-8a1e-4a55-9d1b-5f8e0c2d7a41": 4}],
            ),
        ]
        | UnsetType
    ) = UNSET


class BulkResult(msgspec.Struct, kw_only=True):
    """One id's outcome."""

    id: uuid.UUID
    status: Annotated[
        int,
        Meta(
            description="200 changed, or already as asked; 403 the role may not change it; 404 unknown"
            " (another workspace's alike); 409 deleted; 412 not at the revision `revisions` names;"
            " 422 the change breaks a rule of this asset; 424 not changed, as the request is atomic"
            " and another id failed",
            examples=[200],
        ),
    ]
    error: Annotated[str, Meta(description="Why, when it was not changed")] | UnsetType = UNSET


class BulkResults(msgspec.Struct, kw_only=True):
    """Every id's outcome, in the order of `ids`."""

    results: list[BulkResult]


def result_out(outcome: Outcome) -> BulkResult:
    """The API's shape of one id's outcome."""
    if outcome.error is None:
        return BulkResult(id=outcome.id, status=HTTP_200_OK)
    return BulkResult(id=outcome.id, status=status_of(outcome.error), error=outcome.error.detail)


class BulkController(Controller):
    """Many assets at once."""

    path = "/assets"
    tags = ("assets",)

    @post(
        "/bulk", operation_id="bulkChangeAssets", status_code=HTTP_200_OK, opt=MEMBERS,
        responses=responses(400, 401, 403, 404, 413, 415, 422, 503), summary="Change many assets at once",
    )  # fmt: skip
    async def change(
        self,
        data: JSONBody[BulkChange],
        principal: NamedDependency[Principal],
        bulk: NamedDependency[BulkChanges],
        atomic: Annotated[
            bool,
            QueryParameter(description="Change nothing if any id would fail (the others answer 424)"),
        ] = False,
    ) -> BulkResults:
        """Tags added and removed, a metadata merge patch, a collection to add the assets to or take
        them out of, or deletion, for up to 1,000 assets; the ids that may be changed are changed
        in one transaction (a fault changes none), each answered with its own `status`.
        Contributors change their own assets (and any asset's collections), editors any; every
        change is audited as its one-asset route audits it. 404 names an unknown collection, 422 a
        request unusable as a whole (no ids, over 1,000, nothing to do, an empty field, deletion
        with another change, a smart collection)."""
        request = Bulk(
            ids=data.ids, add_tags=data.add_tags, remove_tags=data.remove_tags, metadata=data.metadata,
            add_to=data.add_to, remove_from=data.remove_from, delete=data.delete,
            revisions=data.revisions or {}, atomic=atomic,
        )  # fmt: skip
        outcomes = await bulk.change(principal, request)
        return BulkResults(results=[result_out(o) for o in outcomes])
