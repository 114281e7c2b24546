"""Debian's Chromium driven by Playwright (no browser download at run time)."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip


@contextlib.contextmanager
def static_site(directory: Path, backend: dict[str, Callable[[], bytes]] | None = None) -> Iterator[str]:
    """Serve ``directory`` on a free loopback port (a page of another origin), and GET ``backend``
    paths by calling their function for a JSON body (the site's own server side); yields its origin."""
    handler = functools.partial(_QuietHandler, directory=str(directory), backend=backend or {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="static-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args: Any, backend: dict[str, Callable[[], bytes]], **kwargs: Any) -> None:
        self.backend = backend
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        route = self.backend.get(self.path.split("?", 1)[0])
        if route is None:
            super().do_GET()
            return
        body = route()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass
