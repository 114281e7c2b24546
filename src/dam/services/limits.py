"""Rate limits in Redis, shared by every API process, each decided by one atomic step.

- **Attempts at a password** (a sign-in, a password change, a share link's password): each attempt
  is *reserved* before any password is checked, by one Lua script that drops the attempts older than
  the window, refuses (429 with the seconds until one leaves) when any bucket (the account or link,
  the client address) holds ``DAM_LOGIN_MAX_FAILURES``, and otherwise counts the attempt in every
  bucket at once. Concurrent attempts cannot all pass a check made before any of them is counted.
  A right password, or an attempt that checked nothing (the hashing queue full, a database
  outage), gives its reservation back; a wrong one keeps it for the window.
- **One check per account (or link) at a time**: the reserved attempts of one account take turns at
  argon2, under a lock in Redis (``SET NX`` with an expiry, released by its holder only).
- **Anonymous writes** (share-link opens, single sign-on starts): the same script counts them per
  client address, ``DAM_ANONYMOUS_MAX_PER_MINUTE`` a minute; nothing is given back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import uuid
from collections.abc import AsyncIterator, Sequence

from redis.exceptions import RedisError

from dam import kv
from dam.domain.addresses import bucket
from dam.domain.errors import QueueUnavailable, RateLimited
from dam.keys import checking_key, login_failures_key, rate_key
from dam.resources import Resources

log = logging.getLogger(__name__)

WINDOW = 60.0  # seconds over which attempts are counted
CHECK_WAIT = 15.0  # seconds an attempt waits for its turn at its account's password at most
CHECK_LOCK = 30.0  # seconds a crashed holder keeps an account's lock at most

# KEYS: the buckets; ARGV: the window (ms), the limit, this attempt's id. Redis's own clock, so every
# API process counts the same window. Returns {0, n}: reserved, the n-th attempt of the first bucket;
# or {ms, 0}: refused, a bucket is full and its oldest attempt leaves in ms.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local wait = 0
for _, key in ipairs(KEYS) do
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
    if redis.call('ZCARD', key) >= limit then
        local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
        local left = math.max(1, tonumber(oldest[2]) + window - now)
        if left > wait then wait = left end
    end
end
if wait > 0 then
    return {wait, 0}
end
for _, key in ipairs(KEYS) do
    redis.call('ZADD', key, now, ARGV[3])
    redis.call('PEXPIRE', key, window)
end
return {0, redis.call('ZCARD', KEYS[1])}
"""

# KEYS[1]: a lock; ARGV[1]: its holder's token. Deletes the lock only if that holder still holds it.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


class Attempt:
    """One reserved attempt at a password."""

    def __init__(self, position: int) -> None:
        self.position = position  # its rank among the first bucket's attempts of the window
        self.verdict: bool | None = None  # None: no password was checked (the attempt is given back)

    def checked(self, ok: bool) -> bool:
        """Record whether the password was right (a wrong one stays counted); returns ``ok``."""
        self.verdict = ok
        return ok


class Limits:
    """The rate limits of one API process (state lives in Redis)."""

    def __init__(self, resources: Resources) -> None:
        self.settings = resources.settings
        self.redis = resources.queue
        self._reserve = self.redis.register_script(_RESERVE)
        self._release = self.redis.register_script(_RELEASE)

    def bucket(self, kind: str, ident: str) -> str:
        """The Redis key of the attempts of one account, link or address (``kind``)."""
        return login_failures_key(self.settings.redis.queue_name, kind, ident)

    def address_bucket(self, kind: str, address: str) -> str:
        """The bucket of a client address (an IPv6 address counts by its /64)."""
        return self.bucket(kind, bucket(address))

    @contextlib.asynccontextmanager
    async def attempt(self, buckets: Sequence[str], *, exclusive: str, what: str) -> AsyncIterator[Attempt]:
        """Reserve an attempt in every bucket (429 when one is full), then wait for the turn of
        ``exclusive`` (an account or a link: one password check of it at a time). The block checks
        the password and says how it went (``Attempt.checked``); unless it was wrong, the
        reservation is given back on the way out."""
        member, position = await self._reserve_in(buckets, self.settings.auth.login_max_failures, what)
        attempt = Attempt(position)
        try:
            token = await self._lock(exclusive, what)
            try:
                yield attempt
            finally:
                await self._unlock(exclusive, token)
        finally:
            if attempt.verdict is not False:
                await self._refund(buckets, member)

    async def anonymous_write(self, kind: str, address: str, what: str) -> None:
        """Count one anonymous write of a client address (429 past ``DAM_ANONYMOUS_MAX_PER_MINUTE``)."""
        key = rate_key(self.settings.redis.queue_name, kind, bucket(address))
        await self._reserve_in([key], self.settings.auth.anonymous_max_per_minute, what)

    async def first(self, key: str, seconds: int) -> bool:
        """True the first time ``key`` is asked for in ``seconds`` (one atomic ``SET NX``)."""
        try:
            return await kv.first(self.redis, key, seconds)
        except (RedisError, OSError) as exc:
            raise QueueUnavailable(f"the rate limiter (Redis) is down: {exc}"[:300]) from exc

    async def _reserve_in(self, buckets: Sequence[str], limit: int, what: str) -> tuple[str, int]:
        member = uuid.uuid4().hex
        try:
            wait_ms, position = await self._reserve(
                keys=list(buckets), args=[int(WINDOW * 1000), limit, member]
            )
        except (RedisError, OSError) as exc:
            raise QueueUnavailable(
                f"{what} cannot be counted: the rate limiter (Redis) is down: {exc}"[:300]
            ) from exc
        if wait_ms:
            wait = max(1, math.ceil(int(wait_ms) / 1000))
            raise RateLimited(f"too many {what}; try again in {wait} s", wait)
        return member, int(position)

    async def _refund(self, buckets: Sequence[str], member: str) -> None:
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for key in buckets:
                    pipe.zrem(key, member)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("could not give back a reserved attempt: %s", exc)

    async def _lock(self, ident: str, what: str) -> str:
        key = checking_key(self.settings.redis.queue_name, ident)
        token = uuid.uuid4().hex
        deadline = time.monotonic() + CHECK_WAIT
        delay = 0.005
        while True:
            try:
                if await self.redis.set(key, token, nx=True, px=int(CHECK_LOCK * 1000)):
                    return token
            except (RedisError, OSError) as exc:
                raise QueueUnavailable(f"the rate limiter (Redis) is down: {exc}"[:300]) from exc
            if time.monotonic() > deadline:
                raise RateLimited("another password check of this account is under way; try again", 1)
            await asyncio.sleep(delay)
            delay = min(0.1, delay * 2)

    async def _unlock(self, ident: str, token: str) -> None:
        try:
            await self._release(keys=[checking_key(self.settings.redis.queue_name, ident)], args=[token])
        except (RedisError, OSError) as exc:
            log.warning("could not release a password check's lock (it expires by itself): %s", exc)
