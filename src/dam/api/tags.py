"""Tag routes: the workspace's tags most used first (members), renaming and deleting one (editors).

A tag is addressed by its name in any case, percent-encoded (``/tags/Rock%2FPop``; a ``/`` in a
name may also be sent as it is).
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, patch
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from dam.api import schemas as s
from dam.api.access import policy
from dam.api.errors import responses
from dam.api.query import CLOSED
from dam.domain.access import Principal, Scope, needs
from dam.domain.tags import TagSource
from dam.services.tags import Tags

READ = {**policy(needs(Scope.READ)), CLOSED: True}
EDIT_ANY = policy(needs(Scope.EDIT_ANY))
TagPath = Annotated[
    str,
    PathParameter(description="The tag's name, in any case (percent-encoded)", min_length=1, max_length=1024),
]


def _name(path: str) -> str:
    """The tag named by the path (a ``path`` parameter starts with its ``/``)."""
    return path[1:] if path.startswith("/") else path


class TagController(Controller):
    """A workspace's tags."""

    path = "/tags"
    tags = ("tags",)

    @get(
        "/", operation_id="listTags", opt=READ, responses=responses(400, 401, 403, 503),
        summary="List the workspace's tags, most used first",
    )  # fmt: skip
    async def listing(
        self,
        principal: NamedDependency[Principal],
        tags: NamedDependency[Tags],
        prefix: Annotated[
            str | None,
            QueryParameter(max_length=100, description="Only tags starting with this, in any case"),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000, description="How many at most")] = 100,
        source: Annotated[
            TagSource,
            QueryParameter(
                description=(
                    "Whose tags: people's (the default), model (enrichment's model tags, rejected ones"
                    " aside, by their lower-case name) or any (both, by lower-case name)"
                )
            ),
        ] = "people",
    ) -> s.TagPage:
        """Each tag as the workspace first wrote it and how many of its assets (deleted ones aside)
        carry it: most used first, then by name. With `source=model` or `any`, the models' tags too,
        counted from every asset's search document (slower on a very large workspace)."""
        found = await tags.listing(principal, prefix, limit, source)
        return s.TagPage(items=[s.TagOut(name=t.name, count=t.count) for t in found])

    @patch(
        "/{name:path}", operation_id="renameTag", opt=EDIT_ANY,
        responses=responses(400, 401, 403, 404, 413, 415, 422, 503), summary="Rename a tag (or merge it)",
    )  # fmt: skip
    async def rename(
        self,
        name: TagPath,
        data: JSONBody[s.RenameTag],
        principal: NamedDependency[Principal],
        tags: NamedDependency[Tags],
    ) -> s.TagOut:
        """Rename the tag on every asset that carries it (editors and up). Renamed to a tag the
        workspace has (in any case), the two merge: their assets carry that one, once. Each asset
        changed gets a new revision."""
        renamed = await tags.rename(principal, _name(name), data.name)
        return s.TagOut(name=renamed.name, count=renamed.count)

    @delete(
        "/{name:path}", operation_id="deleteTag", opt=EDIT_ANY, status_code=HTTP_204_NO_CONTENT,
        responses=responses(400, 401, 403, 404, 503), summary="Delete a tag everywhere",
    )  # fmt: skip
    async def remove(
        self, name: TagPath, principal: NamedDependency[Principal], tags: NamedDependency[Tags]
    ) -> None:
        """Remove the tag from every asset that carries it (editors and up); each gets a new revision."""
        await tags.delete(principal, _name(name))
