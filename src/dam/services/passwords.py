"""Passwords: argon2id hashes (pwdlib over argon2-cffi), checked off the event loop; a minimum
length and a list of common passwords; secrets for keys, tokens and sessions (stored as digests)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from dam.domain.errors import Busy, InvalidInput

MAX_LENGTH = 1024  # argon2 hashes anything, but a megabyte "password" is a denial of service
# argon2id with 64 MiB and 3 passes (argon2-cffi's defaults) in one lane: a hash keeps one core busy
# for about 0.3 s instead of all of them (the defaults' 4 lanes) for less. Stored hashes carry their
# own parameters, so older ones still verify.
_HASHER = PasswordHash((Argon2Hasher(parallelism=1),))
T = TypeVar("T")


def _lower_priority() -> None:
    # Linux schedules threads as tasks: this one yields the CPU to the event loop's thread when
    # both want it, so a burst of sign-ins slows sign-ins, not every other request.
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


# One thread hashes, at a lower priority: sign-ins queue behind each other (each waits its turn)
# and argon2 never takes more than one core from the requests being served beside it.
_HASHING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="argon2", initializer=_lower_priority)
# Hashes queued or running at most (~0.2 s each: a few seconds of waiting); one more is refused at
# once, 503 with Retry-After, instead of waiting behind a flood of them.
MAX_QUEUED = 24
_queued = 0
_queued_lock = threading.Lock()


def _done(_: Future[Any]) -> None:
    global _queued
    with _queued_lock:
        _queued -= 1


async def _in_hashing_thread(work: Callable[..., T], *args: str) -> T:
    global _queued
    with _queued_lock:
        if _queued >= MAX_QUEUED:
            raise Busy("the server is busy checking passwords; try again in a few seconds", 5)
        _queued += 1
    try:
        future = _HASHING.submit(work, *args)
    except BaseException:
        with _queued_lock:
            _queued -= 1
        raise
    future.add_done_callback(_done)  # counts the work until it ends, even if its caller gave up
    return await asyncio.wrap_future(future)


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
    """An argon2id hash (about 0.3 s of one core, in the hashing thread)."""
    return await _in_hashing_thread(_HASHER.hash, password)


async def verify_password(password: str, hashed: str | None) -> bool:
    """Whether the password matches; with no hash, the same work is done against a dummy one, so
    an unknown address takes as long to refuse as a wrong password."""
    if len(password) > MAX_LENGTH:
        return False
    target = hashed or await _dummy()
    ok = await _in_hashing_thread(_safe_verify, password, target)
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
