"""Invitations: no workspace admin sets a user's password or adds an existing account without its
consent (issue 29, items 1 and 2). The cross-workspace takeover attempt, the answers that tell
nothing about an address, who may accept, links that work once, the retired POST /members, role
changes through PATCH /members/{user_id}, the mailed invitation and the /invite/{token} page."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from dam.api.app import create_app
from dam.db.pool import Pool
from dam.domain.accounts import Workspace
from dam.settings import Settings
from tests.support.accounts import PASSWORD, Identities, bearer
from tests.support.smtp import smtp_server

Client = AsyncTestClient[Any]
CHOSEN_BY_A = "workspace A's choice of passphrase"
CHOSEN_BY_B = "workspace B's choice of passphrase"


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    """The API in-process with no credential of its own: each request brings one."""
    async with AsyncTestClient(app=create_app(settings)) as api:
        yield api


async def login(client: Client, email: str, password: str = PASSWORD) -> dict[str, str]:
    """Sign in; the headers that act as that browser session (cookie and CSRF token)."""
    answer = await client.post("/auth/login", json={"email": email, "password": password})
    assert answer.status_code == 200, answer.text
    return session_headers(client, answer)


def session_headers(client: Client, answer: httpx.Response) -> dict[str, str]:
    session = answer.cookies["dam_session"]
    client.cookies.clear()  # each request names its principal: nothing rides along in the jar
    return {"Cookie": f"dam_session={session}", "X-CSRF-Token": answer.json()["csrf_token"]}


def token_of(made: httpx.Response) -> str:
    assert made.status_code == 201, made.text
    link: str = made.json()["link"]
    assert "/invite/dam_inv_" in link
    return link.rsplit("/", 1)[1]


async def accept(
    client: Client, token: str, headers: dict[str, str] | None = None, **body: Any
) -> httpx.Response:
    answer = await client.post(f"/invitations/{token}/accept", json=body or None, headers=headers or {})
    return answer


def fresh_address() -> str:
    return f"new.hire-{uuid.uuid4().hex[:8]}@corp.example"


async def test_a_workspace_admin_cannot_take_over_an_account_through_another_workspace(
    client: Client, identities: Identities
) -> None:
    """Admin A invites new.hire@; admin B invites the same address. Only a link's holder makes the
    account; B's password is never anyone's; the account joins B only when it accepts B's link
    itself; A's holder of the account cannot act in B; every 201 looks the same."""
    space_a, space_b = await identities.workspace(), await identities.workspace()
    admin_a = bearer(await identities.key(space_a, "admin"))
    admin_b = bearer(await identities.key(space_b, "admin"))
    address = fresh_address()
    made_a = await client.post("/invitations", json={"email": address, "role": "viewer"}, headers=admin_a)
    made_b = await client.post("/invitations", json={"email": address, "role": "editor"}, headers=admin_b)
    link_a, link_b = token_of(made_a), token_of(made_b)
    # The holder of A's link makes the account, choosing its password: it joins A only.
    created = await accept(client, link_a, password=CHOSEN_BY_A)
    assert created.status_code == 200, created.text
    assert created.json()["user"]["email"] == address
    assert [w["id"] for w in created.json()["workspaces"]] == [str(space_a.id)]
    holder = session_headers(client, created)  # signed in by accepting, as /auth/login would
    listed = (await client.get("/members", headers=admin_a)).json()
    assert [m["email_verified"] for m in listed if m["email"] == address] == [False]
    # B's link cannot set a password for the account that now exists, signed in or not.
    b_admin, _ = await identities.user(space_b, "admin")
    for headers in ({}, await login(client, b_admin)):
        refused = await accept(client, link_b, headers, password=CHOSEN_BY_B)
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"] == "forbidden"
    assert (
        await client.post("/auth/login", json={"email": address, "password": CHOSEN_BY_B})
    ).status_code == 401
    client.cookies.clear()
    # The account is not in B: A's holder of it cannot pick B, nor read B's members or assets.
    for path in ("/assets", "/members"):
        answer = await client.get(path, headers={**holder, "X-Workspace": space_b.slug})
        assert answer.status_code == 403, answer.text
    in_b = {m["email"]: m["role"] for m in (await client.get("/members", headers=admin_b)).json()}
    assert in_b == {b_admin: "admin"}
    # A's admin key cannot act in B either.
    crossed = await client.get("/members", headers={**admin_a, "X-Workspace": space_b.slug})
    assert crossed.status_code == 403, crossed.text
    # The account itself, signed in, accepts B's link: only now it is a member of B.
    joined = await accept(client, link_b, holder)
    assert joined.status_code == 200, joined.text
    assert joined.json()["workspace"] == {
        **joined.json()["workspace"],
        "id": str(space_b.id),
        "role": "editor",
    }
    assert "set-cookie" not in joined.headers  # the same session goes on
    in_b = {m["email"]: m["role"] for m in (await client.get("/members", headers=admin_b)).json()}
    assert in_b == {b_admin: "admin", address: "editor"}
    # Links work once.
    for token in (link_a, link_b):
        used = await accept(client, token, holder)
        assert used.status_code == 410, used.text
        assert used.json()["error"] == "gone"


async def test_invitations_answer_the_same_for_known_and_unknown_addresses(
    client: Client, identities: Identities, workspace: Workspace
) -> None:
    """Item 2: the answer tells an admin nothing about whether an address has an account anywhere,
    and adds nobody: a password in the body is refused as an unknown field."""
    known, _ = await identities.user(await identities.workspace(), "admin")
    admin = bearer(await identities.key(workspace, "admin"))
    answers = [
        await client.post("/invitations", json={"email": email, "role": "viewer"}, headers=admin)
        for email in (known, fresh_address())
    ]
    assert [a.status_code for a in answers] == [201, 201]
    assert [sorted(a.json()) for a in answers] == [["email", "expires_at", "id", "link", "role"]] * 2
    assert set(answers[0].headers) == set(answers[1].headers)
    members = (await client.get("/members", headers=admin)).json()
    assert known not in {m["email"] for m in members}  # invited, not added
    for email in (known, fresh_address()):
        refused = await client.post(
            "/invitations", json={"email": email, "role": "viewer", "password": CHOSEN_BY_A}, headers=admin
        )
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"] == "invalid_request"
        assert "password" in refused.json()["detail"]
    editor = bearer(await identities.key(workspace, "editor"))
    answer = await client.post("/invitations", json={"email": known, "role": "viewer"}, headers=editor)
    assert answer.status_code == 403, answer.text


async def test_who_may_accept_and_links_that_no_longer_work(
    client: Client, identities: Identities, workspace: Workspace, accounts_pool: Pool
) -> None:
    admin = bearer(await identities.key(workspace, "admin"))

    async def invite(email: str, role: str = "contributor") -> str:
        return token_of(await client.post("/invitations", json={"email": email, "role": role}, headers=admin))

    # An existing account: no session, or another user's, is 403; a password changes nothing.
    email, password = await identities.user(await identities.workspace(), "viewer")
    token = await invite(email)
    other, _ = await identities.user(await identities.workspace(), "viewer")
    for headers in ({}, await login(client, other)):
        refused = await accept(client, token, headers, password=CHOSEN_BY_A)
        assert refused.status_code == 403, refused.text
    assert (
        await client.post("/auth/login", json={"email": email, "password": CHOSEN_BY_A})
    ).status_code == 401
    client.cookies.clear()
    own = await login(client, email, password)
    assert (await accept(client, token, {"Cookie": own["Cookie"]})).status_code == 403  # no CSRF token
    assert (await accept(client, token, own)).status_code == 200
    # A new address needs a password, a good one.
    new = await invite(fresh_address())
    assert (await accept(client, new)).status_code == 422
    assert (await accept(client, new, password="password")).status_code == 422
    assert (await accept(client, new, password=CHOSEN_BY_A, role="admin")).status_code == 400
    # Unknown: 404. Revoked, expired, used: 410.
    assert (await accept(client, "dam_inv_" + "x" * 43, password=CHOSEN_BY_A)).status_code == 404
    assert (await accept(client, "nonsense", password=CHOSEN_BY_A)).status_code == 404
    revoked = await invite(fresh_address())
    pending = (await client.get("/invitations", headers=admin)).json()
    assert len(pending) == 2  # the new one and this one; the accepted one is no longer pending
    revoked_id = pending[0]["id"]  # newest first
    assert (await client.delete(f"/invitations/{revoked_id}", headers=admin)).status_code == 204
    assert (await client.delete(f"/invitations/{revoked_id}", headers=admin)).status_code == 204
    expired = await invite(fresh_address())
    await accounts_pool.execute(
        "UPDATE invitations SET expires_at = now() - interval '1 second' WHERE workspace_id = $1"
        " AND accepted_at IS NULL AND revoked_at IS NULL AND id <> ALL($2::uuid[])",
        workspace.id, [uuid.UUID(i["id"]) for i in pending],
    )  # fmt: skip
    for token in (revoked, expired):
        gone = await accept(client, token, password=CHOSEN_BY_A)
        assert gone.status_code == 410, gone.text
        assert gone.json()["error"] == "gone"
    assert {i["id"] for i in (await client.get("/invitations", headers=admin)).json()} == {pending[1]["id"]}


async def test_two_links_for_one_new_address_make_one_account(client: Client, identities: Identities) -> None:
    """Both holders race: one account is made, with one password; the other is refused."""
    address = fresh_address()
    tokens = []
    for _ in range(2):
        admin = bearer(await identities.key(await identities.workspace(), "admin"))
        tokens.append(
            token_of(
                await client.post("/invitations", json={"email": address, "role": "viewer"}, headers=admin)
            )
        )
    answers = await asyncio.gather(
        accept(client, tokens[0], password=CHOSEN_BY_A), accept(client, tokens[1], password=CHOSEN_BY_B)
    )
    client.cookies.clear()
    assert sorted(a.status_code for a in answers) == [200, 403], [a.text for a in answers]
    winner = CHOSEN_BY_A if answers[0].status_code == 200 else CHOSEN_BY_B
    loser = CHOSEN_BY_B if winner == CHOSEN_BY_A else CHOSEN_BY_A
    assert (await client.post("/auth/login", json={"email": address, "password": loser})).status_code == 401
    signed = await client.post("/auth/login", json={"email": address, "password": winner})
    assert signed.status_code == 200
    assert len(signed.json()["workspaces"]) == 1


async def test_invitations_of_another_workspace_answer_as_unknown_ones(
    client: Client, identities: Identities, workspace: Workspace
) -> None:
    admin = bearer(await identities.key(workspace, "admin"))
    intruder = bearer(await identities.key(await identities.workspace(), "admin"))
    made = await client.post("/invitations", json={"email": fresh_address(), "role": "viewer"}, headers=admin)
    assert made.status_code == 201
    theirs = await client.delete(f"/invitations/{made.json()['id']}", headers=intruder)
    nobody = await client.delete(f"/invitations/{uuid.uuid4()}", headers=intruder)
    assert theirs.status_code == nobody.status_code == 404, theirs.text
    assert (await client.get("/invitations", headers=intruder)).json() == []
    assert [i["id"] for i in (await client.get("/invitations", headers=admin)).json()] == [made.json()["id"]]
    viewer = bearer(await identities.key(workspace, "viewer"))
    assert (await client.get("/invitations", headers=viewer)).status_code == 403
    assert (await client.delete(f"/invitations/{made.json()['id']}", headers=viewer)).status_code == 403
    # An accepted one cannot be revoked: the member is removed instead.
    token = token_of(made)
    assert (await accept(client, token, password=CHOSEN_BY_A)).status_code == 200
    client.cookies.clear()
    late = await client.delete(f"/invitations/{made.json()['id']}", headers=admin)
    assert late.status_code == 409, late.text


async def test_post_members_is_gone(client: Client, identities: Identities, workspace: Workspace) -> None:
    admin = bearer(await identities.key(workspace, "admin"))
    email, _ = await identities.user(await identities.workspace(), "viewer")
    for body in (
        {"email": email, "role": "viewer", "password": CHOSEN_BY_A},
        {"email": fresh_address(), "role": "viewer", "password": CHOSEN_BY_A},
        {"email": email, "role": "viewer"},
    ):
        answer = await client.post("/members", json=body, headers=admin)
        assert answer.status_code == 410, answer.text
        assert answer.json()["error"] == "gone"
        assert "POST /invitations" in answer.json()["detail"]
    assert (await client.get("/members", headers=admin)).json() == []
    assert (
        await client.post("/auth/login", json={"email": email, "password": CHOSEN_BY_A})
    ).status_code == 401


async def test_patch_members_changes_a_role(
    client: Client, identities: Identities, workspace: Workspace
) -> None:
    admin = bearer(await identities.key(workspace, "admin"))
    email, _ = await identities.user(workspace, "viewer")
    admin_email, _ = await identities.user(workspace, "admin")
    members = {m["email"]: m for m in (await client.get("/members", headers=admin)).json()}
    user_id = members[email]["user_id"]
    changed = await client.patch(f"/members/{user_id}", json={"role": "editor"}, headers=admin)
    assert changed.status_code == 200, changed.text
    assert changed.json() == {**members[email], "role": "editor"}
    # 404 for someone who is not a member here (a member of another workspace, or nobody).
    elsewhere, _ = await identities.user(await identities.workspace(), "viewer")
    outsider = (await client.post("/auth/login", json={"email": elsewhere, "password": PASSWORD})).json()
    client.cookies.clear()
    for someone in (outsider["user"]["id"], str(uuid.uuid4())):
        missing = await client.patch(f"/members/{someone}", json={"role": "admin"}, headers=admin)
        assert missing.status_code == 404, missing.text
    assert outsider["user"]["id"] not in {
        m["user_id"] for m in (await client.get("/members", headers=admin)).json()
    }
    # Admins only; a role from the list; the body strict; an admin's own role stays.
    editor = bearer(await identities.key(workspace, "editor"))
    answers: list[tuple[dict[str, str], Any, int]] = [
        (editor, {"role": "viewer"}, 403),
        (admin, {"role": "owner"}, 400),
        (admin, {"role": "viewer", "email": email}, 400),
    ]
    for headers, body, status in answers:
        answer = await client.patch(f"/members/{user_id}", json=body, headers=headers)
        assert answer.status_code == status, answer.text
    session = await login(client, admin_email)
    own_id = members[admin_email]["user_id"]
    assert (
        await client.patch(f"/members/{own_id}", json={"role": "viewer"}, headers=session)
    ).status_code == 422
    rows = (await client.get("/audit", params={"action": "member.role"}, headers=admin)).json()["items"]
    assert [(r["target_id"], r["detail"]) for r in rows] == [(user_id, {"role": "editor", "was": "viewer"})]


async def test_an_invitation_is_mailed_when_smtp_is_set(
    make_settings: Callable[..., Settings], identities: Identities, workspace: Workspace, accounts_pool: Pool
) -> None:
    admin = bearer(await identities.key(workspace, "admin"))
    address = fresh_address()
    # A name is free text: it must not break the mail's headers (no Bcc of an attacker's choice).
    name = "News\r\nBcc: someone@elsewhere.test"
    await accounts_pool.execute("UPDATE workspaces SET name = $2 WHERE id = $1", workspace.id, name)
    async with smtp_server() as (url, mailbox):
        settings = make_settings(DAM_SMTP_URL=url, DAM_PUBLIC_URL="https://dam.example.test")
        async with AsyncTestClient(app=create_app(settings)) as client:
            made = await client.post("/invitations", json={"email": address, "role": "viewer"}, headers=admin)
            assert made.status_code == 201, made.text
            assert made.json()["link"] is None
            (message,) = await mailbox.wait(1)
            assert mailbox.recipients == [[address]]
            assert message["To"] == address
            assert message["From"] == "dam@dam.example.test"
            assert message["Subject"] == "Invitation to News Bcc: someone@elsewhere.test"
            assert message["Bcc"] is None
            body = message.get_content()
            (link,) = [word for word in body.split() if "/invite/" in word]
            assert link.startswith("https://dam.example.test/invite/dam_inv_")
            joined = await accept(client, link.rsplit("/", 1)[1], password=CHOSEN_BY_A)
            assert joined.status_code == 200, joined.text
    # No mail server there: 503, and no invitation was made.
    async with AsyncTestClient(app=create_app(make_settings(DAM_SMTP_URL=url))) as client:
        down = await client.post(
            "/invitations", json={"email": fresh_address(), "role": "viewer"}, headers=admin
        )
        assert down.status_code == 503, down.text
        assert down.json()["error"] == "mail_unavailable"
        assert "retry-after" in down.headers
        assert (await client.get("/invitations", headers=admin)).json() == []


async def test_the_invite_page(client: Client, identities: Identities, workspace: Workspace) -> None:
    admin = bearer(await identities.key(workspace, "admin"))
    made = await client.post("/invitations", json={"email": fresh_address(), "role": "viewer"}, headers=admin)
    token = token_of(made)
    assert made.json()["link"].endswith(f"/invite/{token}")
    # The link leads to the web app's page, which accepts it, while the link is good.
    page = await client.get(f"/invite/{token}", follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (302, f"/app/invite/{token}")
    unknown = await client.get("/invite/dam_inv_" + "y" * 43)
    assert unknown.status_code == 404
    assert "Invitation not valid" in unknown.text
    assert (await accept(client, token, password=CHOSEN_BY_A)).status_code == 200
    used = await client.get(f"/invite/{token}")
    assert used.status_code == 410
    assert "Invitation not valid" in used.text
