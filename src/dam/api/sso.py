"""Single sign-on routes: the page asks ``/auth/providers`` whether to show the button, which goes
to ``/auth/oidc/login``; the provider sends the browser back to ``/auth/oidc/callback``."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Redirect
from litestar.status_codes import HTTP_302_FOUND

from dam.api.access import browser_cookie, host_cookie, policy, public_base
from dam.api.accounts import _cookie
from dam.api.addresses import client_address
from dam.api.errors import responses
from dam.domain.access import ANONYMOUS
from dam.domain.errors import Forbidden, Gone, NotFound, Unauthenticated
from dam.services.sso import STATE_TTL, Pending, Sso

# OAuth 2.0 writes codes, states and error codes in visible ASCII (RFC 6749 appendix A); bounded so
# that a request line stays well inside what the HTTP server accepts.
_VSCHAR = r"^[\x20-\x7e]+$"
SSO_COOKIE = "dam_sso"  # binds a sign-in to the browser that started it (__Host-dam_sso over https)
Param = Annotated[str | None, QueryParameter(max_length=2048, pattern=_VSCHAR)]
State = Annotated[str | None, QueryParameter(name="state", max_length=512, pattern=_VSCHAR)]
# A path of this site (not `//host`, nor `/\host`, which browsers read as another host's); the
# lookahead after `$` refuses the one line break Python's `$` lets through at the end.
_LOCAL_PATH = r"^/(?![/\\])[\x21-\x7e]*$(?!\n)"
ReturnTo = Annotated[
    str | None,
    QueryParameter(
        max_length=2048, pattern=_LOCAL_PATH,
        description="A path of this site (`/app/...`) to return to, signed in or refused (default `/`)",
    ),
]  # fmt: skip
InvitationToken = Annotated[
    str | None,
    QueryParameter(
        max_length=128, pattern=_VSCHAR,
        description="An invitation's token (`dam_inv_...`): the sign-in accepts it",
    ),
]  # fmt: skip


class OidcProvider(msgspec.Struct, kw_only=True):
    """The configured OpenID Connect provider."""

    name: str
    login_url: str


class Providers(msgspec.Struct, kw_only=True):
    """``GET /auth/providers``: how one may sign in here."""

    password: bool = True
    oidc: OidcProvider | None = None


class SsoController(Controller):
    """OpenID Connect sign-in (authorization code, PKCE, state and nonce)."""

    path = "/auth"
    tags = ("auth",)

    @get(
        "/providers", operation_id="listSignInProviders", opt=policy(ANONYMOUS), responses=responses(400),
        summary="How to sign in (password, single sign-on)",
    )  # fmt: skip
    async def providers(self, request: Request[Any, Any, Any], sso: NamedDependency[Sso]) -> Providers:
        """Password sign-in, and the single sign-on provider when one is configured (`oidc`)."""
        if not sso.enabled:
            return Providers()
        name = sso.settings.name
        return Providers(oidc=OidcProvider(name=name, login_url=f"{public_base(request)}/auth/oidc/login"))

    @get(
        "/oidc/login", operation_id="startSingleSignOn", opt=policy(ANONYMOUS), status_code=HTTP_302_FOUND,
        responses=responses(400, 404, 410, 429, 503),
        summary="Sign in with the identity provider (a redirect)",
    )  # fmt: skip
    async def login(
        self, request: Request[Any, Any, Any], sso: NamedDependency[Sso], invitation: InvitationToken = None,
        return_to: ReturnTo = None,
    ) -> Redirect:  # fmt: skip
        """302 to the provider's authorization endpoint, with a new `state`, `nonce` and PKCE
        challenge, and a short-lived cookie that binds the sign-in to this browser (the callback
        signs in only the browser holding it); 404 when single sign-on is not configured, 429 past
        `DAM_ANONYMOUS_MAX_PER_MINUTE` starts from one address. With `invitation` (the token of an
        invitation's link) the sign-in accepts it for the provider's verified address: 404 for an
        unknown link, 410 for one used, revoked or expired, as `POST /invitations/{token}/accept`.
        The callback sends the browser to `return_to` (a path of this site, by default `/`)."""
        callback = f"{public_base(request)}/auth/oidc/callback"
        started = await sso.begin(callback, client_address(request), invitation, return_to or "/")
        cookie = browser_cookie(request, host_cookie(request, SSO_COOKIE), started.browser, STATE_TTL)
        return Redirect(started.url, status_code=HTTP_302_FOUND, cookies=[cookie])

    @get(
        "/oidc/callback", operation_id="finishSingleSignOn", opt=policy(ANONYMOUS),
        status_code=HTTP_302_FOUND, responses=responses(400, 404, 503),
        summary="Where the identity provider sends the browser back",
    )  # fmt: skip
    async def callback(
        self,
        request: Request[Any, Any, Any],
        sso: NamedDependency[Sso],
        oauth_state: State = None,
        code: Param = None,
        error: Param = None,
    ) -> Response[Any]:
        """302 to the page the sign-in started from (its `return_to`), signed in (the session
        cookie), or with `sso_error` added to its query saying why not (to `/` when the sign-in is
        not known):
        an unknown or reused `state`, a browser other than the one that started the sign-in (no
        or another binding cookie), a provider's refusal, an ID token of another issuer or
        audience, expired, signed by an unknown key or for another `nonce`. No user is made then.
        A sign-in started from an invitation accepts it, or is refused the same way (no verified
        address, another address than the invited one, an account of that address not linked to
        this identity, an invitation no longer acceptable), accepting and making nothing."""
        if not sso.enabled:
            raise NotFound("single sign-on is not configured")
        address = client_address(request)
        binding = host_cookie(request, SSO_COOKIE)
        browser = request.cookies.get(binding)
        # The binding is good for one callback: the browser forgets it.
        spent = [browser_cookie(request, binding, "", 0)] if browser else []
        pending: Pending | None = None
        try:
            if not oauth_state:
                raise Unauthenticated("the identity provider's answer has no state")
            pending = await sso.take(oauth_state, browser)
            if error:
                raise Unauthenticated(f"the identity provider refused: {error[:200]}")
            if not code:
                raise Unauthenticated("the identity provider's answer has no code")
            signed = await sso.finish(pending, code, address)
        except (Unauthenticated, Forbidden, Gone) as refused:
            back = with_query(pending.back if pending else "/", sso_error=refused.detail)
            return Redirect(back, status_code=HTTP_302_FOUND, cookies=spent)
        max_age = sso.all_settings.auth.session_max_age
        cookies = [_cookie(request, signed.session_id, max_age), *spent]
        return Redirect(pending.back, status_code=HTTP_302_FOUND, cookies=cookies)


def with_query(path: str, **params: str) -> str:
    """``path`` with ``params`` added to its query (replacing any of the same names)."""
    parts = urlsplit(path)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    return urlunsplit(("", "", parts.path, urlencode([*query, *params.items()]), parts.fragment))
