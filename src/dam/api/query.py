"""Query strings held to the contract: each parameter once, no NUL, integers written as integers,
and on the routes that say so (``CLOSED``), no parameter they do not declare.

Litestar converts query values leniently (``limit=1e2`` is 100) and keeps the last of repeated
parameters. This hook runs before every handler and refuses both, so a client learns at once
that ``?limit=10&limit=20`` or ``?limit=1e2`` is not what the document describes.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from litestar import Request
from litestar.exceptions import ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.params import ParameterKwarg, PathParameter
from litestar.typing import FieldDefinition
from litestar.utils.typing import make_non_optional_union

CLOSED = "dam.closed_query"
"""A route's ``opt`` key: its query takes only the parameters it declares (an unknown one is 400).
Routes others call with parameters of their own (single sign-on callbacks) leave it out."""
REPEATABLE = "dam.repeatable_query"
"""A route's ``opt`` key: the query parameters it takes more than once (a frozenset of names)."""
PATTERN = "dam.query_pattern"
"""A route's ``opt`` key: a compiled pattern of further parameter names a ``CLOSED`` route takes
(``meta.<key>`` of ``GET /search``); the handler reads and checks those itself."""
_INTEGER = re.compile(r"^-?[0-9]{1,18}$")
_NUMBER = re.compile(r"^-?[0-9]{1,15}(\.[0-9]{1,15})?$")
_MOMENT = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
_CACHE = "dam.query"


async def strict_query(request: Request[Any, Any, Any]) -> None:
    """Refuse repeated parameters, NUL characters and integers not written as decimal digits."""
    if not request.scope.get("query_string"):
        return
    params = request.query_params
    repeatable = request.route_handler.opt.get(REPEATABLE, frozenset())
    for name in params:
        values = params.getall(name)
        if len(values) > 1 and name not in repeatable:
            raise _refused(name, f"query parameter {name[:64]!r} is given {len(values)} times; give it once")
        if "\x00" in name or any("\x00" in v for v in values):
            raise _refused(name, "query parameters must not contain NUL characters")
    declared, formats, typed = _declared(request.route_handler)
    if request.route_handler.opt.get(CLOSED):
        _only(params, declared, request.route_handler.opt.get(PATTERN))
    for name in declared:
        value = params.get(name)
        if value == "null" and name in typed:  # Litestar would read it as "not given"
            raise _refused(name, f"query parameter {name!r} has no value 'null': leave it out instead")
        if value is not None and name in formats and not formats[name][0].fullmatch(value):
            raise _refused(name, f"query parameter {name!r} must be {formats[name][1]}, not {value[:32]!r}")


def _only(params: Any, declared: frozenset[str], pattern: re.Pattern[str] | None) -> None:
    """Refuse a parameter the route does not declare (nor match by its ``pattern``)."""
    for name in params:
        if name not in declared and not (pattern is not None and pattern.match(name)):
            takes = ", ".join(sorted(declared)) or "none"
            if pattern is not None:
                takes += f", and names matching {pattern.pattern}"
            raise _refused(name, f"unknown query parameter {name[:64]!r}; this route takes {takes}")


def _refused(name: str, message: str) -> ValidationException:
    return ValidationException(
        detail=message, extra=[{"message": message, "key": name[:64], "source": "query"}]
    )


Formats = dict[str, tuple[re.Pattern[str], str]]
# How a value of each type must be written (Litestar would take ``1e2`` for 100 and ``0.5`` for a
# moment of 1970).
_FORMATS: dict[Any, tuple[re.Pattern[str], str]] = {
    int: (_INTEGER, "an integer in decimal digits"),
    float: (_NUMBER, "a decimal number"),
    datetime: (_MOMENT, "an RFC 3339 date and time, e.g. 2024-05-01T00:00:00Z"),
}


def _declared(handler: Any) -> tuple[frozenset[str], Formats, frozenset[str]]:
    """The handler's query parameters, how those that are not text must be written, and which are
    not plain strings (worked out once per handler)."""
    # Kept on the handler itself (its own ``opt`` dict): a process may build several apps (tests).
    found: tuple[frozenset[str], Formats, frozenset[str]] | None = handler.opt.get(_CACHE)
    if found is None:
        fields = handler.parsed_fn_signature.parameters if isinstance(handler, HTTPRouteHandler) else {}
        dependencies = handler.resolve_dependencies() if isinstance(handler, HTTPRouteHandler) else {}
        query = {
            (field.kwarg_definition.name or name)
            if isinstance(field.kwarg_definition, ParameterKwarg)
            else name: field
            for name, field in fields.items()
            if name not in dependencies
            and isinstance(field.kwarg_definition, ParameterKwarg)
            and not isinstance(field.kwarg_definition, PathParameter)
            and not (field.kwarg_definition.header or field.kwarg_definition.cookie)
        }
        found = (
            frozenset(query),
            {n: _FORMATS[_type_of(f)] for n, f in query.items() if _type_of(f) in _FORMATS},
            frozenset(n for n, f in query.items() if _type_of(f) is not str),
        )
        handler.opt[_CACHE] = found
    return found


def _type_of(field: FieldDefinition) -> Any:
    """A parameter's type, without the ``| None`` of an optional one."""
    return make_non_optional_union(field.annotation) if field.is_optional else field.annotation
