"""Stream tokens: who may fetch an asset's stream files, until when, and revocable.

A token is ``<expiry>.<viewer>.<signature>`` (URL-path safe): the expiry in epoch seconds (base 36),
the viewer (``u<id>`` a user, ``k<id>`` an API key, ``t<id>`` an upload token, ``s<id>`` a share
link), and an HMAC-SHA256 of asset id, viewer, expiry and two generations: the asset's and the
viewer's. Deleting the asset, or revoking the viewer (a share link or key revoked, a member removed
or demoted), bumps a generation, and every token issued before stops matching its MAC. A token
lives ``DAM_STREAM_TOKEN_TTL`` at most (never longer than its share link); reading the asset again
issues a fresh one. It rides in the URL's path, so the relative URIs of playlists carry it to every
segment, with no header or cookie (Safari's player)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid

import msgspec

from dam.domain.access import Principal
from dam.domain.errors import Forbidden

Generations = tuple[int, int]
"""The asset's and the viewer's generations a token was issued under."""

_TOKEN = re.compile(r"^([0-9a-z]{1,12})\.([ukts][0-9a-f]{32}|-)\.([A-Za-z0-9_-]{32})$")


class StreamGrant(msgspec.Struct, frozen=True, kw_only=True):
    """What a valid token says."""

    asset_id: uuid.UUID
    viewer: str
    expires: int


def viewer_of(principal: Principal) -> str:
    """The viewer a principal's tokens name: the credential itself (an upload token, else a key,
    else the signed-in user), so that revoking it ends them."""
    for prefix, ident in (("t", principal.token_id), ("k", principal.key_id), ("u", principal.user_id)):
        if ident is not None:
            return f"{prefix}{ident.hex}"
    return "-"


def share_viewer(share_id: uuid.UUID) -> str:
    """The viewer a share link's tokens name."""
    return f"s{share_id.hex}"


def asset_subject(asset_id: uuid.UUID) -> str:
    """The name of an asset's generation (a viewer's is the viewer itself)."""
    return f"a{asset_id.hex}"


def subjects(asset_id: uuid.UUID, viewer: str) -> tuple[str, str | None]:
    """The generations a token of ``viewer`` for ``asset_id`` covers (None: a viewer with none)."""
    return asset_subject(asset_id), None if viewer == "-" else viewer


def expiry(now: float, ttl: int, until: float | None = None) -> int:
    """When a token issued ``now`` expires: ``ttl`` seconds later, and no later than ``until``."""
    return int(now + ttl if until is None else min(now + ttl, until))


def _signature(
    secret: bytes, asset_id: uuid.UUID, viewer: str, expires: int, generations: Generations
) -> str:
    message = f"{asset_id}|{viewer}|{expires}|{generations[0]}|{generations[1]}"
    mac = hmac.new(secret, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:24]).decode()


def _base36(value: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        value, rest = divmod(value, 36)
        out = digits[rest] + out
        if value == 0:
            return out


def issue(
    secret: bytes, asset_id: uuid.UUID, viewer: str, expires: int, generations: Generations = (0, 0)
) -> str:
    """A token for ``viewer`` to fetch ``asset_id``'s stream until ``expires`` (epoch seconds),
    while the asset's and the viewer's generations are still ``generations``."""
    return f"{_base36(expires)}.{viewer}.{_signature(secret, asset_id, viewer, expires, generations)}"


def viewer_in(token: str) -> str:
    """The viewer a token names; Forbidden when it is malformed."""
    match = _TOKEN.match(token)
    if match is None:
        raise Forbidden("this stream link is not valid")
    return match[2]


def verify(
    secret: bytes, token: str, asset_id: uuid.UUID, now: float, generations: Generations = (0, 0)
) -> StreamGrant:
    """The grant a token carries for ``asset_id`` at the present ``generations``; Forbidden when it
    is malformed, forged, for another asset, revoked (a generation moved on), or expired."""
    match = _TOKEN.match(token)
    if match is None:
        raise Forbidden("this stream link is not valid")
    expires, viewer, signature = int(match[1], 36), match[2], match[3]
    if not hmac.compare_digest(signature, _signature(secret, asset_id, viewer, expires, generations)):
        raise Forbidden("this stream link is not valid (or has been revoked)")
    if expires < now:
        raise Forbidden("this stream link has expired: read the asset again for a new one")
    return StreamGrant(asset_id=asset_id, viewer=viewer, expires=expires)


def secret_of(configured: str, fallback: str) -> bytes:
    """The HMAC key: ``DAM_STREAM_SECRET``, else one derived from the store's secret key."""
    if configured:
        return configured.encode()
    return hmac.new(b"dam stream tokens", fallback.encode(), hashlib.sha256).digest()
