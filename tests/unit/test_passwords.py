"""Password hashing: argon2id in one lane, older hashes still verify, strength rules, CSRF tokens."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from dam.domain.errors import InvalidInput
from dam.services import passwords

PASSWORD = "correct horse battery staple 42"


async def test_new_hashes_are_argon2id_in_one_lane_and_verify() -> None:
    hashed = await passwords.hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=1$")
    assert await passwords.verify_password(PASSWORD, hashed)
    assert not await passwords.verify_password(PASSWORD + "!", hashed)


async def test_hashes_made_with_other_parameters_still_verify() -> None:
    older = PasswordHasher(parallelism=4).hash(PASSWORD)  # what the first accounts release stored
    assert await passwords.verify_password(PASSWORD, older)
    assert not await passwords.verify_password("wrong", older)


async def test_no_hash_and_unreadable_hashes_are_mismatches() -> None:
    assert not await passwords.verify_password(PASSWORD, None)
    assert not await passwords.verify_password(PASSWORD, "$argon2id$garbage")
    assert not await passwords.verify_password("x" * (passwords.MAX_LENGTH + 1), None)


@pytest.mark.parametrize("weak", ["short", "password123456", "aaaaaaaaaaaaaaaa", "qwertyuiop1234"])
def test_weak_passwords_are_refused(weak: str) -> None:
    with pytest.raises(InvalidInput):
        passwords.check_strength(weak, 12)


def test_a_long_uncommon_password_is_accepted() -> None:
    passwords.check_strength(PASSWORD, 12)


def test_csrf_tokens_differ_per_session() -> None:
    assert passwords.csrf_token("a" * 43) != passwords.csrf_token("b" * 43)
    assert passwords.csrf_token("a" * 43) == passwords.csrf_token("a" * 43)


async def test_the_hashing_queue_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio
    import threading

    from dam.domain.errors import Busy

    release = threading.Event()

    def slow(password: str, hashed: str) -> bool:
        release.wait(10)
        return False

    monkeypatch.setattr(passwords, "_safe_verify", slow)
    monkeypatch.setattr(passwords, "MAX_QUEUED", 3)
    hashed = await passwords.hash_password(PASSWORD)
    waiting = [asyncio.ensure_future(passwords.verify_password(PASSWORD, hashed)) for _ in range(3)]
    await asyncio.sleep(0.05)
    with pytest.raises(Busy) as refused:  # a fourth is refused at once, not queued
        await passwords.verify_password(PASSWORD, hashed)
    assert refused.value.retry_after >= 1
    release.set()
    assert await asyncio.gather(*waiting) == [False] * 3
    # The queue is free again: each of those counted until its hash ended.
    monkeypatch.undo()
    assert await passwords.verify_password(PASSWORD, hashed)
