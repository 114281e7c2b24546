"""A workspace's metadata schema: typed fields that its assets' ``metadata`` is validated against on
write (pure rules; ``db/schema.py`` stores it, ``services/schema.py`` serves it, uploads and edits
apply it, search reads which fields it may facet and range-filter).

A schema is optional. Without one, ``metadata`` is schemaless (``domain/metadata.py`` keeps only its
structural rules). With one, each declared field types the top-level key of its ``key``:

=============  =======================================================================
``text``       a string
``number``     a JSON number (``true`` and ``false`` are not numbers)
``date``       a string holding an ISO date (``2026-12-09``) or an RFC 3339 timestamp
               (``2026-12-09T14:30:00Z``, ``...+01:00``, fractions of a second allowed)
``enum``       one of the field's ``options``
``multi_enum`` a list of distinct ``options`` (empty allowed)
``bool``       ``true`` or ``false``
=============  =======================================================================

``required`` fields must be present and not empty (``""`` and ``[]`` do not count); with ``strict``
a key no field declares is refused. ``facet`` marks the fields search facets and filters on (a
range, ``.min``/``.max``, for number and date fields). Values stay where they are, in the asset's
JSON object: a schema types them, it does not move them, and putting a new schema never rewrites
or revalidates existing assets. ``validate`` with ``before`` checks an edit: keys whose value the
edit left as it was are not checked again, so an asset written before the schema can still be
edited, while every required field must be present in the result.

Errors are ``InvalidInput`` (422), naming the field and why: ``metadata.rating: must be a number``.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime
from typing import Any, Literal, get_args

import msgspec

from dam.domain.errors import InvalidInput
from dam.domain.metadata import KEY_PATTERN, Metadata

FieldType = Literal["text", "number", "date", "enum", "multi_enum", "bool"]
FIELD_TYPES: tuple[str, ...] = get_args(FieldType)
WITH_OPTIONS = frozenset({"enum", "multi_enum"})
RANGED = frozenset({"number", "date"})
"""Types whose values are ordered: search filters them by range (``meta.<key>.min``/``.max``)."""

MAX_FIELDS = 200
MAX_LABEL = 200
MAX_OPTIONS = 500
MAX_OPTION = 200
_SHOWN_OPTIONS = 12  # an error lists at most this many options

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?!\n)$")
_TIMESTAMP = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?"
    r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})(?!\n)$"
)


class SchemaField(msgspec.Struct, frozen=True, kw_only=True, dict=True):
    """One declared field of a workspace's schema: the top-level metadata key it types."""

    key: str
    label: str
    type: FieldType
    options: tuple[str, ...] | None = None  # enum and multi_enum only
    required: bool = False
    facet: bool = False

    @property
    def ranged(self) -> bool:
        """Whether its values are ordered (number, date): range filters apply."""
        return self.type in RANGED

    @functools.cached_property
    def choices(self) -> frozenset[str]:
        """Its options as a set (empty for a field without options)."""
        return frozenset(self.options or ())


class MetadataSchema(msgspec.Struct, frozen=True, kw_only=True, dict=True):
    """A workspace's metadata schema; ``MetadataSchema()`` is no schema (nothing typed, nothing
    refused)."""

    fields: tuple[SchemaField, ...] = ()
    strict: bool = False

    def field(self, key: str) -> SchemaField | None:
        """The field declaring ``key``, or None."""
        return self._by_key.get(key)

    @property
    def facets(self) -> tuple[SchemaField, ...]:
        """The fields declared ``facet``, in the schema's order."""
        return tuple(f for f in self.fields if f.facet)

    @property
    def empty(self) -> bool:
        """Whether it types and refuses nothing (the schema of a workspace without one)."""
        return not self.fields and not self.strict

    @functools.cached_property
    def _by_key(self) -> dict[str, SchemaField]:
        return {f.key: f for f in self.fields}


EMPTY = MetadataSchema()


def check(schema: MetadataSchema) -> MetadataSchema:
    """``schema`` unchanged if it is a usable schema; ``InvalidInput`` naming the first broken rule."""
    if len(schema.fields) > MAX_FIELDS:
        raise InvalidInput(f"fields: a schema has at most {MAX_FIELDS} fields, not {len(schema.fields)}")
    seen: set[str] = set()
    for n, field in enumerate(schema.fields):
        where = f"fields[{n}]"
        if not KEY_PATTERN.match(field.key):
            raise InvalidInput(f"{where}.key: {_show(field.key)} must be 1 to 64 of A-Z a-z 0-9 _ . -")
        if field.key in seen:
            raise InvalidInput(f"{where}.key: {_show(field.key)} is declared twice")
        seen.add(field.key)
        if not field.label.strip() or len(field.label) > MAX_LABEL:
            raise InvalidInput(f"{where}.label: must be 1 to {MAX_LABEL} characters, not only spaces")
        _check_options(f"{where}.options", field)
    return schema


def _check_options(where: str, field: SchemaField) -> None:
    if field.type not in WITH_OPTIONS:
        if field.options is not None:
            raise InvalidInput(f"{where}: only enum and multi_enum fields have options, not {field.type}")
        return
    if not field.options:
        raise InvalidInput(f"{where}: {field.type} fields need a list of 1 to {MAX_OPTIONS} options")
    if len(field.options) > MAX_OPTIONS:
        raise InvalidInput(f"{where}: at most {MAX_OPTIONS} options, not {len(field.options)}")
    seen: set[str] = set()
    for n, option in enumerate(field.options):
        if not option or len(option) > MAX_OPTION:
            raise InvalidInput(f"{where}[{n}]: an option is 1 to {MAX_OPTION} characters")
        if option in seen:
            raise InvalidInput(f"{where}[{n}]: {_show(option)} is listed twice")
        seen.add(option)


def validate(schema: MetadataSchema, metadata: Metadata, *, before: Metadata | None = None) -> None:
    """Whether ``metadata`` (a whole object, as it is to be stored) keeps ``schema``; else
    ``InvalidInput`` naming the first field that does not, and why. With ``before`` (an edit: the
    metadata as it was), a key whose value is as it was is not checked again."""
    if schema.empty:
        return
    for key, value in metadata.items():
        if before is not None and key in before and _same(before[key], value):
            continue  # kept as it was: values written before the schema stay as they are
        field = schema.field(key)
        if field is None:
            if schema.strict:
                raise InvalidInput(f"metadata.{key}: not a field of this workspace's schema (strict)")
            continue
        problem = _CHECKS[field.type](field, value)
        if problem is not None:
            raise InvalidInput(f"metadata.{key}: {problem}")
    for field in schema.fields:
        if field.required and field.key not in metadata:
            raise InvalidInput(f"metadata.{field.key}: required")
        if field.required and metadata[field.key] in ("", []):
            raise InvalidInput(f"metadata.{field.key}: required, and must not be empty")


def is_date(value: str) -> bool:
    """Whether ``value`` is an ISO date (``YYYY-MM-DD``) or an RFC 3339 timestamp (seconds and an
    offset or ``Z`` included), and a real one (no 2026-02-30)."""
    try:
        if _DATE.match(value):
            date.fromisoformat(value)
            return True
        if _TIMESTAMP.match(value):
            datetime.fromisoformat(value.upper())
            return True
    except ValueError:
        return False
    return False


def _same(a: Any, b: Any) -> bool:
    """JSON-equal, type for type (Python has ``1 == 1.0 == True``)."""
    return bool(a == b) and msgspec.json.encode(a) == msgspec.json.encode(b)


def _text(field: SchemaField, value: Any) -> str | None:
    return None if isinstance(value, str) else "must be a string"


def _number(field: SchemaField, value: Any) -> str | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return None if ok else "must be a number"


def _date(field: SchemaField, value: Any) -> str | None:
    ok = isinstance(value, str) and is_date(value)
    return None if ok else "must be a date (YYYY-MM-DD or RFC 3339)"


def _enum(field: SchemaField, value: Any) -> str | None:
    if isinstance(value, str) and value in field.choices:
        return None
    return f"{_show(value)} is not one of {_options(field)}"


def _multi_enum(field: SchemaField, value: Any) -> str | None:
    if not isinstance(value, list):
        return f"must be a list of options (of {_options(field)})"
    seen: set[str] = set()
    for item in value:
        if not isinstance(item, str) or item not in field.choices:
            return f"{_show(item)} is not one of {_options(field)}"
        if item in seen:
            return f"{_show(item)} is listed twice"
        seen.add(item)
    return None


def _bool(field: SchemaField, value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


_CHECKS = {
    "text": _text,
    "number": _number,
    "date": _date,
    "enum": _enum,
    "multi_enum": _multi_enum,
    "bool": _bool,
}


def _options(field: SchemaField) -> str:
    options = field.options or ()
    shown = ", ".join(options[:_SHOWN_OPTIONS])
    more = len(options) - _SHOWN_OPTIONS
    return f"{shown}, ... ({more} more)" if more > 0 else shown


def _show(value: Any) -> str:
    """A value as JSON, cut short for an error message."""
    text = msgspec.json.encode(value).decode()
    return text if len(text) <= 80 else text[:77] + "..."
