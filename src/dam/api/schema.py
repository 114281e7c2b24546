"""The workspace's metadata schema: members read it, admins replace it (``/workspace/schema``).

The body's shape (types, unknown fields) is checked as it is decoded (400); the schema's rules (key
names, options, sizes) by the service, as a 422 naming the field, as metadata's rules are."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get, put
from litestar.di import NamedDependency
from litestar.params import JSONBody
from msgspec import Meta

from dam.api.access import policy
from dam.api.errors import responses
from dam.domain import schema as rules
from dam.domain.access import Principal, Scope, needs
from dam.domain.schema import FieldType, MetadataSchema
from dam.services.schema import Schemas

READ = policy(needs(Scope.READ))
MANAGE = policy(needs(Scope.MANAGE))


class FieldBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A field of the schema: the top-level metadata key it types."""

    key: Annotated[
        str,
        Meta(
            description="The metadata key: 1 to 64 of `A-Z a-z 0-9 _ . -`, once per schema (422 otherwise)",
            extra_json_schema={"minLength": 1, "maxLength": 64},
            examples=["status"],
        ),
    ]
    label: Annotated[
        str,
        Meta(
            description=f"How people see it, 1 to {rules.MAX_LABEL} characters (422 otherwise)",
            extra_json_schema={"minLength": 1, "maxLength": rules.MAX_LABEL},
            examples=["Status"],
        ),
    ]
    type: Annotated[
        FieldType,
        Meta(
            description="text: a string; number: a JSON number; date: `YYYY-MM-DD` or an RFC 3339"
            " timestamp; enum: one of `options`; multi_enum: a list of distinct `options`; bool"
        ),
    ]
    options: (
        Annotated[
            list[str],
            Meta(
                description=f"enum and multi_enum only (and required there): 1 to {rules.MAX_OPTIONS}"
                f" distinct strings of 1 to {rules.MAX_OPTION} characters",
                extra_json_schema={"minItems": 1, "maxItems": rules.MAX_OPTIONS},
                examples=[["draft", "final"]],
            ),
        ]
        | None
    ) = None
    required: Annotated[
        bool, Meta(description="Every asset created must have it, not empty; an edit may not remove it")
    ] = False
    facet: Annotated[bool, Meta(description="Search facets it and filters it (by range: number, date)")] = (
        False
    )


class SchemaBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A workspace's metadata schema: the typed fields of its assets' `metadata`."""

    fields: Annotated[
        list[FieldBody],
        Meta(
            description=f"At most {rules.MAX_FIELDS}; none (and `strict` false): no schema",
            extra_json_schema={"maxItems": rules.MAX_FIELDS},
        ),
    ]
    strict: Annotated[
        bool, Meta(description="Refuse metadata keys no field declares (422 naming the key)")
    ] = False


def shown(schema: MetadataSchema) -> SchemaBody:
    """A schema as the API shows it."""
    return msgspec.convert(msgspec.to_builtins(schema), SchemaBody)


def received(body: SchemaBody) -> MetadataSchema:
    """A schema as the API received it (not yet checked)."""
    return msgspec.convert(msgspec.to_builtins(body), MetadataSchema)


class SchemaController(Controller):
    """``/workspace/schema``."""

    path = "/workspace/schema"
    tags = ("workspace",)

    @get(
        "/", operation_id="getWorkspaceSchema", opt=READ, responses=responses(400, 401, 403, 503),
        summary="The workspace's metadata schema",
    )  # fmt: skip
    async def read(
        self, principal: NamedDependency[Principal], schemas: NamedDependency[Schemas]
    ) -> SchemaBody:
        """The typed fields of the workspace's metadata (any member); `{"fields": [], "strict":
        false}` when it has none."""
        return shown(await schemas.get(principal))

    @put(
        "/", operation_id="replaceWorkspaceSchema", opt=MANAGE,
        responses=responses(400, 401, 403, 413, 415, 422, 503),
        summary="Replace the workspace's metadata schema",
    )  # fmt: skip
    async def replace(
        self,
        data: JSONBody[SchemaBody],
        principal: NamedDependency[Principal],
        schemas: NamedDependency[Schemas],
    ) -> SchemaBody:
        """Replace the schema whole (admins); answers it as stored. From then on `POST /assets` and
        `PATCH /assets/{id}` validate `metadata` against it (422 naming the field and why). Assets
        already stored are not revalidated. An empty one removes the schema."""
        return shown(await schemas.replace(principal, received(data)))
