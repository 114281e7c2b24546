"""Collection routes: the workspace's tree of collections and each one's ordered members."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT
from msgspec import Meta

from dam.api.access import policy
from dam.api.assets import Limit
from dam.api.errors import responses
from dam.domain.access import Principal, Scope, needs
from dam.domain.assets import AssetSummary
from dam.domain.collections import MAX_DESCRIPTION, MAX_IDS, MAX_NAME, MAX_QUERY, Change, Collection
from dam.domain.validation import parse_id
from dam.services.collections import Changed, Collections, Listed

READ = policy(needs(Scope.READ))
WRITE = policy(needs(Scope.EDIT_OWN))
WITH_BODY = responses(400, 401, 403, 404, 409, 413, 415, 422, 503)
BY_ID = responses(400, 401, 403, 404, 422, 503)

CollectionId = Annotated[
    str, PathParameter(description="The collection's id (a UUID)", schema_extra={"format": "uuid"})
]
Name = Annotated[
    str, Meta(min_length=1, max_length=MAX_NAME, description="Not only whitespace, no control characters")
]
Description = Annotated[str, Meta(max_length=MAX_DESCRIPTION)]
AssetIds = Annotated[
    list[uuid.UUID],
    Meta(description=f"Asset ids, at most {MAX_IDS} per call (422 beyond); duplicates count once"),
]


class NewCollection(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``POST /collections``."""

    name: Name
    description: Description = ""
    parent_id: Annotated[uuid.UUID, Meta(description="The collection it sits in (none: the top)")] | None = (
        None
    )
    query: (
        Annotated[
            str,
            Meta(
                max_length=MAX_QUERY,
                description="Makes a smart collection: no members of its own, its members are what this"
                " query string of `GET /search` finds",
            ),
        ]
        | None
    ) = None


class CollectionChange(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``PATCH /collections/{id}``: the fields given change, the others stay."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET
    parent_id: (
        Annotated[uuid.UUID, Meta(description="Move it below this one; null moves it to the top")]
        | msgspec.UnsetType
        | None
    ) = msgspec.UNSET


class AssetIdList(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The assets a change of members names."""

    asset_ids: AssetIds


class MoveAssets(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``POST /collections/{id}/assets/move``."""

    asset_ids: AssetIds
    before: Annotated[uuid.UUID, Meta(description="The member they go just before; null: to the end")] | None


class CollectionOut(msgspec.Struct, kw_only=True):
    """A collection; `asset_count` is null for a smart collection (its members are a search)."""

    id: uuid.UUID
    name: str
    description: str
    parent_id: uuid.UUID | None
    query: str | None
    asset_count: int | None
    created_at: datetime
    updated_at: datetime


class CollectionNode(msgspec.Struct, kw_only=True):
    """A collection in the workspace's tree; `cover` is its first member's thumbnail (presigned)."""

    id: uuid.UUID
    name: str
    parent_id: uuid.UUID | None
    asset_count: int | None
    cover: str | None


class CollectionTree(msgspec.Struct, kw_only=True):
    """Every collection of the workspace, flat: `parent_id` draws the tree."""

    items: list[CollectionNode]


class MemberPage(msgspec.Struct, kw_only=True):
    """A page of a collection's members, in its order."""

    items: list[AssetSummary]
    next_cursor: str | None


class MembersChanged(msgspec.Struct, kw_only=True):
    """What a change of members did: `changed` lists the assets it added, removed or moved."""

    changed: list[uuid.UUID]
    asset_count: int


def collection_out(found: Collection) -> CollectionOut:
    """The API's shape of a collection."""
    return CollectionOut(
        id=found.id, name=found.name, description=found.description, parent_id=found.parent_id,
        query=found.query, asset_count=found.asset_count, created_at=found.created_at,
        updated_at=found.updated_at,
    )  # fmt: skip


def node_out(listed: Listed) -> CollectionNode:
    """The API's shape of a collection in the tree."""
    node = listed.node
    return CollectionNode(
        id=node.id, name=node.name, parent_id=node.parent_id, asset_count=node.asset_count, cover=listed.cover
    )


def changed_out(changed: Changed) -> MembersChanged:
    """The API's shape of a change of members."""
    return MembersChanged(changed=changed.changed, asset_count=changed.asset_count)


def _id(value: str) -> uuid.UUID:
    return parse_id(value, "collection id")


class CollectionController(Controller):
    """Nested collections and their members."""

    path = "/collections"
    tags = ("collections",)

    @post(
        "/", operation_id="createCollection", status_code=HTTP_201_CREATED, opt=WRITE,
        responses=responses(400, 401, 403, 404, 413, 415, 422, 503), summary="Make a collection",
    )  # fmt: skip
    async def create(
        self,
        data: JSONBody[NewCollection],
        principal: NamedDependency[Principal],
        collections: NamedDependency[Collections],
    ) -> CollectionOut:
        """Contributors and up. At the top, or below `parent_id` (404 if the workspace has no such
        collection); with `query`, a smart collection, which has no members of its own."""
        made = await collections.create(
            principal,
            name=data.name,
            description=data.description,
            parent_id=data.parent_id,
            search=data.query,
        )
        return collection_out(made)

    @get("/", operation_id="listCollections", opt=READ, responses=responses(400, 401, 403, 503),
         summary="The workspace's collections")  # fmt: skip
    async def tree(
        self, principal: NamedDependency[Principal], collections: NamedDependency[Collections]
    ) -> CollectionTree:
        """Every collection of the workspace as a flat list, oldest first (`parent_id` draws the
        tree), with its member count and cover thumbnail."""
        return CollectionTree(items=[node_out(n) for n in await collections.tree(principal)])

    @get("/{collection_id:str}", operation_id="getCollection", opt=READ, responses=BY_ID,
         summary="Get a collection")  # fmt: skip
    async def read(
        self, collection_id: CollectionId, principal: NamedDependency[Principal],
        collections: NamedDependency[Collections],
    ) -> CollectionOut:  # fmt: skip
        """One collection (another workspace's is 404, as an unknown one)."""
        return collection_out(await collections.read(principal, _id(collection_id)))

    @patch("/{collection_id:str}", operation_id="changeCollection", opt=WRITE, responses=WITH_BODY,
           summary="Rename, describe or move a collection")  # fmt: skip
    async def change(
        self, collection_id: CollectionId, data: JSONBody[CollectionChange],
        principal: NamedDependency[Principal], collections: NamedDependency[Collections],
    ) -> CollectionOut:  # fmt: skip
        """Its maker (contributors) or an editor. A move below itself or below a collection under it
        would make a cycle: 422."""
        change = Change(name=data.name, description=data.description, parent_id=data.parent_id)
        return collection_out(await collections.change(principal, _id(collection_id), change))

    @delete("/{collection_id:str}", operation_id="deleteCollection", status_code=HTTP_204_NO_CONTENT,
            opt=WRITE, responses=responses(400, 401, 403, 404, 409, 422, 503),
            summary="Delete a collection")  # fmt: skip
    async def remove(
        self, collection_id: CollectionId, principal: NamedDependency[Principal],
        collections: NamedDependency[Collections],
        recursive: Annotated[
            bool, QueryParameter(description="Also delete the collections below it")
        ] = False,
    ) -> None:  # fmt: skip
        """Its maker (contributors) or an editor. One with collections below it is 409 unless
        `recursive=true`, which deletes them too. Assets are never deleted with a collection."""
        await collections.delete(principal, _id(collection_id), recursive=recursive)

    @get("/{collection_id:str}/assets", operation_id="listCollectionAssets", opt=READ, responses=BY_ID,
         summary="A collection's members, in order")  # fmt: skip
    async def members(
        self, collection_id: CollectionId, principal: NamedDependency[Principal],
        collections: NamedDependency[Collections], limit: Limit = 50,
        cursor: Annotated[
            str | None, QueryParameter(max_length=512, description="`next_cursor` of the previous page")
        ] = None,
    ) -> MemberPage:  # fmt: skip
        """Keyset-paginated in the collection's order (a cursor is bound to its collection; members
        added meanwhile come at the end). Deleted assets are left out. A smart collection lists what
        its query finds."""
        page = await collections.members(principal, _id(collection_id), cursor=cursor, limit=limit)
        return MemberPage(items=page.items, next_cursor=page.next_cursor)

    @post("/{collection_id:str}/assets", operation_id="addCollectionAssets", status_code=200, opt=WRITE,
          responses=WITH_BODY, summary="Add assets at the end of a collection")  # fmt: skip
    async def add(
        self, collection_id: CollectionId, data: JSONBody[AssetIdList], principal: NamedDependency[Principal],
        collections: NamedDependency[Collections],
    ) -> MembersChanged:  # fmt: skip
        """Contributors and up, in the given order (members already: no change). An id that is not
        an asset of the workspace (unknown, deleted, another workspace's) is 404 and adds nothing;
        a smart collection is 409."""
        return changed_out(await collections.add(principal, _id(collection_id), data.asset_ids))

    @delete("/{collection_id:str}/assets", operation_id="removeCollectionAssets", status_code=200, opt=WRITE,
            responses=WITH_BODY, summary="Remove assets from a collection")  # fmt: skip
    async def remove_members(
        self, collection_id: CollectionId, data: JSONBody[AssetIdList], principal: NamedDependency[Principal],
        collections: NamedDependency[Collections],
    ) -> MembersChanged:  # fmt: skip
        """Contributors and up; ids that are not members change nothing. The assets stay."""
        return changed_out(await collections.remove(principal, _id(collection_id), data.asset_ids))

    @post("/{collection_id:str}/assets/move", operation_id="moveCollectionAssets", status_code=200, opt=WRITE,
          responses=WITH_BODY, summary="Reorder a collection's members")  # fmt: skip
    async def move(
        self, collection_id: CollectionId, data: JSONBody[MoveAssets], principal: NamedDependency[Principal],
        collections: NamedDependency[Collections],
    ) -> MembersChanged:  # fmt: skip
        """Contributors and up: the members named, in the given order, go just before `before`
        (null: to the end). Ids that are not members are 404."""
        moved = await collections.move(principal, _id(collection_id), data.asset_ids, data.before)
        return changed_out(moved)
