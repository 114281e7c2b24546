"""Checks on client-supplied names and types; pure functions, no I/O."""

from __future__ import annotations

import fnmatch
import re
import unicodedata
import uuid

from dam.domain.errors import InvalidInput, UnsupportedMedia

MAX_FILENAME_BYTES = 255
_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")
_SHA256_HEX = re.compile(r"^[0-9a-fA-F]{64}$")


def clean_filename(name: str) -> str:
    """Return the NFC form of a client's file name, or refuse it.

    Names are refused, not rewritten, so the client learns its name is unusable instead of
    finding a different one later: no path separators, control characters, ``.``/``..``,
    leading/trailing whitespace only, or more than 255 bytes of UTF-8.
    """
    name = unicodedata.normalize("NFC", name).strip()
    if not name:
        raise InvalidInput("filename must not be empty")
    if "/" in name or "\\" in name:
        raise InvalidInput("filename must not contain path separators ('/' or '\\')")
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} for ch in name):
        raise InvalidInput("filename must not contain control characters")
    if name in {".", ".."}:
        raise InvalidInput("filename must not be '.' or '..'")
    if len(name.encode()) > MAX_FILENAME_BYTES:
        raise InvalidInput(f"filename must be at most {MAX_FILENAME_BYTES} bytes of UTF-8")
    return name


def clean_content_type(value: str, allowed: tuple[str, ...]) -> str:
    """Return the lower-cased media type if it is well formed and allowed."""
    content_type = value.strip().lower()
    if not _CONTENT_TYPE.match(content_type):
        raise InvalidInput(f"content_type {value!r} is not a media type like 'image/jpeg'")
    if not accepts(content_type, allowed):
        raise UnsupportedMedia(
            f"content_type {content_type!r} is not accepted; allowed: {', '.join(allowed)}"
        )
    return content_type


def accepts(content_type: str, allowed: tuple[str, ...]) -> bool:
    """Whether a (lower-case) media type matches one of the allow-list's patterns (``image/*``)."""
    return any(fnmatch.fnmatchcase(content_type.lower(), pattern) for pattern in allowed)


def clean_sha256(value: str) -> str:
    """Return a declared SHA-256 as lower-case hex, or refuse it."""
    if not _SHA256_HEX.match(value):
        raise InvalidInput("sha256 must be 64 hexadecimal characters")
    return value.lower()


def parse_asset_id(value: str) -> uuid.UUID:
    """Parse an asset id from a path, refusing anything that is not a UUID."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput(f"{value[:64]!r} is not a valid asset id (a UUID)") from None


def storage_key(asset_id: uuid.UUID, filename: str) -> str:
    """Object key of an asset's original; derived from its id so clients cannot pick keys."""
    return f"originals/{asset_id}/{filename}"


def rendition_prefix(asset_id: uuid.UUID) -> str:
    """Key prefix under which an asset's renditions live."""
    return f"renditions/{asset_id}/"
