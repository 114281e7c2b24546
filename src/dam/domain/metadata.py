"""Custom metadata: how it is typed (the decision is written up in ``docs/concepts/metadata.md``).

An asset's ``metadata`` is a JSON object the service keeps as given (a ``jsonb`` column): schemaless
by default, so any client can attach what it knows without asking an administrator first. What
the service guarantees of it is structural, checked on every write: at most ``MAX_BYTES`` of JSON,
``MAX_DEPTH`` levels, no NUL anywhere, top-level keys matching ``KEY_PATTERN`` (so a key can be
named in a query, ``meta.<key>=``). A workspace may add a schema later: typed fields (text, number,
date, enum, multi_enum, bool) validated on write on top of these rules, and declared ``facet``
fields indexed for filters and facets. Values stay JSON in the record either way; a schema types
them, it does not move them.

``check`` states the rules; today ``POST /assets`` still applies the older, looser ones
(``validation.clean_metadata``: no NUL, the body's depth limit) so no client that works today breaks
before the release that adds editing, which applies these to both writes.
"""

from __future__ import annotations

import re
from typing import Any, TypeAlias

import msgspec

from dam.domain.errors import InvalidInput

Metadata: TypeAlias = dict[str, Any]
"""An asset's custom metadata: a JSON object (schemaless; see the module's note)."""

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
