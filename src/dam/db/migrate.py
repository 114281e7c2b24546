"""Schema migrations: create the database if missing, then ``alembic upgrade head``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from alembic import command
from alembic.config import Config

from dam.paths import project_dir


def migrations_dir() -> Path:
    """The ``migrations/`` folder of the checkout (or of the image's working directory)."""
    return project_dir("migrations", "env.py")


async def ensure_database(url: str) -> bool:
    """Create the database named in ``url`` when it does not exist; True if it was created."""
    try:
        conn = await asyncpg.connect(url)
    except asyncpg.InvalidCatalogNameError:
        pass
    else:
        await conn.close()
        return False
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    try:
        await admin.execute(f'CREATE DATABASE "{name.replace(chr(34), chr(34) * 2)}"')
    except asyncpg.DuplicateDatabaseError:
        return False
    finally:
        await admin.close()
    return True


def upgrade(url: str, revision: str = "head") -> None:
    """Run Alembic migrations against ``url`` (blocking; call from a thread inside an event loop)."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["database_url"] = url
    config.attributes["configure_logging"] = False
    command.upgrade(config, revision)


def migrate(url: str) -> None:
    """Create the database if needed and bring its schema up to date."""
    asyncio.run(ensure_database(url))
    upgrade(url)
