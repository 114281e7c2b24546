"""Service processes in tests (``python -m dam.cli api|worker|run ...``): one way to start, wait, stop.

Each process writes stdout and stderr to its own log file. Waiting for its health URL polls against
a deadline and fails loudly, with the exit code and the tail of that log, when the deadline passes
or the process exits first. Stopping is one path: a signal, a bounded wait, then SIGKILL. A failure
inside ``with process:`` (or ``async with``, which stops it off the event loop) carries the
process's log tail as an exception note.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, NoReturn

import httpx
import pytest

from dam.settings import ENV_VARS, Settings
from tests.support.config import ROOT

STARTUP_DEADLINE = 60.0  # generous: the machine is shared and often busy
STOP_DEADLINE = 20.0
POLL_INTERVAL = 0.2
TAIL_LINES = 40


def env_of(settings: Settings, **extra: str) -> dict[str, str]:
    """The DAM_* environment that reproduces these settings in another process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAM_")}
    for name, (section, field) in ENV_VARS.items():
        value = getattr(getattr(settings, section), field)
        env[name] = ",".join(map(str, value)) if isinstance(value, tuple) else str(value)
    env.update(extra)
    return env


def dam_args(*args: str, log_level: str | None = "warning") -> list[str]:
    """The command line of ``dam ARGS`` with this environment's Python."""
    level = ["--log-level", log_level] if log_level else []
    return [sys.executable, "-m", "dam.cli", *level, *args]


class ServiceProcess:
    """One child process with its output in a log file, a health deadline and one stop path."""

    def __init__(
        self, args: Sequence[str], *, log_path: Path, env: Mapping[str, str] | None = None, name: str = ""
    ) -> None:
        self.args = list(args)
        self.env = dict(env) if env is not None else None
        self.log_path = log_path
        self.name = name or Path(self.args[0]).name
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._reported = False  # fail() already showed the log: no second copy as a note

    def start(self) -> ServiceProcess:
        """Start the process from the project folder, its output going to ``log_path``."""
        if self._proc is not None:
            raise RuntimeError(f"{self.name} was already started")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        self._proc = subprocess.Popen(
            self.args, env=self.env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT
        )
        return self

    @property
    def process(self) -> subprocess.Popen[bytes]:
        """The running (or finished) process."""
        if self._proc is None:
            raise RuntimeError(f"{self.name} was never started")
        return self._proc

    @property
    def returncode(self) -> int | None:
        """The exit code, or None while the process runs."""
        return self.process.poll()

    def log_tail(self, lines: int = TAIL_LINES) -> str:
        """The last lines the process wrote."""
        try:
            text = self.log_path.read_bytes().decode(errors="replace")
        except FileNotFoundError:
            return "(no log file)"
        return "\n".join(text.splitlines()[-lines:]) or "(the log is empty)"

    def describe(self) -> str:
        """Its state and the tail of its log, for failure messages."""
        code = self.returncode
        state = "still running" if code is None else f"exit code {code}"
        return (
            f"{self.name} (pid {self.process.pid}, {state}); the end of its log, {self.log_path}:\n"
            f"{self.log_tail()}"
        )

    def fail(self, reason: str) -> NoReturn:
        """Fail the test, naming the process, its exit code and the tail of its log."""
        self._reported = True
        pytest.fail(f"{self.name}: {reason}\n{self.describe()}")

    def assert_running(self, context: str = "") -> None:
        """Fail loudly if the process has already exited."""
        code = self.returncode
        if code is not None:
            self.fail(f"exited early with code {code} {context}".rstrip())

    def wait_healthy(self, url: str, within: float = STARTUP_DEADLINE) -> None:
        """Poll ``url`` until it answers 200; fail at the deadline or as soon as the process exits."""
        deadline = time.monotonic() + within
        last = "no answer yet"
        while True:
            self.assert_running(f"before {url} answered 200")
            try:
                response = httpx.get(url, timeout=min(5.0, within))
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code == 200:
                    return
                last = f"answered {response.status_code}: {response.text[:200]}"
            if time.monotonic() >= deadline:
                self.fail(f"{url} did not answer 200 within {within:g}s (last: {last})")
            time.sleep(POLL_INTERVAL)

    async def healthy(self, url: str, within: float = STARTUP_DEADLINE) -> None:
        """``wait_healthy`` off the event loop, for async tests that serve something on that loop."""
        await asyncio.to_thread(self.wait_healthy, url, within)

    def stop(self, sig: signal.Signals = signal.SIGTERM, within: float = STOP_DEADLINE) -> int:
        """Send ``sig``, wait up to ``within`` seconds, then SIGKILL; returns the exit code (idempotent)."""
        proc = self.process
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout=within)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=within)
        if self._log is not None:
            self._log.close()
        return proc.returncode

    def kill(self) -> int:
        """SIGKILL, as a crash or an OOM kill would end it; returns the exit code."""
        return self.stop(signal.SIGKILL)

    def __enter__(self) -> ServiceProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is not None and self._proc is not None and not self._reported:
            exc.add_note(self.describe())
        self.stop()

    async def __aenter__(self) -> ServiceProcess:
        return self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # Stopping waits for the process: off the loop, which may serve what the process talks to.
        await asyncio.to_thread(self.__exit__, exc_type, exc, tb)


def dam(
    *args: str,
    log_dir: Path,
    env: Mapping[str, str] | None = None,
    log_level: str | None = "warning",
    name: str = "",
) -> ServiceProcess:
    """A ``dam ARGS`` process (not started yet) logging to ``log_dir/<name>.log``."""
    name = name or args[0]
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path, count = log_dir / f"{name}.log", 1
    while log_path.exists():
        count += 1
        log_path = log_dir / f"{name}-{count}.log"
    log_path.touch()  # reserved now: a second process of that name, not started yet, gets name-2.log
    return ServiceProcess(
        dam_args(*args, log_level=log_level), log_path=log_path, env=env, name=f"dam {name}"
    )
