"""Workspaces, users and keys for tests, made with the service's own account code on the test's
database (as ``dam admin`` makes them)."""

from __future__ import annotations

import contextlib
import secrets
import types
import uuid
from collections.abc import AsyncIterator
from typing import Any

from litestar.testing import AsyncTestClient

from dam.db.pool import Pool
from dam.domain.access import Role
from dam.domain.accounts import Workspace
from dam.services.accounts import Accounts
from dam.settings import Settings

PASSWORD = "correct horse battery staple 42"


class Identities:
    """Make workspaces, keys and users."""

    def __init__(self, settings: Settings, pool: Pool) -> None:
        self.accounts = Accounts(types.SimpleNamespace(settings=settings, pool=pool))  # type: ignore[arg-type]

    async def workspace(self, slug: str | None = None) -> Workspace:
        """A workspace (a fresh one unless ``slug`` names it)."""
        return await self.accounts.ensure_workspace(slug or f"t-{uuid.uuid4().hex[:16]}")

    async def key(
        self,
        workspace: Workspace,
        role: str = "admin",
        *,
        expires_in: float | None = None,
        name: str = "test",
    ) -> str:
        """A key of the workspace with that role; its secret."""
        made = await self.accounts.create_key(None, workspace.id, Role(role), name, expires_in)
        return made.secret

    async def user(
        self, workspace: Workspace, role: str = "admin", *, operator: bool = False, password: str = PASSWORD
    ) -> tuple[str, str]:
        """A user with that role in the workspace; their email and password."""
        email = f"u-{secrets.token_hex(6)}@example.test"
        await self.accounts.create_user(email, password, workspace, Role(role), operator=operator)
        return email, password


def bearer(key: str) -> dict[str, Any]:
    """The header that sends an API key."""
    return {"Authorization": f"Bearer {key}"}


@contextlib.asynccontextmanager
async def client_of(settings: Settings, key: str) -> AsyncIterator[AsyncTestClient[Any]]:
    """The API in-process for these settings, sending ``key``."""
    from dam.api.app import create_app

    async with AsyncTestClient(app=create_app(settings)) as client:
        client.headers.update(bearer(key))
        yield client


async def key_in(database_url: str, role: str = "admin") -> str:
    """A key of a fresh workspace in another database (a test's own)."""
    from dam.db.pool import create_pool
    from dam.settings import load_settings

    settings = load_settings({"DAM_DATABASE_URL": database_url})
    pool = await create_pool(settings.db)
    try:
        identities = Identities(settings, pool)
        return await identities.key(await identities.workspace(), role)
    finally:
        await pool.close()
