"""A small bounded HTTP/1.1 load generator: N keep-alive connections, fixed duration, latencies.

Runs in its own process so it does not share an event loop with what it measures.
"""

from __future__ import annotations

import asyncio
import time

import msgspec


class LoadResult(msgspec.Struct):
    """What one load run measured."""

    concurrency: int
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        """Successful requests per second."""
        return self.requests / self.seconds


async def _connection(
    host: str, port: int, request: bytes, deadline: float, latencies: list[float], errors: list[int]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            if head[9:10] in {b"2", b"3"}:  # a redirect is an answer too (the stream's 302s)
                latencies.append(time.perf_counter() - start)
            else:
                errors.append(1)
    finally:
        writer.close()


async def _run(
    host: str, port: int, path: str, body: bytes, concurrency: int, seconds: float, headers: dict[str, str]
) -> LoadResult:
    extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    if body:
        request = (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n{extra}"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
    else:  # no body: a GET
        request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}\r\n".encode()
    latencies: list[float] = []
    errors: list[int] = []
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(_connection(host, port, request, deadline, latencies, errors) for _ in range(concurrency))
    )
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else 0.0

    return LoadResult(concurrency, len(latencies), len(errors), elapsed, pct(0.50), pct(0.99))


def run_load(
    host: str,
    port: int,
    path: str,
    body: bytes,
    concurrency: int,
    seconds: float,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """Blocking entry point (used from a separate process): POST ``body``, or GET when it is empty."""
    return asyncio.run(_run(host, port, path, body, concurrency, seconds, headers or {}))


async def _sign_ins(url: str, email: str, password: str, concurrency: int, seconds: float) -> list[int]:
    import httpx

    statuses: list[int] = []
    deadline = time.perf_counter() + seconds

    async def one_after_another(client: httpx.AsyncClient) -> None:
        while time.perf_counter() < deadline:
            answer = await client.post(f"{url}/auth/login", json={"email": email, "password": password})
            statuses.append(answer.status_code)
            client.cookies.clear()

    async with httpx.AsyncClient(timeout=60) as client:
        await asyncio.gather(*(one_after_another(client) for _ in range(concurrency)))
    return statuses


def run_sign_ins(url: str, email: str, password: str, concurrency: int, seconds: float) -> list[int]:
    """``concurrency`` sign-ins in flight (argon2id each) for ``seconds``; their status codes."""
    return asyncio.run(_sign_ins(url, email, password, concurrency, seconds))
