"""Webhook use cases: a workspace's admins manage its endpoints (the secret shown once, rotated
with a grace), look at each delivery's attempts and send one again; the changes of assets emit
their events (``emit``) inside their own transaction."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import msgspec

from dam.db import query
from dam.db import webhooks as db
from dam.db.pool import Connection
from dam.domain import webhooks as hooks
from dam.domain.access import Principal, Scope, require
from dam.domain.assets import Asset
from dam.domain.errors import Conflict, NotFound
from dam.resources import Resources
from dam.services.unit import unit


class Made(msgspec.Struct, frozen=True, kw_only=True):
    """An endpoint with its secret: the one time it is shown (made, or rotated)."""

    endpoint: hooks.Endpoint
    secret: str


class DeliveryPage(msgspec.Struct, frozen=True, kw_only=True):
    """A page of an endpoint's deliveries, newest first."""

    items: list[hooks.Delivery]
    next_cursor: str | None


class Change(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What PATCH /webhooks/{id} may change."""

    url: str | msgspec.UnsetType = msgspec.UNSET
    events: list[str] | msgspec.UnsetType = msgspec.UNSET
    description: str | msgspec.UnsetType = msgspec.UNSET
    enabled: bool | msgspec.UnsetType = msgspec.UNSET


def _not_found(webhook_id: uuid.UUID) -> NotFound:
    return NotFound(f"webhook {webhook_id} not found")


async def emit(conn: Connection, workspace_id: uuid.UUID, event_type: str, data: dict[str, Any]) -> int:
    """Inside the transaction of the change: the event for every endpoint of the workspace that
    takes it (a change that rolls back sends nothing)."""
    body = hooks.body(event_type, workspace_id, data, datetime.now(UTC))
    return await db.emit(conn, workspace_id, event_type, body)


async def emit_asset(conn: Connection, event_type: str, asset: Asset) -> int:
    """An asset's event, the asset as events carry it (no URL, no storage key)."""
    return await emit(conn, asset.workspace_id, event_type, {"asset": hooks.event_asset(asset)})


async def emit_assets(conn: Connection, event_type: str, assets: list[Asset]) -> int:
    """Each asset's event (a bulk change), after one look at whether any endpoint takes the type."""
    if not assets or not await db.subscribed(conn, assets[0].workspace_id, event_type):
        return 0
    return sum([await emit_asset(conn, event_type, asset) for asset in assets])


class Webhooks:
    """A workspace's webhook endpoints (its admins')."""

    def __init__(self, resources: Resources) -> None:
        self.pool = resources.pool
        self.settings = resources.settings.webhooks

    def _workspace(self, principal: Principal) -> uuid.UUID:
        require(principal, Scope.MANAGE)
        assert principal.workspace_id is not None
        return principal.workspace_id

    def _url(self, url: str) -> str:
        return hooks.check_url(
            url, allow_http=self.settings.allow_http, allow_private=self.settings.allow_private
        )

    async def create(self, principal: Principal, url: str, events: list[str], description: str) -> Made:
        """A new endpoint; its secret, shown this once."""
        workspace = self._workspace(principal)
        checked, kinds = self._url(url), hooks.check_events(events)
        secret = hooks.new_secret()
        made = await db.create(
            self.pool, workspace, checked, kinds, description, hooks.key_of(secret), principal.user_id
        )
        return Made(endpoint=made, secret=secret)

    async def listed(self, principal: Principal) -> list[hooks.Endpoint]:
        return await db.listed(self.pool, self._workspace(principal))

    async def get(self, principal: Principal, webhook_id: uuid.UUID) -> hooks.Endpoint:
        found = await db.get(self.pool, webhook_id, self._workspace(principal))
        if found is None:
            raise _not_found(webhook_id)
        return found

    async def change(self, principal: Principal, webhook_id: uuid.UUID, change: Change) -> hooks.Endpoint:
        workspace = self._workspace(principal)
        values: dict[str, Any] = {}
        if not isinstance(change.url, msgspec.UnsetType):
            values["url"] = self._url(change.url)
        if not isinstance(change.events, msgspec.UnsetType):
            values["events"] = hooks.check_events(change.events)
        if not isinstance(change.description, msgspec.UnsetType):
            values["description"] = change.description
        if not isinstance(change.enabled, msgspec.UnsetType):
            values["enabled"] = change.enabled
        changed = await db.update(self.pool, webhook_id, workspace, values)
        if changed is None:
            raise _not_found(webhook_id)
        return changed

    async def delete(self, principal: Principal, webhook_id: uuid.UUID) -> None:
        if not await db.delete(self.pool, webhook_id, self._workspace(principal)):
            raise _not_found(webhook_id)

    async def rotate(self, principal: Principal, webhook_id: uuid.UUID) -> Made:
        """A new secret; the old one signs beside it for 24 hours."""
        secret = hooks.new_secret()
        rotated = await db.rotate(
            self.pool, webhook_id, self._workspace(principal), hooks.key_of(secret), hooks.ROTATION_GRACE
        )
        if rotated is None:
            raise _not_found(webhook_id)
        return Made(endpoint=rotated, secret=secret)

    async def test(self, principal: Principal, webhook_id: uuid.UUID) -> uuid.UUID:
        """A ``webhook.test`` event to this endpoint alone; the delivery's id."""
        endpoint = await self.get(principal, webhook_id)
        body = hooks.body(
            hooks.TEST_EVENT, endpoint.workspace_id, {"webhook": str(endpoint.id)}, datetime.now(UTC)
        )
        async with unit(self.pool) as work:
            return await db.emit_to(work.conn, endpoint.id, endpoint.workspace_id, hooks.TEST_EVENT, body)

    async def deliveries(
        self, principal: Principal, webhook_id: uuid.UUID, cursor: str | None, limit: int
    ) -> DeliveryPage:
        endpoint = await self.get(principal, webhook_id)
        after = query.decode(cursor, db.NEWEST) if cursor else None
        found = await db.deliveries(self.pool, endpoint.id, after, limit + 1)
        more = len(found) > limit
        items = [d for _, d in found[:limit]]
        next_cursor = query.encode(db.NEWEST, [found[limit - 1][0]]) if more else None
        return DeliveryPage(items=items, next_cursor=next_cursor)

    async def redeliver(self, principal: Principal, webhook_id: uuid.UUID, delivery_id: uuid.UUID) -> None:
        endpoint = await self.get(principal, webhook_id)
        if not await db.redeliver(self.pool, endpoint.id, delivery_id):
            if await db.has_delivery(self.pool, endpoint.id, delivery_id):
                raise Conflict(f"delivery {delivery_id} is being sent now: ask again once it has an answer")
            raise NotFound(f"delivery {delivery_id} not found")


class Refused(Exception):
    """An endpoint whose host is, or resolves to, an address webhooks may not reach."""


LEASE = hooks.TIMEOUT + 30.0  # seconds a claimed delivery is another worker's to leave alone
AT_ONCE = 16  # deliveries sent at once by one worker (one per endpoint)


class Deliverer:
    """Sends the deliveries that are due, each signed, through pinned, checked addresses; records
    every attempt and what follows it (delivered, retried at its time, failed for good)."""

    def __init__(self, resources: Resources) -> None:
        self.pool = resources.pool
        self.settings = resources.settings.webhooks
        # Redirects are not followed; the whole delivery has TIMEOUT seconds (asyncio.timeout).
        self.client = httpx.AsyncClient(follow_redirects=False, timeout=hooks.TIMEOUT, trust_env=False)
        self.waker = db.Waker(resources.settings.db.url)

    async def close(self) -> None:
        await self.client.aclose()
        await self.waker.close()

    async def idle(self, seconds: float) -> None:
        """Wait until deliveries are written (told at their commit), or ``seconds`` pass."""
        await self.waker.wait(seconds)

    async def once(self) -> int:
        """Send what is due now; how many were tried."""
        claimed = await db.claim(self.pool, LEASE, AT_ONCE)
        await asyncio.gather(*(self._deliver(c) for c in claimed))
        return len(claimed)

    async def _target(self, url: str) -> tuple[str, dict[str, str], dict[str, Any]]:
        """The URL to connect to (the host replaced by the address it resolves to now, checked),
        the Host header and the TLS server name: the address checked is the one connected to."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            try:
                found = await asyncio.get_running_loop().getaddrinfo(
                    hooks.ascii_host(host), port, type=socket.SOCK_STREAM
                )
            except (OSError, UnicodeError) as exc:
                raise Refused(f"{host} does not resolve: {exc}") from None
            addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]
        if not self.settings.allow_private:
            for address in addresses:
                why = hooks.forbidden(address)
                if why:
                    raise Refused(f"{host} resolves to {address}, {why}, which webhooks may not reach")
        address = addresses[0]
        literal = f"[{address}]" if address.version == 6 else str(address)
        netloc = f"{literal}:{parts.port}" if parts.port else literal
        target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
        ascii_host = f"[{host}]" if ":" in host else hooks.ascii_host(host)
        host_header = f"{ascii_host}:{parts.port}" if parts.port else ascii_host
        extensions = {"sni_hostname": hooks.ascii_host(host)} if parts.scheme == "https" else {}
        return target, {"host": host_header}, extensions

    async def _deliver(self, claimed: hooks.Claimed) -> None:
        at = datetime.now(UTC)
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        kept: str | None = None
        wait_asked: float | None = None
        try:
            async with asyncio.timeout(hooks.TIMEOUT):
                target, host, extensions = await self._target(claimed.url)
                payload = claimed.body.encode()
                signed = hooks.headers(
                    claimed.keys, hooks.message_id(claimed.event_id), int(time.time()), payload
                )
                request = self.client.build_request(
                    "POST", target, content=payload, headers={**signed, **host}, extensions=extensions
                )
                answer = await self.client.send(request, stream=True)
                try:
                    status = answer.status_code
                    read = bytearray()
                    async for chunk in answer.aiter_bytes():
                        read += chunk
                        if len(read) >= hooks.MAX_BODY:
                            break
                    kept = bytes(read[: hooks.KEPT_BODY]).decode("utf-8", "replace")
                    wait_asked = hooks.retry_after(answer.headers.get("retry-after"), at)
                finally:
                    await answer.aclose()
        except Refused as exc:
            error = str(exc)
        except TimeoutError:
            error = f"no answer within {hooks.TIMEOUT:g} s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:300] or type(exc).__name__
        except Exception as exc:
            error = f"could not be sent: {type(exc).__name__}: {exc}"[:300]
        took = int((time.monotonic() - started) * 1000)
        attempt = hooks.Attempt(at=at, duration_ms=took, status=status, error=error, body=kept)
        state, next_at, disable = self._after(claimed, attempt, wait_asked)
        if state != "delivered" and attempt.error is None and status is not None:
            attempt = msgspec.structs.replace(attempt, error=f"answered {status}")
        async with unit(self.pool, one_statement=True) as work:
            await db.attempted(work.conn, claimed, attempt, state=state, next_at=next_at, disable=disable)

    def _after(
        self, claimed: hooks.Claimed, attempt: hooks.Attempt, wait_asked: float | None
    ) -> tuple[str, datetime | None, str | None]:
        """What follows an attempt: its delivery's state, when it is tried next, and the reason to
        turn the endpoint off (it has failed for DISABLE_AFTER in a row)."""
        status = attempt.status
        if status is not None and 200 <= status < 300:
            return "delivered", None, None
        now = attempt.at
        failing_since = claimed.failing_since or now
        disable = None
        if (now - failing_since).total_seconds() >= hooks.DISABLE_AFTER:
            last = attempt.error or f"answered {status}"
            disable = (
                f"every delivery failed for {hooks.DISABLE_AFTER // 86400} days in a row (the last: {last})"
            )
        if not hooks.retryable(status):
            return "failed", None, disable
        wait = hooks.next_wait(self.settings.schedule, claimed.attempts + 1, wait_asked)
        first = claimed.first_at or now
        if (now - first).total_seconds() + wait > hooks.GIVE_UP:
            return "failed", None, disable
        return "pending", now + timedelta(seconds=wait), disable
