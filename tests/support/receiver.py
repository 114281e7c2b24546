"""A webhook receiver on loopback: records every request it gets and answers what the test asks
(a status, a Retry-After), or is down (its port closed) until the test brings it back."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """What it got, and what it answers next: ``answers`` (status codes, first first) then 204."""

    port: int = 0
    got: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    retry_after: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def up(self) -> None:
        """Listen (again, on the same port once it has one)."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.got.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    status = receiver.answers.pop(0) if receiver.answers else 204
                self.send_response(status)
                if status in (429, 503) and receiver.retry_after is not None:
                    self.send_header("Retry-After", receiver.retry_after)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: object) -> None:
                return

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="receiver", daemon=True)
        self._thread.start()

    def down(self) -> None:
        """Stop listening: connections are refused until ``up``."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def bodies(self) -> list[bytes]:
        with self.lock:
            return [r.body for r in self.got]


@contextlib.contextmanager
def receiving() -> Iterator[Receiver]:
    """A receiver that is up, and down at the end."""
    receiver = Receiver()
    receiver.up()
    try:
        yield receiver
    finally:
        receiver.down()
