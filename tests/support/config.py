"""Where the tests find the machine's services and the project itself."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ADMIN_URL = os.environ.get("DAM_TEST_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("DAM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ACCESS_KEY = "dam-test"
SECRET_KEY = "dam-test-secret-" + secrets.token_hex(8)
