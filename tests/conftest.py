"""Session-wide real services (a throw-away database migrated from scratch, a SeaweedFS); folder markers."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from dam.db.migrate import upgrade
from dam_dev.devs3 import DevS3
from tests.support.config import ACCESS_KEY, ROOT, SECRET_KEY
from tests.support.databases import throwaway_database
from tests.support.marks import folder_mark
from tests.support.scheduling import ordinary_scheduling


def pytest_configure(config: pytest.Config) -> None:
    """Young-generation collections less often: every integration test builds an app (tens of
    thousands of objects, cyclic garbage once the test ends), and the default threshold of 700
    allocations spends a fifth of such a test in the collector. Memory stays flat (the app freezes
    its start-up objects once per process, not once per app)."""
    gc.set_threshold(10_000, 10, 10)


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test by its folder, and run the unit tests first."""
    for item in items:
        if mark := folder_mark(item):
            item.add_marker(mark)
    items.sort(key=lambda item: folder_mark(item) != "unit")  # stable: file order kept otherwise


@pytest.fixture(autouse=True)
def _ordinary_scheduling() -> None:
    """No test runs, nor starts a process, under a real-time policy (see tests/support/scheduling.py)."""
    ordinary_scheduling()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevS3]:
    """One SeaweedFS on free loopback ports for the whole session."""
    store = DevS3(tmp_path_factory.mktemp("seaweedfs"), access_key=ACCESS_KEY, secret_key=SECRET_KEY)
    store.start()
    yield store
    store.stop()


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    """A database of its own for this session, migrated from empty with Alembic, dropped at the end."""
    async with throwaway_database("dam_test") as url:
        await asyncio.to_thread(upgrade, url)
        yield url


@pytest.fixture
def artifacts_dir() -> Path:
    """Where tests leave files worth looking at (git-ignored)."""
    path = ROOT / "artifacts"
    path.mkdir(exist_ok=True)
    return path
