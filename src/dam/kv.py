"""Short-lived state kept in Redis beside the job queue (on the queue's connection): one-time values
and sliding windows. Services call these instead of running Redis commands themselves; the keys are
named in ``dam.keys``. Redis errors (``RedisError``, ``OSError``) reach the caller, which says what
is unavailable."""

from __future__ import annotations

from redis.asyncio import Redis


async def put(redis: Redis, key: str, value: bytes, ttl: int) -> None:
    """Keep ``value`` under ``key`` for ``ttl`` seconds."""
    await redis.set(key, value, ex=ttl)


async def take(redis: Redis, key: str) -> bytes | None:
    """The value under ``key``, removed in the same command (a value taken once); None if absent."""
    value: bytes | None = await redis.getdel(key)
    return value


async def first(redis: Redis, key: str, ttl: int) -> bool:
    """True the first time ``key`` is asked for within ``ttl`` seconds (one atomic ``SET NX``)."""
    return bool(await redis.set(key, b"1", nx=True, ex=ttl))


async def window_add(
    redis: Redis, key: str, member: str, now: float, window: float
) -> tuple[int, float | None]:
    """Add ``member`` at ``now`` to the sliding window ``key`` of ``window`` seconds (older members
    leave it), in one transaction: how many members it holds now, and when its oldest joined."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.zremrangebyscore(key, 0, now - window)
        pipe.zadd(key, {member: now})
        pipe.zcard(key)
        pipe.zrange(key, 0, 0, withscores=True)
        pipe.expire(key, int(window) + 1)
        _, _, count, oldest, _ = await pipe.execute()
    return int(count), (float(oldest[0][1]) if oldest else None)


async def window_remove(redis: Redis, key: str, member: str) -> None:
    """Take ``member`` out of the window ``key`` again."""
    await redis.zrem(key, member)
