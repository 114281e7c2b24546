"""Upload tokens hold their limits against a page that does not play along: multipart parts past a
token's size are refused and the upload aborted, forms and part URLs die with the token, a revoked
token's (or a revoked key's, or a demoted user's) uploads are refused at completion and deleted,
`max_files`, `max_total_bytes` and the per-address rate hold, and tokens are listed (never their
secrets) and revoked one by one. Against the real store (SeaweedFS), Redis and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import httpx
import pytest
from botocore.exceptions import ClientError
from litestar.testing import AsyncTestClient
from types_aiobotocore_s3 import S3Client

from dam.api.app import create_app
from dam.domain.accounts import Workspace
from dam.settings import MiB, Settings
from dam.storage.s3 import ABORT_RULE, open_storage
from tests.support.accounts import PASSWORD, Identities, bearer, client_of
from tests.support.flows import jpeg_bytes, json_of, wait_for_status
from tests.support.processes import ServiceProcess, dam, env_of

Client = AsyncTestClient[Any]


@pytest.fixture
async def worker(settings: Settings, process_logs: Path) -> AsyncIterator[ServiceProcess]:
    """A real media worker: its form sweep completes (or refuses) what lands by a form."""
    async with dam("worker", env=env_of(settings), log_dir=process_logs, log_level="info") as process:
        yield process


async def mint(api: Client, headers: dict[str, str] | None = None, **body: Any) -> dict[str, Any]:
    """POST /upload-tokens, asserting 201."""
    made = await api.post("/upload-tokens", json={"expires_in": 600, **body}, headers=headers or {})
    assert made.status_code == 201, made.text
    token: dict[str, Any] = json_of(made)
    return token


async def form(api: Client, token: str, filename: str = "photo.jpg") -> httpx.Response:
    return await api.get(f"/uploads/{token}/s3/params", params={"filename": filename, "type": "image/jpeg"})


async def post_form(http: httpx.AsyncClient, params: dict[str, Any], data: bytes) -> httpx.Response:
    return await http.post(params["url"], data=params["fields"], files={"file": ("blob", data)})


async def begin_multipart(api: Client, token: str, filename: str = "clip.mp4") -> tuple[str, dict[str, str]]:
    """Start a multipart upload under the token; its routes' base and the key parameter."""
    made = await api.post(f"/uploads/{token}/s3/multipart", json={"filename": filename, "type": "video/mp4"})
    assert made.status_code == 200, made.text
    upload = json_of(made)
    return f"/s3/multipart/{quote(upload['uploadId'], safe='')}", {"key": upload["key"]}


def asset_of(key: dict[str, str]) -> str:
    return key["key"].split("/")[1]  # originals/{asset id}/{file name}


async def upload_gone(s3: S3Client, bucket: str, key: dict[str, str], base: str) -> bool:
    upload_id = unquote(base.rsplit("/", 1)[1])
    try:
        await s3.list_parts(Bucket=bucket, Key=key["key"], UploadId=upload_id)
    except ClientError as exc:
        return exc.response["Error"]["Code"] == "NoSuchUpload"
    return False


async def object_gone(s3: S3Client, bucket: str, key: str) -> bool:
    try:
        await s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        return exc.response["Error"]["Code"] in {"404", "NoSuchKey", "NotFound"}
    return False


# -- item 9: what a token stores is bounded ----------------------------------------------------


async def test_a_1024_byte_token_cannot_store_12_mb_in_two_parts(
    api: Client, http: httpx.AsyncClient, s3: S3Client, settings: Settings
) -> None:
    token = (await mint(api, max_bytes=1024))["token"]
    base, key = await begin_multipart(api, token)
    tokened = f"/uploads/{token}{base}"
    # Part 1 is the only part a file of 1024 bytes can need; storage takes any size for it.
    first = await api.get(f"{tokened}/1", params=key)
    assert first.status_code == 200, first.text
    assert (await http.put(json_of(first)["url"], content=os.urandom(6 * MiB))).status_code == 200
    second = await api.get(f"{tokened}/2", params=key)
    assert second.status_code == 422, second.text
    detail = json_of(second)["detail"]
    assert "1024 bytes" in detail
    assert "the upload was deleted" in detail
    assert await upload_gone(s3, settings.s3.bucket, key, base)
    asset = json_of(await api.get(f"/assets/{asset_of(key)}"))
    assert asset["status"] == "failed"
    assert "1024 bytes" in asset["error"]
    again = await api.get(f"{tokened}/1", params=key)
    assert again.status_code == 409, again.text  # the upload is over


async def test_part_numbers_past_the_cap_are_refused_and_one_big_part_never_completes(
    api: Client, http: httpx.AsyncClient, s3: S3Client, settings: Settings
) -> None:
    token = (await mint(api, max_bytes=1024))["token"]
    base, key = await begin_multipart(api, token)
    batch = await api.get(f"/uploads/{token}{base}/batch", params={**key, "partNumbers": "1,2"})
    assert batch.status_code == 422, batch.text
    assert "past part 1" in json_of(batch)["detail"]
    assert await upload_gone(s3, settings.s3.bucket, key, base)
    # The part-1 URL is all a page gets: 12 MB in it alone is refused at completion and deleted.
    base, key = await begin_multipart(api, token, "other.mp4")
    signed = await api.get(f"/uploads/{token}{base}/1", params=key)
    put = await http.put(json_of(signed)["url"], content=os.urandom(12 * MiB))
    assert put.status_code == 200, put.text
    parts = [{"PartNumber": 1, "ETag": put.headers["etag"]}]
    done = await api.post(f"/uploads/{token}{base}/complete", params=key, json={"parts": parts})
    assert done.status_code == 422, done.text
    assert "exceeds the limit of 1024 bytes" in json_of(done)["detail"]
    assert await object_gone(s3, settings.s3.bucket, key["key"])
    assert json_of(await api.get(f"/assets/{asset_of(key)}"))["status"] == "failed"


async def test_the_bucket_aborts_incomplete_multipart_uploads_after_a_day(
    api: Client, s3: S3Client, settings: Settings
) -> None:
    """SeaweedFS accepts the rule and answers it back (its lifecycle worker applies it); a rule of
    the bucket's own is kept beside it when the service starts again."""
    rules = (await s3.get_bucket_lifecycle_configuration(Bucket=settings.s3.bucket))["Rules"]
    assert ABORT_RULE in rules
    own = {"ID": "site-own", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 7}}
    await s3.put_bucket_lifecycle_configuration(
        Bucket=settings.s3.bucket, LifecycleConfiguration={"Rules": [own]}
    )
    async with open_storage(settings.s3) as storage:
        await storage.ensure_bucket(settings.cors_origins())
    rules = (await s3.get_bucket_lifecycle_configuration(Bucket=settings.s3.bucket))["Rules"]
    assert ABORT_RULE in rules
    assert [r["ID"] for r in rules if r["ID"] == "site-own"] == ["site-own"]


# -- item 10: what is signed dies with the token -----------------------------------------------


async def test_a_form_signed_under_a_3_second_token_is_refused_once_it_expired(
    api: Client, http: httpx.AsyncClient
) -> None:
    made = await mint(api, expires_in=3)
    params = await form(api, made["token"])
    assert params.status_code == 200, params.text
    assert 1 <= json_of(params)["expires"] <= 3
    base, key = await begin_multipart(api, made["token"])
    part = json_of(await api.get(f"/uploads/{made['token']}{base}/1", params=key))
    assert part["expires"] <= 3
    assert int(parse_qs(urlsplit(part["url"]).query)["X-Amz-Expires"][0]) <= 3
    expires_at = datetime.fromisoformat(made["expires_at"]).timestamp()
    await asyncio.sleep(max(0.0, expires_at - time.time()) + 1.5)
    late = await post_form(http, json_of(params), jpeg_bytes())
    assert late.status_code == 403, late.text  # the store holds the policy's expiration
    assert b"expired" in late.content.lower() or b"AccessDenied" in late.content
    refused = await http.put(part["url"], content=os.urandom(5 * MiB))
    assert refused.status_code == 403, refused.text


async def test_a_revoked_tokens_form_is_refused_when_it_lands_and_its_object_deleted(
    api: Client, http: httpx.AsyncClient, s3: S3Client, settings: Settings, worker: ServiceProcess
) -> None:
    made = await mint(api)
    params = json_of(await form(api, made["token"]))
    base, key = await begin_multipart(api, made["token"])
    signed = json_of(await api.get(f"/uploads/{made['token']}{base}/1", params=key))
    assert (await api.delete(f"/upload-tokens/{made['id']}")).status_code == 204
    # The token is dead at once; its multipart upload is aborted and its asset failed.
    assert (await form(api, made["token"])).status_code == 401
    assert await upload_gone(s3, settings.s3.bucket, key, base)
    stopped = json_of(await api.get(f"/assets/{asset_of(key)}"))
    assert stopped["status"] == "failed"
    assert "revoked" in stopped["error"]
    assert (await http.put(signed["url"], content=os.urandom(5 * MiB))).status_code == 404
    # The form was signed before: the store still takes it, and the sweep refuses and deletes it.
    landed = await post_form(http, params, jpeg_bytes())
    assert landed.status_code in {200, 201, 204}, landed.text
    asset_id = params["fields"]["key"].split("/")[1]
    failed = await wait_for_status(api, asset_id, "failed", within=30, watch=[worker])
    assert failed["error"].startswith("upload refused: its upload token was revoked")
    assert await object_gone(s3, settings.s3.bucket, params["fields"]["key"])


async def test_an_upload_is_refused_at_completion_once_its_maker_may_no_longer_upload(
    client_for: Callable[[str], Any],
    identities: Identities,
    workspace: Workspace,
    http: httpx.AsyncClient,
    s3: S3Client,
    settings: Settings,
) -> None:
    """A revoked key's token, and a demoted user's: a new page view's token (of the workspace)
    completing the upload in progress is refused, the upload deleted, the asset failed."""
    owner = await identities.key(workspace, "admin")
    minting = await identities.key(workspace, "contributor")
    email, _ = await identities.user(workspace, "contributor")
    async with client_for(owner) as api:
        keys = json_of(await api.get("/keys"))
        (minting_id,) = [k["id"] for k in keys if minting.startswith(k["prefix"])]
        session_token = await _user_token(settings, email)
        (user_id,) = [m["user_id"] for m in json_of(await api.get("/members")) if m["email"] == email]
        for token, stop, reason in [
            ((await mint(api, bearer(minting)))["token"], ("DELETE", f"/keys/{minting_id}", None),
             "its upload token was revoked"),  # revoking the key revoked the tokens it made
            (session_token, ("PATCH", f"/members/{user_id}", {"role": "viewer"}),
             "the user who made it may no longer upload in the workspace"),
        ]:  # fmt: skip
            base, key = await begin_multipart(api, token)
            signed = json_of(await api.get(f"/uploads/{token}{base}/1", params=key))
            put = await http.put(signed["url"], content=os.urandom(5 * MiB + 1))
            assert put.status_code == 200, put.text
            method, path, body = stop
            assert (await api.request(method, path, json=body)).status_code in {200, 204}
            fresh = (await mint(api))["token"]  # the page reloaded: a new token of the workspace
            parts = [{"PartNumber": 1, "ETag": put.headers["etag"]}]
            done = await api.post(f"/uploads/{fresh}{base}/complete", params=key, json={"parts": parts})
            assert done.status_code == 422, done.text
            assert json_of(done)["detail"] == f"upload refused: {reason}; the upload was deleted"
            assert await upload_gone(s3, settings.s3.bucket, key, base)
            assert await object_gone(s3, settings.s3.bucket, key["key"])
            asset = json_of(await api.get(f"/assets/{asset_of(key)}"))
            assert (asset["status"], asset["error"]) == ("failed", json_of(done)["detail"])


async def _user_token(settings: Settings, email: str) -> str:
    """A token the user mints in a browser session."""
    async with AsyncTestClient(app=create_app(settings)) as browser:
        signed = await browser.post("/auth/login", json={"email": email, "password": PASSWORD})
        assert signed.status_code == 200, signed.text
        made = await browser.post(
            "/upload-tokens",
            json={"expires_in": 600},
            headers={"X-CSRF-Token": json_of(signed)["csrf_token"]},
        )
        assert made.status_code == 201, made.text
        return str(json_of(made)["token"])


@pytest.fixture
def client_for(settings: Settings) -> Callable[[str], Any]:
    """The API in-process sending the given key."""
    return lambda key: client_of(settings, key)


# -- item 11: caps, the rate, listing and revoking ---------------------------------------------


async def test_the_61st_asset_of_a_token_with_max_files_60_is_refused(api: Client) -> None:
    made = await mint(api, max_files=60)
    for n in range(60):
        answer = await form(api, made["token"], f"p{n}.jpg")
        assert answer.status_code == 200, (n, answer.text)
    refused = await api.post(
        f"/uploads/{made['token']}/s3/multipart", json={"filename": "one-more.mp4", "type": "video/mp4"}
    )
    assert refused.status_code == 403, refused.text
    assert "max_files (60)" in json_of(refused)["detail"]
    assert (await form(api, made["token"], "last.jpg")).status_code == 403
    (listed,) = [t for t in json_of(await api.get("/upload-tokens"))["items"] if t["id"] == made["id"]]
    assert (listed["max_files"], listed["files_used"]) == (60, 60)


async def test_a_tokens_total_bytes_hold_across_its_files(
    api: Client, http: httpx.AsyncClient, worker: ServiceProcess
) -> None:
    photo = jpeg_bytes()
    made = await mint(api, max_total_bytes=len(photo) + 500)
    first = json_of(await form(api, made["token"], "first.jpg"))
    assert (await post_form(http, first, photo)).status_code in {200, 201, 204}
    await wait_for_status(api, first["fields"]["key"].split("/")[1], "ready", within=60, watch=[worker])
    # What is left (500 bytes) is the next form's size limit, signed into its policy.
    second = json_of(await form(api, made["token"], "second.jpg"))
    too_big = await post_form(http, second, os.urandom(501))
    assert too_big.status_code == 400, too_big.text
    assert b"EntityTooLarge" in too_big.content
    assert (await post_form(http, second, os.urandom(500))).status_code in {200, 201, 204}
    second_id = second["fields"]["key"].split("/")[1]
    stored = await wait_for_status(api, second_id, "failed", within=60, watch=[worker])  # not an image
    assert stored["stored_size"] == 500
    spent = await form(api, made["token"], "third.jpg")
    assert spent.status_code == 403, spent.text
    assert "max_total_bytes" in json_of(spent)["detail"]
    (listed,) = [t for t in json_of(await api.get("/upload-tokens"))["items"] if t["id"] == made["id"]]
    assert listed["bytes_used"] == len(photo) + 500
    assert listed["files_used"] == 2


async def test_creating_assets_is_rate_limited_per_token_and_address(
    make_settings: Callable[..., Settings], api_key: str
) -> None:
    async with client_of(make_settings(DAM_UPLOAD_TOKEN_RATE="3"), api_key) as api:
        limited, other = (await mint(api))["token"], (await mint(api))["token"]
        for n in range(3):
            assert (await form(api, limited, f"{n}.jpg")).status_code == 200
        refused = await form(api, limited, "3.jpg")
        assert refused.status_code == 429, refused.text
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert json_of(refused)["error"] == "rate_limited"
        refused = await api.post(
            f"/uploads/{limited}/s3/multipart", json={"filename": "v.mp4", "type": "video/mp4"}
        )
        assert refused.status_code == 429, refused.text
        assert (await form(api, other, "elsewhere.jpg")).status_code == 200  # another token's own count
        tokens = json_of(await api.get("/upload-tokens"))["items"]
        (mine,) = [t for t in tokens if t["files_used"] == 3]
        assert mine["files_used"] == 3  # the refused attempts took no file


async def test_tokens_are_listed_without_their_secrets_to_their_minter_and_admins(
    api: Client, identities: Identities, workspace: Workspace, settings: Settings
) -> None:
    contributor = await identities.key(workspace, "contributor")
    theirs = await mint(api, bearer(contributor), content_types=["image/*"], max_bytes=2048, max_files=5)
    mine = await mint(api, max_total_bytes=10_000)
    elsewhere = await identities.key(await identities.workspace(), "admin")
    foreign = await mint(api, bearer(elsewhere))
    listed = await api.get("/upload-tokens", params={"limit": 200})
    assert listed.status_code == 200, listed.text
    for made in (theirs, mine, foreign):
        assert made["token"] not in listed.text
        assert made["token"][len("dam_up_") :] not in listed.text
    items = {t["id"]: t for t in json_of(listed)["items"]}
    assert set(items) >= {theirs["id"], mine["id"]}
    assert foreign["id"] not in items
    shown = items[theirs["id"]]
    assert set(shown) == {
        "id", "content_types", "max_bytes", "max_files", "max_total_bytes", "files_used", "bytes_used",
        "created_at", "expires_at", "revoked_at", "created_by", "created_by_key",
    }  # fmt: skip
    assert (shown["content_types"], shown["max_bytes"], shown["max_files"]) == (["image/*"], 2048, 5)
    assert shown["created_by_key"] is not None
    assert shown["revoked_at"] is None
    assert items[mine["id"]]["max_total_bytes"] == 10_000
    # A contributor sees the tokens they minted, and only those.
    own = json_of(await api.get("/upload-tokens", headers=bearer(contributor)))["items"]
    assert [t["id"] for t in own] == [theirs["id"]]
    viewer = await identities.key(workspace, "viewer")
    assert (await api.get("/upload-tokens", headers=bearer(viewer))).status_code == 403
    assert (await api.get(f"/uploads/{mine['token']}/upload-tokens")).status_code == 404
    # Keyset pages, newest first.
    first = json_of(await api.get("/upload-tokens", params={"limit": 1}))
    assert [t["id"] for t in first["items"]] == [mine["id"]]
    second = json_of(await api.get("/upload-tokens", params={"limit": 1, "cursor": first["next_cursor"]}))
    assert [t["id"] for t in second["items"]] == [theirs["id"]]
    assert (await api.get("/upload-tokens", params={"cursor": "nonsense"})).status_code == 422


async def test_a_token_is_revoked_by_its_minter_or_an_admin_and_no_one_else(
    api: Client, identities: Identities, workspace: Workspace
) -> None:
    contributor = await identities.key(workspace, "contributor")
    colleague = await identities.key(workspace, "contributor")
    theirs = await mint(api, bearer(contributor))
    elsewhere = bearer(await identities.key(await identities.workspace(), "admin"))
    for who in (bearer(colleague), elsewhere):  # another member's, another workspace's: as unknown
        refused = await api.delete(f"/upload-tokens/{theirs['id']}", headers=who)
        assert refused.status_code == 404, refused.text
    unknown = await api.delete("/upload-tokens/5b0c7bbf-3c37-4c1d-9ab4-bb5d1b1f5a7e", headers=elsewhere)
    assert unknown.status_code == 404
    assert (await api.delete("/upload-tokens/not-an-id")).status_code == 422
    assert (await form(api, theirs["token"])).status_code == 200  # still live
    assert (
        await api.delete(f"/upload-tokens/{theirs['id']}", headers=bearer(contributor))
    ).status_code == 204
    assert (await api.delete(f"/upload-tokens/{theirs['id']}")).status_code == 204  # an admin; again
    gone = await form(api, theirs["token"])
    assert gone.status_code == 401, gone.text
    (listed,) = [t for t in json_of(await api.get("/upload-tokens"))["items"] if t["id"] == theirs["id"]]
    assert listed["revoked_at"] is not None
    log = json_of(await api.get("/audit", params={"action": "upload_token.revoke"}))["items"]
    assert [(row["target_id"], row["actor"]) for row in log] == [(theirs["id"], "key")] * 2
