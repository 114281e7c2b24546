"""Request bodies decoded strictly, exactly as the OpenAPI document states them.

Litestar reads any body as JSON whatever its ``Content-Type``, and converts the decoded values
leniently (``"12"`` becomes 12, ``"true"`` becomes true, a repeated key keeps the last). Here a
body is decoded once, straight into the handler's ``data`` type, with msgspec in strict mode:
JSON only (else 415), valid UTF-8, no repeated object keys, nesting bounded, no NUL character in any
string or key (PostgreSQL's text cannot hold one), types exact. The
handler's signature model then receives the finished value and passes it through unchanged.
"""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_415_UNSUPPORTED_MEDIA_TYPE
from litestar.types import Empty
from litestar.utils.typing import make_non_optional_union

from dam.domain.errors import InvalidInput

MAX_DEPTH = 32
"""Deepest nesting of arrays and objects a body may have (``metadata`` included)."""

_NUL = "must not contain NUL characters, control characters that cannot be stored"
_JSON_TYPE = re.compile(r"^application/(?:[a-z0-9.+-]+\+)?json$")
_AT = re.compile(r" - at `\$(?:\.|(?=\[))?(?P<path>[^`]*)`$")


class StrictRequest(Request[Any, Any, Any]):
    """A request whose JSON body is decoded strictly into the route's ``data`` type."""

    async def json(self) -> Any:
        """The body decoded into the handler's ``data`` type (empty bodies never get here)."""
        if self._json is Empty:
            body = await self.body()
            self._json = decode(body, self.content_type, _data_type(self))
        return self._json


def decode(body: bytes, content_type: tuple[str, dict[str, str]], target: Any) -> Any:
    """Decode a JSON request body into ``target``, refusing anything the contract does not allow."""
    media_type, options = content_type
    charset = options.get("charset", "utf-8").lower()
    if not _JSON_TYPE.match(media_type.lower()) or charset not in {"utf-8", "utf8"}:
        raise HTTPException(
            status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            detail=f"the body must be JSON (Content-Type: application/json), not {media_type or 'untyped'!r}",
        )
    try:
        value = msgspec.json.decode(body, type=target, strict=True)
    except msgspec.ValidationError as exc:
        raise _invalid(str(exc)) from None
    except msgspec.DecodeError as exc:
        raise ValidationException(f"the body is not valid JSON: {exc}") from None
    except UnicodeDecodeError:
        raise ValidationException("the body is not valid UTF-8") from None
    except RecursionError:
        raise ValidationException(f"the body is nested more than {MAX_DEPTH} levels deep") from None
    _check_keys_and_depth(body)
    return value


def _data_type(request: Request[Any, Any, Any]) -> Any:
    """The route's body type. An optional body is given by sending none: a JSON ``null`` is not
    the documented object, so it is refused like any other wrong type."""
    field = request.route_handler.parsed_fn_signature.parameters["data"]
    return make_non_optional_union(field.annotation) if field.is_optional else field.annotation


def _check_keys_and_depth(body: bytes) -> None:
    """msgspec keeps the last of repeated keys and bounds nesting only by the stack: refuse both,
    and NUL characters, which JSON can only write as an escape.

    The body is already known to be valid JSON of the right shape, so this second, plain pass
    only looks for what msgspec cannot report.
    """
    try:
        tree = json.loads(body, object_pairs_hook=_refuse_repeated_keys)
    except RecursionError:
        raise ValidationException(f"the body is nested more than {MAX_DEPTH} levels deep") from None
    if _depth(tree) > MAX_DEPTH:
        raise ValidationException(f"the body is nested more than {MAX_DEPTH} levels deep")
    if b"\\u0000" in body:
        _refuse_nul(tree)


def _refuse_nul(tree: Any) -> None:
    """Refuse a NUL character in any string or key (422, as other unusable values), naming where."""
    stack: list[tuple[Any, str]] = [(tree, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str) and "\x00" in node:
            raise InvalidInput(f"{path or 'the body'} {_NUL}")
        if isinstance(node, dict):
            for key, child in node.items():
                if "\x00" in key:
                    raise InvalidInput(f"{path or 'the body'} has a key with a NUL character: {_NUL}")
                stack.append((child, f"{path}.{key}" if path else key))
        elif isinstance(node, list):
            stack.extend((child, f"{path}[{index}]") for index, child in enumerate(node))


def _refuse_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValidationException(f"the body gives the key {key[:64]!r} more than once in one object")
        seen[key] = value
    return seen


def _depth(tree: Any) -> int:
    """How deeply arrays and objects nest (a scalar is 0), without recursion."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, level = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            return level
        stack.extend((child, level + 1) for child in children)
    return deepest


def _invalid(message: str) -> ValidationException:
    """A msgspec validation message (``Expected `int`, got `str` - at `$.size```) with its field."""
    match = _AT.search(message)
    key = match["path"] if match else None
    reason = message[: match.start()] if match else message
    extra = [{"message": reason, "key": key, "source": "body"}] if key else [{"message": reason}]
    return ValidationException(detail=reason, extra=extra)
