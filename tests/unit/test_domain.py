"""Pure rules: names, types, upload planning, status transitions, settings."""

from __future__ import annotations

import uuid

import pytest

from dam.domain import uploads
from dam.domain.errors import InvalidInput, UnsupportedMedia
from dam.domain.status import AssetStatus, can_transition, sources_of
from dam.domain.validation import (
    asset_of_key,
    clean_content_type,
    clean_content_type_filter,
    clean_filename,
    clean_metadata,
    parse_asset_id,
    storage_key,
)
from dam.settings import GiB, MiB, SettingsError, load_settings

ALLOWED = ("image/*", "audio/*", "video/*")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("photo.jpg", "photo.jpg", id="plain"),
        pytest.param("spaced  name.png", "spaced  name.png", id="inner-spaces"),
        pytest.param("e\u0301te\u0301.jpg", "e\u0301te\u0301.jpg", id="nfd-kept-as-given"),
        pytest.param("\u00e9t\u00e9.jpg", "\u00e9t\u00e9.jpg", id="nfc-kept-as-given"),
        pytest.param("日本語.mp4", "日本語.mp4", id="unicode"),
        pytest.param("写真。jpg", "写真。jpg", id="ideographic-full-stop"),
        pytest.param("½ size.png", "½ size.png", id="vulgar-fraction"),
    ],
)
def test_clean_filename_keeps_names_exactly(name: str, expected: str) -> None:
    assert clean_filename(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("a/b", id="slash"),
        pytest.param("a\\b", id="backslash"),
        pytest.param("a\x7fb", id="del"),
        pytest.param("a\u202eb", id="bidi-override"),
        pytest.param("x" * 256, id="256-bytes"),
        pytest.param(".", id="dot"),
        pytest.param("", id="empty"),
        pytest.param(" photo.jpg", id="leading-space"),
        pytest.param("photo.jpg\t", id="trailing-tab"),
        pytest.param("a\u2215b.jpg", id="division-slash"),
        pytest.param("a\u2044b.jpg", id="fraction-slash"),
        pytest.param("a\uff0fb.jpg", id="fullwidth-solidus"),
        pytest.param("a\u29f5b.jpg", id="reverse-solidus-operator"),
        pytest.param("a\uff3cb.jpg", id="fullwidth-reverse-solidus"),
        pytest.param("photo\u2024jpg", id="one-dot-leader"),
        pytest.param("\u2025", id="two-dot-leader"),
        pytest.param("photo\uff0ejpg", id="fullwidth-full-stop"),
        pytest.param("\ud800.jpg", id="lone-surrogate"),
    ],
)
def test_clean_filename_refuses(name: str) -> None:
    with pytest.raises(InvalidInput):
        clean_filename(name)


def test_content_type_allow_list() -> None:
    assert clean_content_type("Image/JPEG", ALLOWED) == "image/jpeg"
    with pytest.raises(UnsupportedMedia):
        clean_content_type("text/html", ALLOWED)
    with pytest.raises(InvalidInput):
        clean_content_type("image/jpeg; charset=x", ALLOWED)
    # Allowed by the deployment, but no step processes it: refused up front, with the list.
    with pytest.raises(UnsupportedMedia, match=r"not a format the service processes; supported: image/jpeg"):
        clean_content_type("application/pdf", ("application/pdf",))
    with pytest.raises(UnsupportedMedia, match="image/heic"):
        clean_content_type("image/x-unknown", ALLOWED)
    assert clean_content_type("image/HEIC", ALLOWED) == "image/heic"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("image/\u212a", id="kelvin-sign-is-not-k"),
        pytest.param(" image/jpeg", id="leading-space"),
        pytest.param("image/jpeg\x00", id="nul"),
        pytest.param("image/j\u00e9pg", id="non-ascii"),
        pytest.param("image/jpeg\n", id="trailing-newline"),
    ],
)
def test_content_type_is_refused_not_rewritten(value: str) -> None:
    with pytest.raises(InvalidInput, match="not a media type"):
        clean_content_type(value, ("*/*",))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("image/*", "image/*", id="family"),
        pytest.param("Image/JPEG", "image/jpeg", id="exact-lowered"),
    ],
)
def test_content_type_filter(value: str, expected: str) -> None:
    assert clean_content_type_filter(value) == expected


@pytest.mark.parametrize("value", ["image/\x00", "*/*", "image", "image/\u212a", "image/jp*"])
def test_content_type_filter_refuses(value: str) -> None:
    with pytest.raises(InvalidInput):
        clean_content_type_filter(value)


@pytest.mark.parametrize(
    "metadata",
    [
        pytest.param({"a\x00": 1}, id="nul-in-key"),
        pytest.param({"a": "b\x00"}, id="nul-in-value"),
        pytest.param({"a": [{"b": ["\x00"]}]}, id="nul-deep"),
    ],
)
def test_metadata_without_nul(metadata: dict[str, object]) -> None:
    with pytest.raises(InvalidInput, match="NUL"):
        clean_metadata(metadata)
    assert clean_metadata({"a": [1, {"b": "c"}]}) == {"a": [1, {"b": "c"}]}


def test_storage_key_comes_from_the_id() -> None:
    asset = uuid.UUID("12345678-1234-4234-8234-123456789abc")
    assert storage_key(asset, "a b.jpg") == f"originals/{asset}/a b.jpg"
    with pytest.raises(InvalidInput):
        parse_asset_id("../../x")


@pytest.mark.parametrize(
    ("size", "requested", "expected"),
    [
        pytest.param(None, False, False, id="unknown-size"),
        pytest.param(64 * MiB, False, False, id="at-threshold"),
        pytest.param(64 * MiB + 1, False, True, id="above-threshold"),
        pytest.param(10, True, True, id="asked-for"),
    ],
)
def test_use_multipart(size: int | None, requested: bool, expected: bool) -> None:
    assert uploads.use_multipart(size, requested, 64 * MiB) is expected


def test_part_size_grows_to_stay_within_ten_thousand_parts() -> None:
    assert uploads.part_size_for(1 * GiB, 16 * MiB) == 16 * MiB
    huge = 5 * 1024 * GiB
    size = uploads.part_size_for(huge, 16 * MiB)
    assert size % MiB == 0
    assert 9_000 < (uploads.part_count(huge, size) or 0) <= uploads.MAX_PARTS


def test_parts_to_presign() -> None:
    assert uploads.parts_to_presign(4, {1, 3}, None) == [2, 4]
    assert uploads.parts_to_presign(4, set(), [3, 3, 1]) == [1, 3]
    assert uploads.parts_to_presign(None, {1, 2}, None) == list(range(3, 19))
    with pytest.raises(InvalidInput):
        uploads.parts_to_presign(4, set(), [5])


def test_status_transitions() -> None:
    assert can_transition(AssetStatus.PENDING_UPLOAD, AssetStatus.UPLOADED)
    assert not can_transition(AssetStatus.PENDING_UPLOAD, AssetStatus.READY)
    assert not can_transition(AssetStatus.DELETED, AssetStatus.UPLOADED)
    assert sources_of(AssetStatus.DELETED) == tuple(
        sorted(s for s in AssetStatus if s is not AssetStatus.DELETED)
    )


def test_settings_from_environment() -> None:
    settings = load_settings(
        {
            "DAM_PORT": "9000",
            "DAM_CORS_ORIGINS": "http://a.test, http://b.test",
            "DAM_S3_ENDPOINT_URL": "http://minio:9000",
            "DAM_S3_PUBLIC_URL": "http://localhost:9000/",
        }
    )
    assert settings.server.port == 9000
    assert settings.cors_origins() == ("http://a.test", "http://b.test")
    assert settings.s3.client_url == "http://localhost:9000"
    defaults = load_settings({})
    assert defaults.upload.max_upload_bytes == 5 * GiB
    assert defaults.upload.multipart_threshold == 64 * MiB
    assert defaults.s3.presign_ttl == 900
    assert defaults.cors_origins() == ("http://127.0.0.1:8000", "http://localhost:8000")
    assert defaults.s3.client_url == "http://127.0.0.1:8333"


@pytest.mark.parametrize(
    ("env", "names"),
    [
        pytest.param({"DAM_PORT": "http"}, "DAM_PORT", id="port-not-int"),
        pytest.param({"DAM_PRESIGN_TTL": "10"}, "DAM_PRESIGN_TTL", id="ttl-too-short"),
        pytest.param({"DAM_S3_BUCKET": "Bad_Bucket"}, "DAM_S3_BUCKET", id="bucket-name"),
        pytest.param({"DAM_MULTIPART_PART_SIZE": "1024"}, "DAM_MULTIPART_PART_SIZE", id="part-too-small"),
    ],
)
def test_settings_errors_name_the_variable(env: dict[str, str], names: str) -> None:
    with pytest.raises(SettingsError, match=names):
        load_settings(env)


def test_images_over_the_pixel_limit_are_refused_before_decoding() -> None:
    import io

    from PIL import Image

    from dam.domain.media import MediaRejected
    from dam.media.images import render_image

    buffer = io.BytesIO()
    Image.new("RGB", (300, 200)).save(buffer, "PNG")
    with pytest.raises(MediaRejected, match="exceeds the limit of 50000 pixels"):
        render_image(io.BytesIO(buffer.getvalue()), max_pixels=50_000)


def test_eps_is_not_an_accepted_image_format() -> None:
    import io

    from dam.domain.media import MediaRejected
    from dam.media.images import render_image

    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"
    with pytest.raises(MediaRejected, match="not a supported image"):
        render_image(io.BytesIO(eps))


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        pytest.param("originals/12345678-1234-4234-8234-123456789abc/a b.jpg", True, id="ours"),
        pytest.param("originals/12345678-1234-4234-8234-123456789abc", False, id="no-name"),
        pytest.param("renditions/12345678-1234-4234-8234-123456789abc/x.webp", False, id="rendition"),
        pytest.param("originals/not-a-uuid/a.jpg", False, id="not-a-uuid"),
        pytest.param("../../etc/passwd", False, id="traversal"),
        pytest.param("", False, id="empty"),
    ],
)
def test_asset_of_key(key: str, expected: bool) -> None:
    found = asset_of_key(key)
    assert (found == uuid.UUID("12345678-1234-4234-8234-123456789abc")) if expected else found is None
