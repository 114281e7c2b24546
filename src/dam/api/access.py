"""Access on every route: each handler declares a ``Policy`` (``opt={POLICY: ...}``, by ``policy()``)
and one application hook (``before_request``, ahead of the handler, its dependencies and its body)
enforces it.

Credentials, in order: an upload token in the path (routes under ``/uploads/{token}/``), an
``Authorization: Bearer dam_live_...`` API key, the session cookie of a browser (``dam_session``,
``__Host-dam_session`` over https; its writes must carry ``X-CSRF-Token``). A route without a
declared policy is refused: the application will not even build (``check_policies``), and a test
lists every route's.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.handlers import BaseRouteHandler
from litestar.routes import HTTPRoute

from dam.api.addresses import client_address
from dam.api.methods import UNSAFE
from dam.domain.access import ANONYMOUS, Policy, Principal, Scope, needs, require
from dam.domain.errors import DamError, Forbidden, Unauthenticated
from dam.services import passwords
from dam.services.auth import Auth

POLICY = "dam.policy"
PRINCIPAL = "dam.principal"
SESSION_COOKIE = "dam_session"
CSRF_HEADER = "x-csrf-token"
WORKSPACE_HEADER = "x-workspace"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def policy(rule: Policy) -> dict[str, Any]:
    """A handler's ``opt`` declaring its policy."""
    return {POLICY: rule}


def read() -> dict[str, Any]:
    """Members who may read (viewer and up)."""
    return policy(needs(Scope.READ))


async def access_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Enforce the handler's policy (called by the application's ``before_request`` hook); the
    principal is then ``request.scope[PRINCIPAL]``."""
    rule: Policy | None = handler.opt.get(POLICY)
    if rule is None:  # check_policies refuses to build such an app: this is a second lock
        raise Forbidden("this route declares no access policy")
    # A share route looks its link up itself (services/shares.py), a stream route checks its token.
    if rule.anonymous or rule.share or rule.stream:
        return
    auth: Auth = connection.app.state.auth
    token = connection.path_params.get("token") if rule.token else None
    if isinstance(token, str):
        principal = await auth.token_principal(token)
    else:
        principal = await _principal(connection, auth)
    _check(rule, principal)
    address = client_address(connection)
    connection.scope[PRINCIPAL] = msgspec.structs.replace(principal, address=address)  # type: ignore[literal-required]


async def _principal(connection: ASGIConnection[Any, Any, Any, Any], auth: Auth) -> Principal:
    workspace = connection.headers.get(WORKSPACE_HEADER) or connection.query_params.get("workspace")
    header = connection.headers.get("authorization")
    if header is not None:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Unauthenticated("send the API key as 'Authorization: Bearer <key>'")
        return await auth.key_principal(secret.strip(), workspace)
    session_id = connection.cookies.get(session_cookie(connection))
    if session_id is None:
        raise Unauthenticated("sign in (POST /auth/login) or send an API key (Authorization: Bearer <key>)")
    user = await auth.session_user(session_id)
    # A write, or a GET that creates (Companion's /s3/params): a cross-site page cannot send it.
    if connection.scope.get("method", "GET") not in SAFE_METHODS or connection.route_handler.opt.get(UNSAFE):
        check_csrf(connection, session_id)
    return await auth.user_principal(user, workspace)


def check_csrf(connection: ASGIConnection[Any, Any, Any, Any], session_id: str) -> None:
    """403 unless the request carries the CSRF token of its session (``X-CSRF-Token``)."""
    sent = connection.headers.get(CSRF_HEADER, "")
    if not passwords.same(sent.encode(), passwords.csrf_token(session_id).encode()):
        raise Forbidden("a signed-in browser's writes must carry the X-CSRF-Token of GET /auth/me")


def _check(rule: Policy, principal: Principal) -> None:
    if rule.operator and principal.operator:
        return
    if rule.scope is not None:
        if principal.workspace_id is None:
            raise Forbidden("you are not a member of any workspace")
        require(principal, rule.scope)
    elif rule.operator:
        raise Forbidden("only operators may do this")


def principal_of(request: Request[Any, Any, Any]) -> Principal:
    """The principal the guard admitted (a dependency of every non-anonymous route)."""
    principal = request.scope.get(PRINCIPAL)
    if not isinstance(principal, Principal):
        raise Unauthenticated("this route needs a signed-in user or an API key")
    return principal


def public_base(request: Request[Any, Any, Any]) -> str:
    """The API's address as clients reach it: ``DAM_PUBLIC_URL``, else the request's own base."""
    public: str = request.app.state.resources.settings.server.public_url
    return (public or str(request.base_url)).rstrip("/")


def browser_cookie(request: Request[Any, Any, Any], key: str, value: str, max_age: int) -> Cookie:
    """A cookie of ours: HttpOnly, SameSite=Lax, the whole site, Secure when served over HTTPS."""
    # The one test of an https deployment (a `__Host-` cookie must be Secure, whatever the case of
    # DAM_PUBLIC_URL's scheme).
    https_only: bool = request.app.state.resources.settings.server.secure_cookies
    secure = request.url.scheme == "https" or https_only
    return Cookie(
        key=key, value=value, max_age=max_age, path="/", httponly=True, secure=secure, samesite="lax"
    )


def session_of(request: Request[Any, Any, Any]) -> str | None:
    """The browser session id of the request, if it came with one."""
    return request.cookies.get(session_cookie(request))


def host_cookie(connection: ASGIConnection[Any, Any, Any, Any], name: str) -> str:
    """The name of one of our cookies: ``__Host-<name>`` when ``DAM_PUBLIC_URL`` is https (the
    browser then takes it only Secure, for the whole site, from this host alone: no other
    subdomain, nor plain http, can plant one), else ``<name>``."""
    https: bool = connection.app.state.resources.settings.server.secure_cookies
    return f"__Host-{name}" if https else name


def session_cookie(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The session cookie's name: ``__Host-dam_session`` over https, ``dam_session`` over http."""
    return host_cookie(connection, SESSION_COOKIE)


async def carried_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """On an anonymous route, the principal of the credentials the request carries: Unauthenticated
    or Forbidden when they are missing or no good, Unavailable when they cannot be checked now."""
    return await _principal(connection, connection.app.state.auth)


async def optional_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """On an anonymous route, the principal of the credentials the request carries, if they are
    good (None otherwise, or when they cannot be checked now)."""
    try:
        return await _principal(connection, connection.app.state.auth)
    except DamError:
        return None


# Routes that Litestar adds itself or that serve files: declared here, once, by path.
_OWN_ROUTES = ("/docs", "/static", "/schema")


def check_policies(app: Litestar) -> list[tuple[str, str, Policy]]:
    """Give framework routes (docs, static files, OPTIONS) their anonymous policy, and refuse to
    build an application with a route that declares none; returns (method, path, policy) of all."""
    table: list[tuple[str, str, Policy]] = []
    missing: list[str] = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            methods = sorted(str(m) for m in handler.http_methods)
            if POLICY not in handler.opt and (
                methods == ["OPTIONS"] or route.path_format.startswith(_OWN_ROUTES)
            ):
                handler.opt[POLICY] = ANONYMOUS
            rule = handler.opt.get(POLICY)
            if rule is None:
                missing.append(f"{'/'.join(methods)} {route.path_format}")
                continue
            table.extend((m, route.path_format, rule) for m in methods)
    if missing:
        raise RuntimeError(f"routes without an access policy: {', '.join(missing)}")
    return table
