"""The service's OpenAPI document, from an application built in-process and never started: the
web app's TypeScript types are generated from it (``make api-types``), and a test checks that the
checked-in types still match it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import msgspec

from dam import settings
from dam.api.app import create_app


def openapi_document() -> dict[str, Any]:
    """The document the service serves at ``/docs/openapi.json``."""
    from litestar._openapi.plugin import OpenAPIPlugin

    app = create_app(settings.load_settings({}))
    document: dict[str, Any] = app.plugins.get(OpenAPIPlugin).provide_openapi_schema()
    return json.loads(msgspec.json.encode(document))  # type: ignore[no-any-return]


def main(argv: list[str]) -> None:
    """``python -m dam_dev.openapi OUT``: write the document to OUT (standard output without)."""
    text = json.dumps(openapi_document(), indent=2, sort_keys=True) + "\n"
    if argv:
        Path(argv[0]).parent.mkdir(parents=True, exist_ok=True)
        Path(argv[0]).write_text(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main(sys.argv[1:])
