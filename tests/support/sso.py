"""The browser's side of a single sign-on, without a browser: start it, let the provider answer,
bring the answer back; and what the service's answer says (signed in, or refused and why)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from litestar.testing import AsyncTestClient

Client = AsyncTestClient[Any]


async def sign_in_flow(
    api: Client, callback: Callable[[str], str] | None = None, start_at: str = "/auth/oidc/login"
) -> httpx.Response:
    """Start a sign-in (at ``start_at``), let the provider answer, and bring its answer back; the
    final redirect."""
    start = await api.get(start_at, follow_redirects=False)
    assert start.status_code == 302, start.text
    async with httpx.AsyncClient(timeout=30) as browser:
        at_provider = await browser.get(start.headers["location"], follow_redirects=False)
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["location"])
    url = f"{back.path}?{back.query}"
    return await api.get(callback(url) if callback else url, follow_redirects=False)


def refusal(answer: httpx.Response) -> str:
    """The reason of a refused sign-in (the ``sso_error`` of its redirect to the page)."""
    assert answer.status_code == 302, answer.text
    location = urlsplit(answer.headers["location"])
    assert location.path == "/"
    assert not signed_in(answer)
    (reason,) = parse_qs(location.query)["sso_error"]
    return reason


def signed_in(answer: httpx.Response) -> bool:
    """Whether an answer sets a session cookie (it may clear the sign-in's binding cookie)."""
    cookies = answer.headers.get_list("set-cookie")
    return any(c.startswith(("dam_session=", "__Host-dam_session=")) for c in cookies)
