"""Webhook routes (workspace admins): endpoints, their secrets, their deliveries. Deliveries follow
the Standard Webhooks specification (``docs/guides/webhooks.md``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, TypeAlias

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT
from msgspec import Meta

from dam.api.access import policy
from dam.api.errors import responses
from dam.domain import webhooks as hooks
from dam.domain.access import Principal, Scope, needs
from dam.domain.validation import parse_id
from dam.domain.webhooks import Delivery, Endpoint
from dam.services.webhooks import Change, DeliveryPage, Made, Webhooks

MANAGE = policy(needs(Scope.MANAGE))
Acting: TypeAlias = NamedDependency[Principal]
Using: TypeAlias = NamedDependency[Webhooks]
WebhookId = Annotated[
    str, PathParameter(description="The webhook's id (a UUID)", schema_extra={"format": "uuid"})
]
DeliveryId = Annotated[
    str, PathParameter(description="The delivery's id (a UUID)", schema_extra={"format": "uuid"})
]
EventTypes = Annotated[
    list[str],
    Meta(min_length=1, max_length=len(hooks.EVENTS), description=f"Event types: {', '.join(hooks.EVENTS)}"),
]


class NewWebhook(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``POST /webhooks``."""

    url: Annotated[str, Meta(min_length=1, max_length=hooks.MAX_URL, description="An https:// URL")]
    events: EventTypes
    description: Annotated[str, Meta(max_length=500)] = ""


class WebhookChange(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``PATCH /webhooks/{id}``: what is given changes; `enabled: true` turns a disabled one on again."""

    url: Annotated[str, Meta(min_length=1, max_length=hooks.MAX_URL)] | msgspec.UnsetType = msgspec.UNSET
    events: EventTypes | msgspec.UnsetType = msgspec.UNSET
    description: Annotated[str, Meta(max_length=500)] | msgspec.UnsetType = msgspec.UNSET
    enabled: bool | msgspec.UnsetType = msgspec.UNSET


class WebhookOut(msgspec.Struct, kw_only=True):
    """An endpoint (its secret is shown only when made or rotated)."""

    id: uuid.UUID
    url: str
    events: list[str]
    description: str
    enabled: bool
    disabled_reason: str | None
    failing_since: datetime | None
    created_at: datetime
    updated_at: datetime


class WebhookSecret(WebhookOut, kw_only=True):
    """An endpoint with its signing secret: ``whsec_`` and the base64 of the 32-byte HMAC key,
    shown this once."""

    secret: str


class WebhookList(msgspec.Struct, kw_only=True):
    items: list[WebhookOut]


class Queued(msgspec.Struct, kw_only=True):
    """A delivery queued (a test, or one sent again)."""

    delivery_id: uuid.UUID


def out(endpoint: Endpoint) -> WebhookOut:
    return WebhookOut(**{f: getattr(endpoint, f) for f in WebhookOut.__struct_fields__})


def with_secret(made: Made) -> WebhookSecret:
    return WebhookSecret(**msgspec.structs.asdict(out(made.endpoint)), secret=made.secret)


def _id(value: str) -> uuid.UUID:
    return parse_id(value, "webhook id")


class WebhookController(Controller):
    path = "/webhooks"
    tags = ["webhooks"]  # noqa: RUF012 - Litestar's own class attribute

    @post(
        "/", operation_id="createWebhook", status_code=HTTP_201_CREATED, opt=MANAGE,
        responses=responses(400, 401, 403, 413, 415, 422, 503), summary="Make a webhook endpoint",
    )  # fmt: skip
    async def create(
        self,
        data: JSONBody[NewWebhook],
        principal: Acting,
        webhooks: Using,
    ) -> WebhookSecret:
        """An endpoint that receives the workspace's events of the given types, signed with the
        secret answered here (the only time it is shown). The URL must be https (plain http needs
        `DAM_WEBHOOK_ALLOW_HTTP`); a host that is a loopback, private, link-local, multicast or cloud
        metadata address is refused (422) unless `DAM_WEBHOOK_ALLOW_PRIVATE` is set, and a name is
        checked again where it resolves at every delivery."""
        made = await webhooks.create(principal, data.url, data.events, data.description)
        return with_secret(made)

    @get(
        "/",
        operation_id="listWebhooks",
        opt=MANAGE,
        responses=responses(401, 403, 503),
        summary="The endpoints",
    )
    async def listed(self, principal: Acting, webhooks: Using) -> WebhookList:
        """The workspace's endpoints, oldest first, each with why it was turned off, if it was."""
        return WebhookList(items=[out(e) for e in await webhooks.listed(principal)])

    @get(
        "/{webhook_id:str}", operation_id="getWebhook", opt=MANAGE,
        responses=responses(400, 401, 403, 404, 422, 503), summary="One endpoint",
    )  # fmt: skip
    async def one(
        self,
        webhook_id: WebhookId,
        principal: Acting,
        webhooks: Using,
    ) -> WebhookOut:
        """The endpoint, without its secret."""
        return out(await webhooks.get(principal, _id(webhook_id)))

    @patch(
        "/{webhook_id:str}", operation_id="updateWebhook", opt=MANAGE,
        responses=responses(400, 401, 403, 404, 413, 415, 422, 503), summary="Change an endpoint",
    )  # fmt: skip
    async def change(
        self,
        webhook_id: WebhookId,
        data: JSONBody[WebhookChange],
        principal: Acting,
        webhooks: Using,
    ) -> WebhookOut:
        """Its URL (checked as when made), event types, description, or whether it is on."""
        change = Change(**msgspec.structs.asdict(data))
        return out(await webhooks.change(principal, _id(webhook_id), change))

    @delete(
        "/{webhook_id:str}", operation_id="deleteWebhook", opt=MANAGE, status_code=HTTP_204_NO_CONTENT,
        responses=responses(400, 401, 403, 404, 422, 503), summary="Remove an endpoint",
    )  # fmt: skip
    async def remove(
        self,
        webhook_id: WebhookId,
        principal: Acting,
        webhooks: Using,
    ) -> None:
        """The endpoint and its deliveries; nothing more is sent to it."""
        await webhooks.delete(principal, _id(webhook_id))

    @post(
        "/{webhook_id:str}/rotate-secret", operation_id="rotateWebhookSecret", opt=MANAGE,
        status_code=HTTP_200_OK, responses=responses(400, 401, 403, 404, 422, 503),
        summary="A new signing secret",
    )  # fmt: skip
    async def rotate(
        self,
        webhook_id: WebhookId,
        principal: Acting,
        webhooks: Using,
    ) -> WebhookSecret:
        """A new secret, shown this once; for 24 hours the old one signs beside it (two `v1,`
        signatures in `webhook-signature`), so a receiver can switch without losing a message."""
        return with_secret(await webhooks.rotate(principal, _id(webhook_id)))

    @post(
        "/{webhook_id:str}/test", operation_id="testWebhook", opt=MANAGE, status_code=HTTP_202_ACCEPTED,
        responses=responses(400, 401, 403, 404, 422, 503), summary="Send a test event",
    )  # fmt: skip
    async def test(
        self,
        webhook_id: WebhookId,
        principal: Acting,
        webhooks: Using,
    ) -> Queued:
        """A `webhook.test` event to this endpoint alone, delivered (and retried) as any other."""
        return Queued(delivery_id=await webhooks.test(principal, _id(webhook_id)))

    @get(
        "/{webhook_id:str}/deliveries", operation_id="listWebhookDeliveries", opt=MANAGE,
        responses=responses(400, 401, 403, 404, 422, 503), summary="An endpoint's deliveries",
    )  # fmt: skip
    async def deliveries(
        self,
        webhook_id: WebhookId,
        principal: Acting,
        webhooks: Using,
        cursor: Annotated[
            str | None, QueryParameter(max_length=512, description="`next_cursor` of the previous page")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100, description="Page size")] = 20,
    ) -> DeliveryPage:
        """Newest first: each event's delivery (`pending`, `delivered`, `failed`), when it is tried
        next, and every attempt (when, how long, the answer's status and first bytes, or the error)."""
        return await webhooks.deliveries(principal, _id(webhook_id), cursor, limit)

    @post(
        "/{webhook_id:str}/deliveries/{delivery_id:str}/redeliver", operation_id="redeliverWebhook",
        opt=MANAGE, status_code=HTTP_202_ACCEPTED, responses=responses(400, 401, 403, 404, 422, 503),
        summary="Send a delivery again",
    )  # fmt: skip
    async def redeliver(
        self,
        webhook_id: WebhookId,
        delivery_id: DeliveryId,
        principal: Acting,
        webhooks: Using,
    ) -> Queued:
        """The delivery is sent again now, with its `webhook-id` (a new run of retries if it fails)."""
        delivery = parse_id(delivery_id, "delivery id")
        await webhooks.redeliver(principal, _id(webhook_id), delivery)
        return Queued(delivery_id=delivery)


__all__ = ["Delivery", "WebhookController"]
