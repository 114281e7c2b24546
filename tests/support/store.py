"""``dam setup-store`` for a test's settings, as a deployment runs it before the API."""

from __future__ import annotations

import asyncio
import concurrent.futures

import msgspec

from dam.settings import Settings
from dam.startup import setup_store


def set_up_store(settings: Settings, endpoint_url: str | None = None) -> None:
    """Create the bucket and apply its rules for these settings (on the store at ``endpoint_url``,
    default the settings' own), in a thread of its own: tests call this from inside their loop."""
    real = settings
    if endpoint_url is not None:
        real = msgspec.structs.replace(
            settings, s3=msgspec.structs.replace(settings.s3, endpoint_url=endpoint_url)
        )
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, setup_store(real)).result()


def allow_origin(settings: Settings, origin: str) -> None:
    """The bucket's CORS rules let ``origin`` (a page a test serves on a port of its own) upload,
    as an operator runs ``dam setup-store`` again with that origin in DAM_CORS_ORIGINS."""
    set_up_store(
        msgspec.structs.replace(settings, s3=msgspec.structs.replace(settings.s3, cors_origins=(origin,)))
    )
