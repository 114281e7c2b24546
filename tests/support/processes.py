"""Service processes in tests: the environment that reproduces a test's settings in a child process."""

from __future__ import annotations

import os

from dam.settings import ENV_VARS, Settings


def env_of(settings: Settings, **extra: str) -> dict[str, str]:
    """The DAM_* environment that reproduces these settings in another process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAM_")}
    for name, (section, field) in ENV_VARS.items():
        value = getattr(getattr(settings, section), field)
        env[name] = ",".join(value) if isinstance(value, tuple) else str(value)
    env.update(extra)
    return env
