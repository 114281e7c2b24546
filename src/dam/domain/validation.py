"""Checks on client-supplied names and types; pure functions, no I/O."""

from __future__ import annotations

import fnmatch
import re
import unicodedata
import uuid
from typing import Any
from urllib.parse import quote

from dam.domain import formats
from dam.domain.errors import InvalidInput, UnsupportedMedia

MAX_FILENAME_BYTES = 255
_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")
_SHA256_HEX = re.compile(r"^[0-9a-fA-F]{64}$")
_ORIGINAL = re.compile(r"originals/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/[^/]+")


def clean_filename(name: str) -> str:
    """Return a client's file name exactly as given, or refuse it.

    Names are refused, never rewritten (no trimming, no Unicode normalization), so the client
    learns its name is unusable instead of finding a different one later: not empty, no leading
    or trailing whitespace, no path separators, and no character that looks like one or like a
    dot (U+2215 division slash, U+FF0F fullwidth solidus, U+2024 one dot leader, U+2026 ellipsis:
    anything Unicode compatibility-maps to ``/``, ``\\`` or ``.``), no control or format
    characters, not ``.`` or ``..``, at most 255 bytes of UTF-8.
    """
    if not name.strip():
        raise InvalidInput("filename must not be empty or only whitespace")
    if name != name.strip():
        raise InvalidInput("filename must not begin or end with whitespace")
    if "/" in name or "\\" in name:
        raise InvalidInput("filename must not contain path separators ('/' or '\\')")
    if any(unicodedata.category(ch) in _CONTROL for ch in name):
        raise InvalidInput("filename must not contain control characters")
    if lookalike := next((ch for ch in name if _looks_like_separator_or_dot(ch)), None):
        raise InvalidInput(
            f"filename must not contain {lookalike!r} (U+{ord(lookalike):04X}), which looks like"
            " a path separator or a dot"
        )
    if name in {".", ".."}:
        raise InvalidInput("filename must not be '.' or '..'")
    if len(name.encode()) > MAX_FILENAME_BYTES:
        raise InvalidInput(f"filename must be at most {MAX_FILENAME_BYTES} bytes of UTF-8")
    return name


_CONTROL = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# Slash look-alikes that compatibility normalization leaves alone.
_SLASHES = frozenset("\u2215\u2044\u29f8\u29f5\u29f9\u2216\u2571\u2572\u2afd\u2afb\u0338")


def _looks_like_separator_or_dot(ch: str) -> bool:
    if ch.isascii():
        return False
    return ch in _SLASHES or any(c in "./\\" for c in unicodedata.normalize("NFKC", ch))


def clean_content_type(value: str, allowed: tuple[str, ...]) -> str:
    """Return the lower-cased media type if it is well formed (ASCII, no parameters) and allowed."""
    content_type = _media_type(value)
    if content_type is None:
        raise InvalidInput(f"content_type {value[:300]!r} is not a media type like 'image/jpeg'")
    if not accepts(content_type, allowed):
        raise UnsupportedMedia(
            f"content_type {content_type!r} is not accepted; allowed: {', '.join(allowed)}"
        )
    if formats.by_media_type(content_type) is None:
        raise UnsupportedMedia(
            f"content_type {content_type!r} is not a format the service processes; supported:"
            f" {formats.supported_types()}"
        )
    return content_type


def clean_content_type_filter(value: str) -> str:
    """A listing's type filter: an exact media type or a family such as ``image/*``, lower-cased."""
    family = value.endswith("/*")
    content_type = _media_type(value[:-1] + "x" if family else value)
    if content_type is None:
        raise InvalidInput(f"content_type {value[:300]!r} is not a media type like 'image/jpeg' or 'image/*'")
    return content_type[:-1] + "*" if family else content_type


def _media_type(value: str) -> str | None:
    # Lower-casing is only safe on ASCII: 'K' (U+212A KELVIN SIGN).lower() is 'k'.
    if not value.isascii():
        return None
    content_type = value.lower()
    return content_type if _CONTENT_TYPE.fullmatch(content_type) else None


def clean_metadata(value: dict[str, Any]) -> dict[str, Any]:
    """Return client metadata unchanged if PostgreSQL can store it: no NUL in any key or string."""
    stack: list[tuple[Any, str]] = [(value, "metadata")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, str):
            if "\x00" in node:
                raise InvalidInput(f"{where} must not contain NUL characters")
        elif isinstance(node, dict):
            for key, child in node.items():
                if "\x00" in key:
                    raise InvalidInput(f"{where} has a key with a NUL character")
                stack.append((child, f"{where}.{key[:64]}"))
        elif isinstance(node, list):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(node))
    return value


def accepts(content_type: str, allowed: tuple[str, ...]) -> bool:
    """Whether a (lower-case) media type matches one of the allow-list's patterns (``image/*``)."""
    return any(fnmatch.fnmatchcase(content_type.lower(), pattern) for pattern in allowed)


def clean_sha256(value: str) -> str:
    """Return a declared SHA-256 as lower-case hex, or refuse it."""
    if not _SHA256_HEX.fullmatch(value):
        raise InvalidInput("sha256 must be 64 hexadecimal characters")
    return value.lower()


def parse_asset_id(value: str) -> uuid.UUID:
    """Parse an asset id from a path, refusing anything that is not a UUID."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput(f"{value[:64]!r} is not a valid asset id (a UUID)") from None


def parse_id(value: str, what: str) -> uuid.UUID:
    """Parse a UUID from a path (a user's or a key's id), refusing anything else."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput(f"{value[:64]!r} is not a valid {what} (a UUID)") from None


def asset_of_key(key: str) -> uuid.UUID | None:
    """The asset an original's key belongs to (``originals/{id}/{name}``); None for renditions,
    foreign objects and anything else."""
    match = _ORIGINAL.fullmatch(key)
    return uuid.UUID(match.group(1)) if match else None


def storage_key(asset_id: uuid.UUID, filename: str) -> str:
    """Object key of an asset's original; derived from its id so clients cannot pick keys."""
    return f"originals/{asset_id}/{filename}"


def rendition_prefix(asset_id: uuid.UUID) -> str:
    """Key prefix under which an asset's renditions live."""
    return f"renditions/{asset_id}/"


def attachment(filename: str) -> str:
    """A ``Content-Disposition`` that saves the file under its own name (RFC 6266, RFC 5987)."""
    fallback = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
