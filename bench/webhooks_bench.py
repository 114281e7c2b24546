"""Webhook delivery: deliveries per second to a loopback receiver beside a bare loop of signed POSTs
from one process, and the delay from commit to delivery on an idle stack.

A throw-away database migrated to head; a receiver in a process of its own (asyncio, HTTP/1.1
keep-alive, 204 to every POST); ``ENDPOINTS`` endpoints of one workspace on it.

- **Throughput**: ``EVENTS`` events, each to every endpoint, written as the service writes them
  (``emit`` in a transaction), then sent by ``Deliverer.once`` in a loop as a worker's delivery loop
  sends them (one delivery per endpoint at a time: the order guarantee), each attempt recorded in
  PostgreSQL. Beside it the bare loop: the same number of POSTs of the same bodies, signed with the
  same code (``hooks.headers``), ``ENDPOINTS`` at a time, from one ``httpx.AsyncClient``, nothing
  recorded. Ratio ours / bare; target >= 0.5x.
- **Delay**: with the delivery loop running (``deliver_webhooks``, woken by the commit's NOTIFY),
  ``SAMPLES`` events one at a time, each waited for: from the event's commit (its transaction's
  time) to the end of its delivery's attempt (the answer read), from the database's own clocks.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import types
from statistics import median

import httpx

from bench.ingest import percentile
from bench.stack import drop_database
from dam.db.migrate import ensure_database, upgrade
from dam.db.pool import create_pool
from dam.domain import webhooks as hooks
from dam.jobs.webhooks import deliver_webhooks
from dam.services.accounts import Accounts
from dam.services.unit import unit
from dam.services.webhooks import Deliverer, Webhooks, emit
from dam.settings import load_settings

ADMIN_URL = os.environ.get("DAM_BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
ENDPOINTS = 16
EVENTS = 150  # each to every endpoint: 2,400 deliveries
SAMPLES = 100
DEADLINE = 300.0
RECEIVER = r"""
import asyncio, sys

async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", int(sys.argv[1]), backlog=256)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()

asyncio.run(main())
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _set_up(settings: object) -> tuple[types.SimpleNamespace, list[str]]:
    pool = await create_pool(settings.db)  # type: ignore[attr-defined]
    resources = types.SimpleNamespace(settings=settings, pool=pool)
    accounts = Accounts(resources)  # type: ignore[arg-type]
    workspace = await accounts.ensure_workspace("bench-hooks")
    return resources, [str(workspace.id)]


async def _endpoints(resources: types.SimpleNamespace, workspace_id: str, port: int) -> list[str]:
    """ENDPOINTS endpoints on the receiver, every event type each; their secrets."""
    import uuid

    from dam.domain.access import Principal, Role

    admin = Principal(kind="user", workspace_id=uuid.UUID(workspace_id), role=Role.ADMIN)
    made = [
        await Webhooks(resources).create(admin, f"http://127.0.0.1:{port}/hook/{n}", ["asset.updated"], "")  # type: ignore[arg-type]
        for n in range(ENDPOINTS)
    ]
    return [m.secret for m in made]


async def _emit(resources: types.SimpleNamespace, workspace_id: str, count: int) -> None:
    import uuid

    for n in range(count):
        async with unit(resources.pool) as work:
            data = {"asset": {"id": str(uuid.uuid4()), "title": f"Event {n}", "tags": ["bench"]}}
            await emit(work.conn, uuid.UUID(workspace_id), "asset.updated", data)


async def _pending(resources: types.SimpleNamespace) -> int:
    return int(
        await resources.pool.fetchval("SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'")
    )


async def _ours(resources: types.SimpleNamespace) -> float:
    """Seconds for the Deliverer to send every pending delivery."""
    deliverer = Deliverer(resources)  # type: ignore[arg-type]
    try:
        started = time.perf_counter()
        deadline = time.monotonic() + DEADLINE
        while await _pending(resources):
            if time.monotonic() > deadline:
                raise RuntimeError("the deliveries did not all go within the deadline")
            await deliverer.once()
        return time.perf_counter() - started
    finally:
        await deliverer.close()


async def _bare(port: int, bodies: list[str], secret: str) -> float:
    """Seconds for the same POSTs, signed, ENDPOINTS at a time, nothing recorded."""
    key = hooks.key_of(secret)
    async with httpx.AsyncClient(timeout=hooks.TIMEOUT, trust_env=False) as client:

        async def lane(n: int) -> None:
            for i, body in enumerate(bodies):
                payload = body.encode()
                signed = hooks.headers([key], f"msg_{n}_{i}", int(time.time()), payload)
                answer = await client.post(
                    f"http://127.0.0.1:{port}/hook/{n}", content=payload, headers=signed
                )
                answer.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(lane(n) for n in range(ENDPOINTS)))
        return time.perf_counter() - started


async def _delays(resources: types.SimpleNamespace, workspace_id: str) -> list[float]:
    """Commit -> delivered, ms, one event at a time with the delivery loop running."""
    await resources.pool.execute("UPDATE webhooks SET enabled = (url LIKE '%/hook/0')")
    loop = asyncio.create_task(deliver_webhooks(resources))  # type: ignore[arg-type]
    try:
        await asyncio.sleep(1.0)  # the loop listening, idle
        for _ in range(SAMPLES):
            await _emit(resources, workspace_id, 1)
            deadline = time.monotonic() + 30
            while await _pending(resources):
                if time.monotonic() > deadline:
                    raise RuntimeError("an event was not delivered within 30 s")
                await asyncio.sleep(0.005)
            await asyncio.sleep(0.05)  # idle again before the next
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
    rows = await resources.pool.fetch(
        """SELECT extract(epoch FROM a.at + make_interval(secs => a.duration_ms / 1000.0) - e.created_at) AS s
           FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
           JOIN webhook_events e ON e.id = d.event_id
           ORDER BY a.id DESC LIMIT $1""",
        SAMPLES,
    )
    return [float(r["s"]) * 1000 for r in rows]


async def _run(db_url: str, port: int) -> None:
    settings = load_settings(
        {
            "DAM_DATABASE_URL": db_url, "DAM_WEBHOOK_ALLOW_HTTP": "true", "DAM_WEBHOOK_ALLOW_PRIVATE": "true",
            "DAM_WEBHOOK_RETRY_SCHEDULE": "1", "DAM_LOG_LEVEL": "warning",
        }
    )  # fmt: skip
    resources, (workspace_id,) = await _set_up(settings)
    try:
        secrets = await _endpoints(resources, workspace_id, port)
        await _emit(resources, workspace_id, EVENTS)
        bodies = [
            r["body"]
            for r in await resources.pool.fetch("SELECT body FROM webhook_events ORDER BY created_at")
        ]
        count = EVENTS * ENDPOINTS
        ours = await _ours(resources)
        bare = await _bare(port, bodies, secrets[0])
        failed = await resources.pool.fetchval(
            "SELECT count(*) FROM webhook_deliveries WHERE state <> 'delivered'"
        )
        if failed:
            raise RuntimeError(f"{failed} deliveries were not delivered")
        print(
            f"\n## Webhook deliveries: {count:,} ({EVENTS} events x {ENDPOINTS} endpoints), loopback receiver"
        )
        print(
            f"ours: Deliverer (one per endpoint at a time, attempts kept): {count / ours:8.0f} deliveries/s"
        )
        print(f"bare: signed POSTs, {ENDPOINTS} at a time, nothing kept:      {count / bare:8.0f} POSTs/s")
        print(f"ratio ours/bare: {(count / ours) / (count / bare):.2f}x   (target >= 0.5x)")
        delays = await _delays(resources, workspace_id)
        p50, p99 = percentile(delays, 0.5), percentile(delays, 0.99)
        print(f"\n## Commit -> delivered, idle stack, {len(delays)} events one at a time (woken by NOTIFY)")
        print(f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, median {median(delays):.1f} ms")
    finally:
        await resources.pool.close()


def main() -> None:
    db_url = ADMIN_URL.rsplit("/", 1)[0] + f"/dam_bench_{os.getpid()}_hooks"
    port = _free_port()
    receiver = subprocess.Popen(
        [sys.executable, "-c", RECEIVER, str(port)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert receiver.stdout is not None
        if receiver.stdout.readline().strip() != "ready":
            raise RuntimeError("the receiver did not start")
        asyncio.run(ensure_database(db_url))
        upgrade(db_url)
        asyncio.run(_run(db_url, port))
    finally:
        receiver.terminate()
        receiver.wait(timeout=30)
        drop_database(ADMIN_URL, db_url)


if __name__ == "__main__":
    main()
