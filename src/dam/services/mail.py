"""Outgoing mail (invitations) through the SMTP server of ``DAM_SMTP_URL``: the standard library's
``smtplib`` in a thread, so the event loop never waits on the mail server."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from dam.domain.errors import InvalidInput, MailUnavailable

TIMEOUT = 10.0  # seconds for the whole conversation's each step


def sender_of(smtp_from: str, public_url: str) -> str:
    """The From address: ``DAM_SMTP_FROM``, else dam@ the host of ``DAM_PUBLIC_URL`` (or localhost)."""
    return smtp_from or f"dam@{urlsplit(public_url).hostname or 'localhost'}"


def message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text message."""
    if any(c in to for c in "\r\n,;<>"):
        raise InvalidInput("email must be a single address")
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, to, subject
    mail.set_content(body)
    return mail


async def send(url: str, mail: EmailMessage) -> None:
    """Hand one message to the server of ``url`` (smtp://[user:pass@]host[:port], plain, STARTTLS
    when the server offers it; smtps:// for TLS from the start, port 465 by default)."""
    try:
        await asyncio.to_thread(_send, url, mail)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailUnavailable(f"the mail server did not take the invitation: {type(exc).__name__}") from None


def _send(url: str, mail: EmailMessage) -> None:
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if parts.scheme == "smtps":
        client = smtplib.SMTP_SSL(host, parts.port or 465, timeout=TIMEOUT, context=context)
    else:
        client = smtplib.SMTP(host, parts.port or 25, timeout=TIMEOUT)
    with client:
        client.ehlo()
        if parts.scheme == "smtp" and client.has_extn("starttls"):
            client.starttls(context=context)
            client.ehlo()
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(mail)
