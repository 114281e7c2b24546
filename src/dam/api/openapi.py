"""The OpenAPI document as the contract: finished once, when the application is built.

Litestar writes the paths, parameters and responses each route declares. Three things it states
less exactly than the service enforces are finished here, in one pass over the generated document:

- Schemas of the request and response bodies come from msgspec itself, which knows every constraint
  the decoder applies (Litestar drops ``minimum``/``pattern`` inside optional fields, and never says
  ``additionalProperties: false`` of a struct that refuses unknown fields).
- A route whose body is optional says so (``requestBody.required: false``).
- Every 503 documents its ``Retry-After`` header; every header its schema.
- A JSON merge patch's body is documented under its own media type too.

The finished document is the one Litestar serves at ``/docs/openapi.json``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import Any, get_args

import msgspec
from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute

from dam.api.access import POLICY

REF = "#/components/schemas/{name}"
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 1},
    }
}


def finish(app: Litestar, examples: dict[str, Any]) -> dict[str, Any]:
    """Finish the application's OpenAPI document in place (Litestar serves this same object);
    ``examples`` holds an example success answer by ``operationId``."""
    document: dict[str, Any] = app.plugins.get(OpenAPIPlugin).provide_openapi_schema()
    handlers = list(_documented_handlers(app))
    _security(document, handlers)
    _body_schemas_from_msgspec(document, handlers)
    _optional_bodies(document, handlers)
    _links_from_created_assets(document)
    for operation in _operations(document):
        _success_example(operation, examples.get(operation.get("operationId", "")))
        for code, response in operation.get("responses", {}).items():
            if code == "204":  # no content, also where the handler answers a Response (for its cookies)
                response.pop("content", None)
            if code == "302":  # a redirect (single sign-on): an empty body, the target in Location
                response.pop("content", None)
                response["headers"] = {
                    "Location": {"description": "Where the browser goes next", "schema": {"type": "string"}}
                }
            if code in {"503", "429"}:
                response["headers"] = {**response.get("headers", {}), **RETRY_AFTER}
            for header in response.get("headers", {}).values():
                header.setdefault("schema", {"type": "string"})
        _merge_patch(operation)
        for parameter in operation.get("parameters", []):
            parameter["schema"] = _not_null(parameter["schema"])
    return document


SECURITY_SCHEMES = {
    "apiKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key (`dam_live_...`): `Authorization: Bearer <key>`",
    },
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": "dam_session",
        "description": (
            "A browser session from `POST /auth/login`, where `DAM_PUBLIC_URL` is plain http (or unset);"
            " its writes send `X-CSRF-Token`"
        ),
    },
    "hostSession": {
        "type": "apiKey",
        "in": "cookie",
        "name": "__Host-dam_session",
        "description": (
            "The same browser session where `DAM_PUBLIC_URL` is https: a `__Host-` cookie (Secure,"
            " `Path=/`, no `Domain`), which no other host or plain-http page can set; its writes send"
            " `X-CSRF-Token`"
        ),
    },
}

# Each operation that needs credentials takes any one of these (the deployment uses one cookie).
SECURED: list[dict[str, list[str]]] = [{"apiKey": []}, {"session": []}, {"hostSession": []}]


def _security(document: dict[str, Any], handlers: list[tuple[str, HTTPRouteHandler]]) -> None:
    """Each operation states its credentials: a key or a session, or none (anonymous routes and
    those carrying an upload token or a share link in their path)."""
    document.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    for path, handler in handlers:
        rule = handler.opt.get(POLICY)
        open_route = rule is None or rule.anonymous or rule.share or "{token}" in path
        for method in handler.http_methods:
            operation = document["paths"].get(path, {}).get(str(method).lower())
            if operation is not None:
                operation["security"] = [] if open_route else [dict(item) for item in SECURED]


MERGE_PATCH = "application/merge-patch+json"
MERGE_PATCHES = frozenset({"updateAsset"})
"""Operations whose body is a JSON merge patch (RFC 7396): sent as its own media type or as JSON."""


def _merge_patch(operation: dict[str, Any]) -> None:
    content = operation.get("requestBody", {}).get("content", {})
    if operation.get("operationId") in MERGE_PATCHES and "application/json" in content:
        content[MERGE_PATCH] = content["application/json"]


def _success_example(operation: dict[str, Any], value: Any) -> None:
    for code, response in operation.get("responses", {}).items():
        media = response.get("content", {}).get("application/json")
        if code.startswith("2") and media is not None and value is not None:
            media["examples"] = {"example": {"summary": operation.get("summary", "example"), "value": value}}


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is present or absent, never JSON ``null``: drop the null alternative."""
    alternatives = schema.get("oneOf")
    if not alternatives or {"type": "null"} not in alternatives:
        return schema
    rest = [a for a in alternatives if a != {"type": "null"}]
    outer = {k: v for k, v in schema.items() if k != "oneOf"}
    return {**rest[0], **outer} if len(rest) == 1 else {**outer, "oneOf": rest}


def _documented_handlers(app: Litestar) -> Iterator[tuple[str, HTTPRouteHandler]]:
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if handler.resolve_include_in_schema():
                yield route.path_format, handler


def _body_schemas_from_msgspec(
    document: dict[str, Any], handlers: list[tuple[str, HTTPRouteHandler]]
) -> None:
    found: list[Any] = []
    for _, handler in handlers:
        signature = handler.parsed_fn_signature
        found.extend(_encodable(signature.return_type.annotation))
        for field in signature.parameters.values():
            found.extend(_encodable(field.annotation))
        for spec in (handler.responses or {}).values():
            found.extend(_encodable(spec.data_container))
    _, components = msgspec.json.schema_components(list(dict.fromkeys(found)), ref_template=REF)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(components)
    for schema in schemas.values():
        values = schema.get("enum")
        if values and "type" not in schema and all(isinstance(v, str) for v in values):
            schema["type"] = "string"  # msgspec leaves the type to the values; generators want it
    missing = sorted(_refs(document) - {REF.format(name=name) for name in schemas})
    if missing:
        raise RuntimeError(f"the OpenAPI document refers to schemas it does not define: {missing}")


def _encodable(annotation: Any) -> Iterator[Any]:
    """The types msgspec can describe inside an annotation (``Response[X]`` gives X)."""
    if annotation is None or annotation is type(None):
        return
    try:
        msgspec.json.schema(annotation)
    except (TypeError, ValueError):
        for inner in get_args(annotation):
            yield from _encodable(inner)
    else:
        if _mentions_struct_or_enum(annotation):
            yield annotation


def _mentions_struct_or_enum(annotation: Any) -> bool:
    if isinstance(annotation, type):
        return issubclass(annotation, msgspec.Struct | enum.Enum)
    return any(_mentions_struct_or_enum(inner) for inner in get_args(annotation))


def _optional_bodies(document: dict[str, Any], handlers: list[tuple[str, HTTPRouteHandler]]) -> None:
    for path, handler in handlers:
        data = handler.parsed_fn_signature.parameters.get("data")
        if data is None or not data.is_optional:
            continue
        for method in handler.http_methods:
            operation = document["paths"].get(path, {}).get(method.lower())  # path_format: /assets/{asset_id}
            if operation and "requestBody" in operation:
                body = operation["requestBody"]
                body["required"] = False
                # The object alone: sending no body is the way to say "none" (a JSON null is refused).
                for media in body.get("content", {}).values():
                    media["schema"] = _not_null(media["schema"])


# Operations that take the id ``createAsset`` answers with, for clients (and fuzzers) that follow links.
_BY_ASSET_ID = ("getAsset", "renewUpload", "completeUpload", "reprocessAsset", "deleteAsset")


def _links_from_created_assets(document: dict[str, Any]) -> None:
    created = next((op for op in _operations(document) if op.get("operationId") == "createAsset"), None)
    if created is None:
        return
    known = {op.get("operationId") for op in _operations(document)}
    created["responses"]["201"]["links"] = {
        name: {
            "operationId": name,
            "parameters": {"asset_id": "$response.body#/id"},
            "description": f"`{name}` of the asset just created",
        }
        for name in _BY_ASSET_ID
        if name in known
    }


def _operations(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            if method in {"get", "put", "post", "delete", "patch", "head", "options"}:
                yield operation


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str):
                found.add(ref)
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return found
