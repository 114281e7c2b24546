"""Every malformed request gets a 4xx JSON error saying what is wrong, and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from dam.settings import GiB
from tests.support.flows import create, json_of

VALID = {"filename": "a.jpg", "content_type": "image/jpeg"}


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
        ("/assets/nope/complete", None),
        ("/assets/nope/upload", None),
    ]
    for path, body in cases:
        response = await api.post(path, json=body) if body is not None else await api.post(path)
        assert 400 <= response.status_code < 500, (path, body, response.text)
        assert json_of(response)["detail"]
    assert json_of(await api.get(f"/assets/{asset}"))["status"] == "pending_upload"
