"""Stream tokens: who may fetch an asset's stream files, until when, checked without a database.

A token is ``<expiry>.<viewer>.<signature>`` (URL-path safe): the expiry in epoch seconds (base 36),
the viewer (``u<id>`` a user, ``k<id>`` an API key, ``t<id>`` an upload token, ``s<id>`` a share
link), and an HMAC-SHA256 of asset id, viewer and expiry. It rides in the URL's path, so the
relative URIs of playlists carry it to every segment, with no header or cookie (Safari's player).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid

import msgspec

from dam.domain.access import Principal
from dam.domain.errors import Forbidden

_TOKEN = re.compile(r"^([0-9a-z]{1,12})\.([ukts][0-9a-f]{32}|-)\.([A-Za-z0-9_-]{32})$")


class StreamGrant(msgspec.Struct, frozen=True, kw_only=True):
    """What a valid token says."""

    asset_id: uuid.UUID
    viewer: str
    expires: int


def viewer_of(principal: Principal) -> str:
    """The viewer a principal's tokens name."""
    for prefix, ident in (("u", principal.user_id), ("k", principal.key_id), ("t", principal.token_id)):
        if ident is not None:
            return f"{prefix}{ident.hex}"
    return "-"


def share_viewer(share_id: uuid.UUID) -> str:
    """The viewer a share link's tokens name."""
    return f"s{share_id.hex}"


def lifetime(duration: float | None, minimum: int) -> int:
    """Seconds a token lives: long enough to watch the whole video, twice over."""
    return max(minimum, int(2 * (duration or 0)))


def _signature(secret: bytes, asset_id: uuid.UUID, viewer: str, expires: int) -> str:
    mac = hmac.new(secret, f"{asset_id}|{viewer}|{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:24]).decode()


def _base36(value: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        value, rest = divmod(value, 36)
        out = digits[rest] + out
        if value == 0:
            return out


def issue(secret: bytes, asset_id: uuid.UUID, viewer: str, expires: int) -> str:
    """A token for ``viewer`` to fetch ``asset_id``'s stream until ``expires`` (epoch seconds)."""
    return f"{_base36(expires)}.{viewer}.{_signature(secret, asset_id, viewer, expires)}"


def verify(secret: bytes, token: str, asset_id: uuid.UUID, now: float) -> StreamGrant:
    """The grant a token carries for ``asset_id``; Forbidden when it is malformed, forged, for
    another asset, or expired."""
    match = _TOKEN.match(token)
    if match is None:
        raise Forbidden("this stream link is not valid")
    expires, viewer, signature = int(match[1], 36), match[2], match[3]
    if not hmac.compare_digest(signature, _signature(secret, asset_id, viewer, expires)):
        raise Forbidden("this stream link is not valid")
    if expires < now:
        raise Forbidden("this stream link has expired: read the asset again for a new one")
    return StreamGrant(asset_id=asset_id, viewer=viewer, expires=expires)


def secret_of(configured: str, fallback: str) -> bytes:
    """The HMAC key: ``DAM_STREAM_SECRET``, else one derived from the store's secret key."""
    if configured:
        return configured.encode()
    return hmac.new(b"dam stream tokens", fallback.encode(), hashlib.sha256).digest()
