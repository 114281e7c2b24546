"""Log lines: JSON objects with ids as fields, and no secret in either format."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest

from dam import logs

pytestmark = pytest.mark.unit

SIGNED = (
    "http://s3.test/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=minio%2F20261207%2Fus-east-1"
    "&X-Amz-Date=20261207T000000Z&X-Amz-Signature=0123456789abcdef0123456789abcdef"
)


@pytest.fixture
def root() -> Iterator[None]:
    """Restore the root logger's handlers and level, and the excepthook, after a test configures them."""
    saved = logging.getLogger().handlers[:], logging.getLogger().level, sys.excepthook
    yield
    root = logging.getLogger()
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    sys.excepthook = saved[2]


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        pytest.param(SIGNED, "0123456789abcdef0123456789abcdef", id="presigned-signature"),
        pytest.param(SIGNED, "minio%2F20261207", id="presigned-credential"),
        pytest.param("key dam_live_Xk3v9QpL2aRRRRRRRRRR", "Xk3v9QpL2aRRRRRRRRRR", id="api-key"),
        pytest.param("/uploads/dam_up_QQQQQQQQQQ/s3/params", "QQQQQQQQQQ", id="upload-token"),
        pytest.param("/s/dam_sh_SSSSSSSSSS", "SSSSSSSSSS", id="share-link"),
        pytest.param(
            "/stream/zzzzzz.-.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/x", "AAAAAAAAAAAAAAAA", id="stream-token"
        ),
        pytest.param('{"email": "a@b.c", "password": "two words"}', "two words", id="json-password"),
        pytest.param("password=hunter22 next", "hunter22", id="password-field"),
        pytest.param("Authorization: Bearer abc.def", "abc.def", id="bearer"),
    ],
)
def test_redact_removes_the_secret(text: str, secret: str) -> None:
    assert secret not in logs.redact(text)
    assert logs.REDACTED in logs.redact(text)


def test_redact_leaves_ordinary_text_alone() -> None:
    text = 'asset 5b0c7bbf-3c37-4c1d-9ab4-bb5d1b1f5a7e: step probe ran for 0.12s "GET /s/{token}" 200'
    assert logs.redact(text) == text


def test_json_lines_carry_bound_ids_and_extra_fields(root: None) -> None:
    out = io.StringIO()
    logs.configure("worker:media", fmt="json", stream=out)
    log = logging.getLogger("dam.test")
    with logs.bind(asset_id="a1", job_id="j1"), logs.bind(step="probe"):
        log.info("fetched %s", SIGNED, extra={"attempt": 2})
    log.warning("outside")
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["process"] == "worker:media"
    assert (first["asset_id"], first["job_id"], first["step"], first["attempt"]) == ("a1", "j1", "probe", 2)
    assert (first["level"], first["logger"]) == ("INFO", "dam.test")
    assert "0123456789abcdef0123456789abcdef" not in first["message"]
    assert first["ts"].endswith("+00:00")
    assert "asset_id" not in second
    assert second["message"] == "outside"


def test_text_lines_stay_text_with_ids_appended(root: None) -> None:
    out = io.StringIO()
    logs.configure("api", fmt="text", stream=out)
    with logs.bind(request_id="r-1"):
        logging.getLogger("dam.test").info("key %s", "dam_live_abcdefabcdef")
    line = out.getvalue().strip()
    assert line.endswith("INFO dam.test: key dam_live_[redacted] [request_id=r-1]"), line
