"""A small SMTP server on a loopback port, in a thread of its own (the in-process API may run on
another event loop), that keeps every message it is given: RFC 5321's plain conversation (EHLO or
HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; no STARTTLS, no AUTH)."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import socketserver
import threading
from collections.abc import AsyncIterator
from email.message import EmailMessage
from typing import Any


class Mailbox:
    """The messages a server received, and a way to wait for them."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self._arrived = threading.Condition()

    def add(self, data: bytes, recipients: list[str]) -> None:
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self._arrived:
            self.messages.append(parsed)
            self.recipients.append(recipients)
            self._arrived.notify_all()

    async def wait(self, count: int, within: float = 10.0) -> list[EmailMessage]:
        """The first ``count`` messages, once they are there (fails after ``within`` seconds)."""

        def arrived() -> bool:
            with self._arrived:
                return self._arrived.wait_for(lambda: len(self.messages) >= count, within)

        assert await asyncio.to_thread(arrived), f"{len(self.messages)} of {count} messages in {within} s"
        return self.messages[:count]


class _Session(socketserver.StreamRequestHandler):
    server: _Server

    def say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        self.say("220 test SMTP ready")
        recipients: list[str] = []
        while line := self.rfile.readline():
            verb = line.decode("ascii", "replace").strip().split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.say("250-test\r\n250 8BITMIME")
            elif verb in {"HELO", "NOOP"}:
                self.say("250 ok")
            elif verb in {"MAIL", "RSET"}:
                recipients = []
                self.say("250 ok")
            elif verb == "RCPT":
                recipients.append(line.decode().split(":", 1)[1].strip().strip("<>"))
                self.say("250 ok")
            elif verb == "DATA":
                self.say("354 end with <CRLF>.<CRLF>")
                lines = []
                while (data := self.rfile.readline()) not in {b".\r\n", b".\n", b""}:
                    lines.append(data[1:] if data.startswith(b"..") else data)
                self.server.mailbox.add(b"".join(lines), recipients)
                self.say("250 queued")
            elif verb == "QUIT":
                self.say("221 bye")
                return
            else:
                self.say("502 not implemented")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True

    def __init__(self, mailbox: Mailbox, *args: Any) -> None:
        self.mailbox = mailbox
        super().__init__(*args)


@contextlib.asynccontextmanager
async def smtp_server() -> AsyncIterator[tuple[str, Mailbox]]:
    """A running server: its ``smtp://127.0.0.1:port`` URL and its mailbox."""
    mailbox = Mailbox()
    server = _Server(mailbox, ("127.0.0.1", 0), _Session)
    thread = threading.Thread(target=server.serve_forever, name="smtp", daemon=True)
    thread.start()
    try:
        yield f"smtp://127.0.0.1:{server.server_address[1]}", mailbox
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
