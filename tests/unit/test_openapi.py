"""The OpenAPI document's promises, checked on the built application (no services are started)."""

from __future__ import annotations

from typing import Any, get_args

import msgspec
import pytest
from litestar import Litestar, Response
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute

from dam.api.app import create_app
from dam.settings import load_settings


@pytest.fixture(scope="module")
def app() -> Litestar:
    return create_app(load_settings({}))


@pytest.fixture(scope="module")
def document(app: Litestar) -> dict[str, Any]:
    served: dict[str, Any] = app.plugins.get(OpenAPIPlugin).provide_openapi_schema()
    return served


def _handlers(app: Litestar) -> dict[tuple[str, str], HTTPRouteHandler]:
    """Documented handlers by (path, method), as the document's paths name them."""
    found = {}
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                if handler.resolve_include_in_schema():
                    for method in handler.http_methods:
                        found[(route.path_format, str(method).lower())] = handler
    return found


def test_every_success_answer_has_an_example_of_its_own_type(app: Litestar, document: dict[str, Any]) -> None:
    handlers = _handlers(app)
    checked = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for code, response in operation["responses"].items():
                media = response.get("content", {}).get("application/json")
                if not code.startswith("2") or media is None:
                    continue
                assert "examples" in media, operation["operationId"]
                example = media["examples"]["example"]["value"]
                annotation = handlers[(path, method)].parsed_fn_signature.return_type.annotation
                if getattr(annotation, "__origin__", None) is Response:
                    annotation = get_args(annotation)[0]
                _decodes(example, annotation)
                checked += 1
    assert checked >= 30


def _decodes(example: Any, annotation: Any) -> None:
    """The example decodes strictly into the type; into one of its arms for a union of untagged
    structs (``GET /shares/{token}``: an asset's link or a collection's), which msgspec cannot
    decode as a whole."""
    encoded = msgspec.json.encode(example)
    try:
        msgspec.json.decode(encoded, type=annotation, strict=True)
    except TypeError:
        failures = []
        for arm in get_args(annotation):
            try:
                msgspec.json.decode(encoded, type=arm, strict=True)
            except msgspec.ValidationError as exc:
                failures.append(exc)
        assert len(failures) < len(get_args(annotation)), failures


def test_every_operation_states_its_credentials(app: Litestar, document: dict[str, Any]) -> None:
    from dam.api.access import POLICY

    handlers = _handlers(app)
    schemes = document["components"]["securitySchemes"]
    assert set(schemes) == {"apiKey", "session", "hostSession"}
    cookies = {schemes["session"]["name"], schemes["hostSession"]["name"]}
    assert cookies == {"dam_session", "__Host-dam_session"}
    for (path, method), handler in handlers.items():
        operation = document["paths"][path][method]
        rule = handler.opt[POLICY]
        if rule.anonymous or rule.share or rule.stream or path.startswith("/uploads/{token}"):
            assert operation["security"] == [], (path, method)
        else:
            secured = [{"apiKey": []}, {"session": []}, {"hostSession": []}]
            assert operation["security"] == secured, (path, method)
            assert {"401", "403"} <= set(operation["responses"]), (path, method)


def test_every_operation_is_named_tagged_and_documents_its_errors(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation["operationId"][0].islower(), (path, method)
            assert operation["tags"], (path, method)
            assert operation.get("description") or operation.get("summary"), (path, method)
            errors = [c for c in operation["responses"] if c[0] in "45"]
            for code in errors:
                content = operation["responses"][code]["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/ErrorBody"} or path == "/ready"
            if operation.get("requestBody"):
                assert {"400", "413", "415"} <= set(errors), (path, method)


def test_delete_answers_no_body_and_ids_are_uuids(document: dict[str, Any]) -> None:
    deleted = document["paths"]["/assets/{asset_id}"]["delete"]["responses"]["204"]
    assert "content" not in deleted
    (parameter,) = document["paths"]["/assets/{asset_id}"]["get"]["parameters"]
    assert parameter["schema"]["format"] == "uuid"


def test_refused_unknown_fields_and_limits_are_stated(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    create = schemas["CreateAsset"]
    assert create["additionalProperties"] is False
    assert create["properties"]["size"]["anyOf"][0]["minimum"] == 0
    assert create["properties"]["sha256"]["anyOf"][0]["pattern"] == "^[0-9a-fA-F]{64}(?!\\n)$"
    assert schemas["CompletedPart"]["properties"]["number"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 10000,
    }
    optional = document["paths"]["/assets/{asset_id}/complete"]["post"]["requestBody"]
    assert optional["required"] is False
