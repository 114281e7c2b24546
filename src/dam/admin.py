"""``dam admin``: create users and keys from the command line (the first admin of a deployment,
keys for scripts), link accounts to single sign-on identities, and the development sign-in
``make run`` prints on a fresh database."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from dam.domain.access import Role
from dam.services.accounts import Accounts
from dam.services.processing import Processing
from dam.services.sso import link_identity as link
from dam.settings import Settings
from dam.startup import CLI, started

DEV_WORKSPACE = "dev"
UPGRADED_WORKSPACE = "default"  # where the accounts migration put the assets of a database that had some
DEV_ADMIN = "admin@dam.localhost"


async def create_user(
    settings: Settings, email: str, password: str | None, workspace: str, role: Role, *, operator: bool
) -> tuple[str, str | None]:
    """Create (or update) a user with a role in a workspace, creating the workspace when missing;
    returns the user's id and the password drawn when none was given."""
    drawn = None
    if password is None:
        drawn = password = secrets.token_urlsafe(18)
    async with started(settings, CLI) as resources:
        accounts = Accounts(resources)
        space = await accounts.ensure_workspace(workspace)
        user = await accounts.create_user(email, password, space, role, operator=operator)
    return str(user.id), drawn


async def rerun_enrichment(
    settings: Settings, kind: str, workspace: str | None, limit: int | None, progress: Callable[[int], None]
) -> int:
    """Queue enrichment ``kind`` again for every ready asset that planned it (``dam enrich``)."""
    async with started(settings, CLI) as resources:
        return await Processing(resources).rerun_everywhere(
            kind, workspace=workspace, limit=limit, progress=progress
        )


async def create_key(
    settings: Settings, workspace: str, role: Role, name: str, expires_in: float | None
) -> str:
    """Create a key of a workspace (created when missing); returns the secret."""
    async with started(settings, CLI) as resources:
        accounts = Accounts(resources)
        space = await accounts.ensure_workspace(workspace)
        made = await accounts.create_key(None, space.id, role, name, expires_in)
    return made.secret


async def link_identity(settings: Settings, email: str, issuer: str, subject: str) -> tuple[str, bool]:
    """Link the account of ``email`` to the provider's identity ``issuer`` + ``subject``: the
    user's id, and whether it was linked now (False: it was already)."""
    async with started(settings, CLI) as resources:
        user, made = await link(resources.pool, email, issuer, subject)
    return str(user.id), made


async def bootstrap(settings: Settings) -> str | None:
    """On a database with no user: a ``dev`` workspace and an admin (and operator) with a random
    password, which is returned (None when users exist: nothing is made). On a database that had
    assets before accounts existed, the admin is also admin of the ``default`` workspace that holds them."""
    async with started(settings, CLI) as resources:
        accounts = Accounts(resources)
        if await accounts.count_users():
            return None
        password = secrets.token_urlsafe(18)
        space = await accounts.ensure_workspace(DEV_WORKSPACE)
        await accounts.create_user(DEV_ADMIN, password, space, Role.ADMIN, operator=True)
        if UPGRADED_WORKSPACE in await accounts.workspace_slugs():
            upgraded = await accounts.ensure_workspace(UPGRADED_WORKSPACE)
            await accounts.create_user(DEV_ADMIN, None, upgraded, Role.ADMIN)
    return password
