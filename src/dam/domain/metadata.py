"""Custom metadata: how it is typed (the decision is written up in ``docs/concepts/metadata.md``).

An asset's ``metadata`` is a JSON object the service keeps as given (a ``jsonb`` column): schemaless
by default, so any client can attach what it knows without asking an administrator first. What
the service guarantees of it is structural, checked on every write: at most ``MAX_BYTES`` of JSON,
``MAX_DEPTH`` levels, no NUL anywhere, top-level keys matching ``KEY_PATTERN`` (so a key can be
named in a query, ``meta.<key>=``). A workspace may add a schema later: typed fields (text, number,
date, enum, multi_enum, bool) validated on write on top of these rules, and declared ``facet``
fields indexed for filters and facets. Values stay JSON in the record either way; a schema types
them, it does not move them.

``check`` states the rules; ``POST /assets`` and ``PATCH /assets/{id}`` apply them. An edit is a
JSON merge patch (RFC 7396, ``merge_patch``): ``null`` removes a key, objects merge key by key,
anything else replaces. ``title`` and ``description`` are plain text of at most ``MAX_TITLE`` and
``MAX_DESCRIPTION`` characters.
"""

from __future__ import annotations

import re
from typing import Any, TypeAlias

import msgspec
from msgspec import UNSET, UnsetType

from dam.domain import tags as tag_rules
from dam.domain.errors import InvalidInput, PreconditionFailed

Metadata: TypeAlias = dict[str, Any]
"""An asset's custom metadata: a JSON object (schemaless; see the module's note)."""

MAX_TITLE = 500
MAX_DESCRIPTION = 10_000
MAX_BYTES = 64 * 1024
MAX_DEPTH = 8
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,64}(?!\n)$")


def check(metadata: Metadata) -> Metadata:
    """``metadata`` unchanged if it keeps the rules above; ``InvalidInput`` naming the first broken."""
    for key in metadata:
        if not KEY_PATTERN.match(key):
            raise InvalidInput(f"metadata key {key[:64]!r} must be 1 to 64 of A-Z a-z 0-9 _ . -")
    if len(msgspec.json.encode(metadata)) > MAX_BYTES:
        raise InvalidInput(f"metadata must be at most {MAX_BYTES // 1024} KiB of JSON")
    _walk(metadata)
    return metadata


def _walk(value: Any) -> None:
    """Depth and NUL, iteratively (a deep value never recurses)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise InvalidInput(f"metadata must be nested at most {MAX_DEPTH} levels deep")
            children = list(item.items()) if isinstance(item, dict) else [(None, v) for v in item]
            for key, child in children:
                if isinstance(key, str) and "\x00" in key:
                    raise InvalidInput("metadata keys must not contain NUL characters")
                stack.append((child, depth + 1))
        elif isinstance(item, str) and "\x00" in item:
            raise InvalidInput("metadata values must not contain NUL characters")


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: ``target`` with ``patch`` applied (neither is changed). A patch that is not an
    object replaces the target; in an object, ``null`` removes the key and any other value is
    merged into the target's value of that key."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def check_text(field: str, value: str | None, limit: int) -> str | None:
    """A title or description as given, or ``InvalidInput`` when longer than ``limit`` characters."""
    if value is not None and len(value) > limit:
        raise InvalidInput(f"{field} must be at most {limit} characters, not {len(value)}")
    return value


class Editable(msgspec.Struct, frozen=True, kw_only=True):
    """An asset's fields its editors change, as they are to be stored."""

    title: str | None
    description: str | None
    tags: list[str]
    metadata: Metadata


class Edit(msgspec.Struct, frozen=True, kw_only=True):
    """A merge patch of an asset's editable fields: what is left ``UNSET`` stays as it is;
    ``None`` removes (a title, the description, every tag, all metadata)."""

    title: str | UnsetType | None = UNSET
    description: str | UnsetType | None = UNSET
    tags: list[str] | UnsetType | None = UNSET
    metadata: dict[str, Any] | UnsetType | None = UNSET


def apply(current: Editable, edit: Edit) -> Editable:
    """``current`` with ``edit`` applied and checked (``InvalidInput`` naming the first broken
    rule); its tags cleaned and without repeats, not yet named as the workspace names them."""
    title = current.title if isinstance(edit.title, UnsetType) else edit.title
    description = current.description if isinstance(edit.description, UnsetType) else edit.description
    tags = current.tags if isinstance(edit.tags, UnsetType) else tag_rules.clean_list(edit.tags or [])
    metadata = current.metadata
    if not isinstance(edit.metadata, UnsetType):
        # RFC 7396: null removes every key; an object (even an empty one) merges key by key.
        metadata = check(merge_patch(current.metadata, edit.metadata) if edit.metadata is not None else {})
    return Editable(
        title=check_text("title", title, MAX_TITLE),
        description=check_text("description", description, MAX_DESCRIPTION),
        tags=tags,
        metadata=metadata,
    )


_MISSING = object()


def changes(before: Editable, after: Editable) -> dict[str, list[str]]:
    """What an edit changed, for its audit entry: the fields, and the top-level metadata keys
    (empty: nothing changed)."""
    fields = [
        name
        for name in ("title", "description", "tags", "metadata")
        if getattr(before, name) != getattr(after, name)
    ]
    if not fields:
        return {}
    keys = sorted(
        k for k in {*before.metadata, *after.metadata}
        if before.metadata.get(k, _MISSING) != after.metadata.get(k, _MISSING)
    )  # fmt: skip
    return {"changed": fields, "metadata_keys": keys} if keys else {"changed": fields}


def etag(revision: int) -> str:
    """The ``ETag`` of an asset at ``revision``."""
    return f'"{revision}"'


def precondition(if_match: str | None, revision: int) -> None:
    """``If-Match`` holds for an asset at ``revision`` (absent: it holds), else ``PreconditionFailed``.
    Strong comparison (RFC 9110): a weak tag never matches; ``*`` matches an asset that exists."""
    if if_match is None:
        return
    given = [tag.strip() for tag in if_match.split(",")]
    if "*" not in given and etag(revision) not in given:
        raise PreconditionFailed(
            f"the asset is at revision {revision} (ETag {etag(revision)}), not the one If-Match names"
            f" ({if_match[:80]}): read it again and re-apply the change"
        )
