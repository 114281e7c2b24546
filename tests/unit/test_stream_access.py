"""Stream tokens: a lifetime capped whatever the file's duration, a MAC that covers the asset's and
the viewer's generations, and a viewer that names the credential itself."""

from __future__ import annotations

import uuid

import pytest

from dam.domain import stream_access as tokens
from dam.domain.access import Principal, Role
from dam.domain.errors import Forbidden

pytestmark = pytest.mark.unit
SECRET = b"k" * 32
ASSET = uuid.UUID(int=7)
VIEWER = f"k{uuid.UUID(int=9).hex}"


@pytest.mark.parametrize(
    ("until", "expected"),
    [
        pytest.param(None, 1_000 + 7_200, id="the-cap"),
        pytest.param(1_000 + 60.5, 1_000 + 60, id="a-link-that-ends-sooner"),
        pytest.param(1_000 + 86_400, 1_000 + 7_200, id="a-link-that-ends-later"),
    ],
)
def test_a_token_lives_the_cap_at_most(until: float | None, expected: int) -> None:
    assert tokens.expiry(1_000, 7_200, until) == expected


@pytest.mark.parametrize(
    "now",
    [pytest.param((1, 0), id="asset-bumped"), pytest.param((0, 1), id="viewer-bumped")],
)
def test_a_bumped_generation_refuses_earlier_tokens(now: tokens.Generations) -> None:
    token = tokens.issue(SECRET, ASSET, VIEWER, 2_000, (0, 0))
    assert tokens.verify(SECRET, token, ASSET, 1_000, (0, 0)).viewer == VIEWER
    with pytest.raises(Forbidden, match="revoked"):
        tokens.verify(SECRET, token, ASSET, 1_000, now)
    fresh = tokens.issue(SECRET, ASSET, VIEWER, 2_000, now)
    assert tokens.verify(SECRET, fresh, ASSET, 1_000, now).expires == 2_000


def test_the_viewer_is_the_credential_itself() -> None:
    user, key, token = uuid.UUID(int=1), uuid.UUID(int=2), uuid.UUID(int=3)
    ws = uuid.UUID(int=4)
    as_key = Principal(kind="key", workspace_id=ws, role=Role.EDITOR, user_id=user, key_id=key)
    as_token = Principal(kind="upload_token", workspace_id=ws, role=Role.EDITOR, user_id=user, token_id=token)
    as_user = Principal(kind="user", workspace_id=ws, role=Role.EDITOR, user_id=user)
    assert tokens.viewer_of(as_key) == f"k{key.hex}"
    assert tokens.viewer_of(as_token) == f"t{token.hex}"
    assert tokens.viewer_of(as_user) == f"u{user.hex}"
    assert tokens.subjects(ASSET, "-") == (f"a{ASSET.hex}", None)
    assert tokens.viewer_in(tokens.issue(SECRET, ASSET, VIEWER, 2_000)) == VIEWER
