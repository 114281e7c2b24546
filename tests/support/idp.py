"""An OpenID Connect provider on loopback that signs the ID tokens a test asks for: the right one,
or one of another audience or issuer, expired, signed by a key it never published, or carrying
another sign-in's nonce. (oidc-provider-mock, the tests' real provider, only issues good ones.)"""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

MODES = ("ok", "wrong-audience", "wrong-issuer", "expired", "unknown-key", "replayed-nonce")


class CraftingProvider:
    """State of the provider: the mode of the next token and the nonces it has seen."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "published"})
        self.stranger = RSAKey.generate_key(2048, parameters={"kid": "never-published"})
        self.mode = "ok"
        self.claims: dict[str, Any] = {}
        self.codes: dict[str, str] = {}  # code -> the nonce of its sign-in
        self.nonces: list[str] = []
        self.issuer = ""
        self.client_id = ""

    def token(self, code: str) -> str:
        nonce = self.codes.pop(code)
        now = int(time.time())
        claims = {
            "iss": self.issuer, "aud": self.client_id, "sub": "crafted-subject", "iat": now,
            "exp": now + 300, "nonce": nonce, **self.claims,
        }  # fmt: skip
        key = self.key
        if self.mode == "wrong-audience":
            claims["aud"] = "another-client"
        elif self.mode == "wrong-issuer":
            claims["iss"] = "http://127.0.0.1:9/not-the-issuer"
        elif self.mode == "expired":
            claims["iat"], claims["exp"] = now - 3600, now - 1800
        elif self.mode == "unknown-key":
            key = self.stranger
        elif self.mode == "replayed-nonce":
            claims["nonce"] = self.nonces[0]  # the first sign-in's, not this one's
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


@contextlib.contextmanager
def crafting_provider(client_id: str) -> Iterator[CraftingProvider]:
    """Serve a ``CraftingProvider`` on 127.0.0.1 until the block ends."""
    provider = CraftingProvider()
    provider.client_id = client_id

    class Handler(BaseHTTPRequestHandler):
        def _json(self, body: Any, status: int = 200) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/.well-known/openid-configuration":
                self._json({
                    "issuer": provider.issuer, "authorization_endpoint": f"{provider.issuer}/authorize",
                    "token_endpoint": f"{provider.issuer}/token", "jwks_uri": f"{provider.issuer}/jwks",
                    "response_types_supported": ["code"], "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                })  # fmt: skip
            elif url.path == "/jwks":
                self._json(KeySet([provider.key]).as_dict(private=False))
            elif url.path == "/authorize":  # signs anyone in at once: back with a code
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                code = secrets.token_urlsafe(16)
                provider.codes[code] = query["nonce"]
                provider.nonces.append(query["nonce"])
                target = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
                self.send_response(302)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self._json({"error": "not_found"}, 404)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if urlsplit(self.path).path != "/token" or form.get("code") not in provider.codes:
                self._json({"error": "invalid_grant"}, 400)
                return
            self._json(
                {"access_token": "x", "token_type": "Bearer", "id_token": provider.token(form["code"])}
            )

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    provider.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
