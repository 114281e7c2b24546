"""Every malformed request gets a 4xx JSON error saying what is wrong, and changes nothing."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from dam.settings import GiB
from tests.support.flows import create, json_of

VALID = {"filename": "a.jpg", "content_type": "image/jpeg"}


def _cursor(stamp: str) -> str:
    """A cursor of the API's own format around ``stamp``."""
    raw = f"{stamp}|{uuid.uuid4()}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        pytest.param({**VALID, "colour": "red"}, 400, "unknown field", id="unknown-field"),
        pytest.param({"content_type": "image/jpeg"}, 400, "filename", id="missing-filename"),
        pytest.param({**VALID, "filename": "../etc/passwd"}, 422, "path separators", id="slash"),
        pytest.param({**VALID, "filename": "a\\b.jpg"}, 422, "path separators", id="backslash"),
        pytest.param({**VALID, "filename": "a\x00b.jpg"}, 422, "control characters", id="nul"),
        pytest.param({**VALID, "filename": "a\nb.jpg"}, 422, "control characters", id="newline"),
        pytest.param({**VALID, "filename": "é" * 128 + ".jpg"}, 422, "255 bytes", id="too-long"),
        pytest.param({**VALID, "filename": ".."}, 422, "'..'", id="dotdot"),
        pytest.param({**VALID, "filename": "   "}, 422, "empty", id="blank"),
        pytest.param({**VALID, "content_type": "text/plain"}, 422, "not accepted", id="type-not-allowed"),
        pytest.param({**VALID, "content_type": "application/pdf"}, 422, "not accepted", id="pdf"),
        pytest.param({**VALID, "content_type": "jpeg"}, 422, "media type", id="type-malformed"),
        pytest.param({**VALID, "size": -1}, 400, ">= 0", id="negative-size"),
        pytest.param({**VALID, "size": 6 * GiB}, 422, "exceeds", id="oversize"),
        pytest.param({**VALID, "sha256": "abc"}, 422, "64 hexadecimal", id="sha-short"),
        pytest.param({**VALID, "sha256": "g" * 64}, 422, "64 hexadecimal", id="sha-not-hex"),
        pytest.param({**VALID, "metadata": [1, 2]}, 400, "Expected `object", id="metadata-not-object"),
        pytest.param([VALID], 400, "Expected `object`", id="array-body"),
        pytest.param({**VALID, "metadata": {"a\x00b": 1}}, 422, "NUL", id="nul-in-metadata-key"),
        pytest.param({**VALID, "metadata": {"a": ["x\x00"]}}, 422, "NUL", id="nul-in-metadata-value"),
        pytest.param({**VALID, "size": "12"}, 400, "Expected `int | null`, got `str`", id="size-as-string"),
        pytest.param({**VALID, "size": "1e3"}, 400, "got `str`", id="size-as-exponent-string"),
        pytest.param({**VALID, "size": 1e3}, 400, "got `float`", id="size-as-float"),
        pytest.param({**VALID, "multipart": "true"}, 400, "Expected `bool`, got `str`", id="bool-as-string"),
        pytest.param({**VALID, "multipart": 1}, 400, "Expected `bool`, got `int`", id="bool-as-int"),
        pytest.param({**VALID, "content_type": "image/\u212a"}, 422, "not a media type", id="kelvin-sign"),
        pytest.param({**VALID, "content_type": " image/jpeg"}, 422, "not a media type", id="type-padded"),
        pytest.param({**VALID, "content_type": "image/jpeg\n"}, 422, "not a media type", id="type-newline"),
        pytest.param({**VALID, "sha256": "a" * 64 + "\n"}, 422, "64 hexadecimal", id="sha-newline"),
        pytest.param({**VALID, "filename": " a.jpg"}, 422, "whitespace", id="leading-space"),
        pytest.param({**VALID, "filename": "a.jpg "}, 422, "whitespace", id="trailing-space"),
        pytest.param({**VALID, "filename": "a\u2215b.jpg"}, 422, "looks like", id="division-slash"),
        pytest.param({**VALID, "filename": "a\uff3cb.jpg"}, 422, "looks like", id="fullwidth-backslash"),
        pytest.param({**VALID, "filename": "\u2025"}, 422, "looks like", id="two-dot-leader"),
    ],
)
async def test_create_rejects(api: AsyncTestClient[Any], body: Any, status: int, says: str) -> None:
    before = json_of(await api.get("/assets?limit=5"))
    response = await api.post("/assets", json=body)
    assert response.status_code == status, response.text
    error = json_of(response)
    assert error["status_code"] == status
    assert says in error["detail"], error
    assert json_of(await api.get("/assets?limit=5")) == before


JPEG = b'{"filename": "a.jpg", "content_type": "image/jpeg"'


@pytest.mark.parametrize(
    ("body", "says"),
    [
        pytest.param(
            JPEG + b', "metadata": {"a": ' + b"[" * 1000 + b"]" * 1000 + b"}}", "nested", id="deep-1000"
        ),
        pytest.param(JPEG + b', "metadata": {"a": ' + b"[" * 40 + b"]" * 40 + b"}}", "nested", id="deep-40"),
        pytest.param(b"[" * 1000 + b"]" * 1000, "Expected `object`", id="deep-array-body"),
        pytest.param(b'{"filename": "a\xff.jpg", "content_type": "image/jpeg"}', "UTF-8", id="invalid-utf8"),
        pytest.param(
            b'{"filename": "a\xed\xa0\x80.jpg", "content_type": "image/jpeg"}', "UTF-8", id="utf8-surrogate"
        ),
        pytest.param(
            b'{"filename": "a\\ud800.jpg", "content_type": "image/jpeg"}',
            "not valid JSON",
            id="lone-surrogate-escape",
        ),
        pytest.param(JPEG + b', "filename": "b.jpg"}', "more than once", id="repeated-key"),
        pytest.param(JPEG + b', "metadata": {"k": 1, "k": 2}}', "more than once", id="repeated-nested-key"),
        pytest.param(JPEG + b', "size": NaN}', "not valid JSON", id="nan"),
    ],
)
async def test_create_rejects_raw_bodies(api: AsyncTestClient[Any], body: bytes, says: str) -> None:
    before = json_of(await api.get("/assets?limit=5"))
    response = await api.post("/assets", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert says in json_of(response)["detail"]
    assert json_of(await api.get("/assets?limit=5")) == before


async def test_deep_json_is_refused_on_every_json_body(api: AsyncTestClient[Any]) -> None:
    asset = (await create(api, multipart=True, content_type="video/mp4"))["id"]
    deep = b'{"parts": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    for path in (
        "/assets",
        f"/assets/{asset}/upload",
        f"/assets/{asset}/complete",
        f"/assets/{asset}/reprocess",
    ):
        response = await api.post(path, content=deep, headers={"Content-Type": "application/json"})
        assert response.status_code == 400, (path, response.text)
        assert json_of(response)["error"] == "invalid_request"


@pytest.mark.parametrize(
    "content_type",
    [
        pytest.param("text/plain", id="text"),
        pytest.param("application/x-www-form-urlencoded", id="form"),
        pytest.param("application/json; charset=latin-1", id="json-not-utf8"),
        pytest.param(None, id="untyped"),
    ],
)
async def test_a_body_must_be_json(api: AsyncTestClient[Any], content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = await api.post("/assets", content=JPEG + b"}", headers=headers)
    assert response.status_code == 415, response.text
    assert json_of(response)["error"] == "unsupported_media_type"
    typed = await api.post(
        "/assets", content=JPEG + b"}", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert typed.status_code == 201, typed.text


async def test_non_json_body(api: AsyncTestClient[Any]) -> None:
    response = await api.post(
        "/assets", content=b"filename=a.jpg", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert json_of(response)["detail"]


async def test_huge_json_body(api: AsyncTestClient[Any]) -> None:
    body = (
        b'{"filename": "a.jpg", "content_type": "image/jpeg", "metadata": {"x": "' + b"y" * (2 << 20) + b'"}}'
    )
    response = await api.post("/assets", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert json_of(response)["error"] == "request_too_large"


@pytest.mark.parametrize(
    ("query", "says"),
    [
        pytest.param("cursor=not-a-cursor", "cursor", id="bad-cursor"),
        pytest.param("cursor=MjAyNnxub3BlCg", "cursor", id="cursor-bad-contents"),
        pytest.param("status=lost", "status", id="bad-status"),
        pytest.param("limit=0", "limit", id="limit-zero"),
        pytest.param("limit=100000", "limit", id="limit-huge"),
        pytest.param("limit=ten", "limit", id="limit-not-int"),
        pytest.param("sha256=xyz", "sha256", id="bad-sha256"),
        pytest.param("content_type=image/%00", "NUL", id="nul-in-type-filter"),
        pytest.param("content_type=image/jp*", "media type", id="bad-type-filter"),
        pytest.param("content_type=image%2F%E2%84%AA", "media type", id="kelvin-in-type-filter"),
        pytest.param(
            "cursor=" + _cursor("0001-01-01T00:00:00+14:00"), "cursor", id="cursor-before-utc-year-1"
        ),
        pytest.param("cursor=" + _cursor("9999-12-31T23:59:59-14:00"), "cursor", id="cursor-after-year-9999"),
        pytest.param("limit=1e2", "decimal digits", id="limit-exponent"),
        pytest.param("limit=10%0A", "decimal digits", id="limit-newline"),
        pytest.param("sha256=" + "a" * 64 + "%0A", "sha256", id="sha256-newline"),
        pytest.param("limit=%2B10", "decimal digits", id="limit-plus-sign"),
        pytest.param("limit=10&limit=20", "given 2 times", id="limit-repeated"),
        pytest.param("status=ready&status=failed", "given 2 times", id="status-repeated"),
        pytest.param("cursor=%00", "NUL", id="nul-in-cursor"),
    ],
)
async def test_list_rejects(api: AsyncTestClient[Any], query: str, says: str) -> None:
    response = await api.get(f"/assets?{query}")
    assert 400 <= response.status_code < 500, response.text
    assert says in response.text


async def test_upload_and_complete_reject_bad_bodies(api: AsyncTestClient[Any]) -> None:
    created = await create(api, multipart=True, content_type="video/mp4")
    asset = created["id"]
    cases = [
        (f"/assets/{asset}/upload", {"part_numbers": [0]}),
        (f"/assets/{asset}/upload", {"part_numbers": [10001]}),
        (f"/assets/{asset}/upload", {"parts": []}),
        (f"/assets/{asset}/complete", {"parts": [{"number": 1}]}),
        (f"/assets/{asset}/complete", {"parts": [{"number": 1, "etag": "a"}, {"number": 1, "etag": "b"}]}),
        (f"/assets/{asset}/complete", {"parts": "all"}),
        (f"/assets/{asset}/complete", {"parts": [{"number": 1, "etag": "abc\n"}]}),
        ("/assets/nope/complete", None),
        ("/assets/nope/upload", None),
    ]
    for path, body in cases:
        response = await api.post(path, json=body) if body is not None else await api.post(path)
        assert 400 <= response.status_code < 500, (path, body, response.text)
        assert json_of(response)["detail"]
    assert json_of(await api.get(f"/assets/{asset}"))["status"] == "pending_upload"


@pytest.mark.parametrize(
    ("path", "body", "key"),
    [
        pytest.param("/auth/login", {"email": "a\x00@b.c", "password": "secret"}, "email", id="login-email"),
        pytest.param(
            "/auth/login", {"email": "a@b.c", "password": "se\x00cret"}, "password", id="login-password"
        ),
        pytest.param(
            "/invitations", {"email": "n\x00@b.c", "role": "viewer"}, "email", id="invitation-email"
        ),
        pytest.param("/keys", {"role": "viewer", "name": "k\x00"}, "name", id="key-name"),
        pytest.param(
            "/upload-tokens",
            {"expires_in": 60, "content_types": ["image/jpeg", "image/\x00"]},
            "content_types[1]",
            id="token-type",
        ),
    ],
)
async def test_nul_anywhere_in_a_body_is_refused(
    api: AsyncTestClient[Any], path: str, body: dict[str, Any], key: str
) -> None:
    """PostgreSQL's text cannot hold NUL: every body refuses it before any query (once a 500)."""
    members = json_of(await api.get("/members"))
    response = await api.post(path, json=body)
    assert response.status_code == 422, response.text
    error = json_of(response)
    assert error["detail"].startswith(f"{key} must not contain NUL characters"), error
    assert json_of(await api.get("/members")) == members
