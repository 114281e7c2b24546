"""Passwords: argon2id hashes (pwdlib over argon2-cffi), checked off the event loop; a minimum
length and a list of common passwords; secrets for keys, tokens and sessions (stored as digests)."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import secrets

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from dam.domain.errors import InvalidInput

MAX_LENGTH = 1024  # argon2 hashes anything, but a megabyte "password" is a denial of service
_HASHER = PasswordHash((Argon2Hasher(),))
_PADDING = "0123456789!@#$%^&*()_+-=.,;:?~ "


@functools.cache
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]  # loaded on first use

    return frozenset(FREQUENCY_LISTS["passwords"])  # 30,000 of them


def check_strength(password: str, min_length: int) -> None:
    """Refuse a password that is too short, too long or among the common ones."""
    if len(password) < min_length:
        raise InvalidInput(f"password must be at least {min_length} characters long")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"password must be at most {MAX_LENGTH} characters long")
    folded = password.casefold()
    # "password123456" is "password" with digits added: judged by what is left without them.
    core = folded.strip(_PADDING)
    if folded in _common() or core in _common() or len(set(password)) < 3 or len(core) < 4:
        raise InvalidInput("password is too common or too simple; choose another")


async def hash_password(password: str) -> str:
    """An argon2id hash (about 0.15 s of CPU: in a thread)."""
    return await asyncio.to_thread(_HASHER.hash, password)


async def verify_password(password: str, hashed: str | None) -> bool:
    """Whether the password matches; with no hash, the same work is done against a dummy one, so
    an unknown address takes as long to refuse as a wrong password."""
    if len(password) > MAX_LENGTH:
        return False
    target = hashed or await _dummy()
    ok = await asyncio.to_thread(_safe_verify, password, target)
    return ok and hashed is not None


def _safe_verify(password: str, hashed: str) -> bool:
    try:
        return _HASHER.verify(password, hashed)
    except Exception:  # a stored hash pwdlib cannot read is a mismatch, not an error page
        return False


_DUMMY: list[str] = []


async def _dummy() -> str:
    if not _DUMMY:
        _DUMMY.append(await hash_password(secrets.token_urlsafe(16)))
    return _DUMMY[0]


def new_secret(prefix: str) -> str:
    """A credential: ``prefix`` then 256 bits from the CSPRNG, URL-safe."""
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> bytes:
    """What is stored of a secret: its SHA-256 (secrets are high-entropy: no salt or stretching)."""
    return hashlib.sha256(secret.encode()).digest()


def same(a: bytes, b: bytes) -> bool:
    """Constant-time comparison of two digests."""
    return hmac.compare_digest(a, b)


def csrf_token(session_id: str) -> str:
    """The CSRF token of a session: derived from its id (which the page cannot read: HttpOnly)."""
    return hashlib.sha256(b"dam-csrf\x00" + session_id.encode()).hexdigest()
