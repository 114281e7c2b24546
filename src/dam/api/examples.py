"""One realistic example of every success answer, for the OpenAPI document.

Built from the same structs and shaping functions the routes answer with (``asset_out``...), so an
example cannot drift from the schema: a unit test decodes each one strictly into its route's type.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from dam.api import account_schemas as a
from dam.api import bulk as b
from dam.api import collections as co
from dam.api import companion as c
from dam.api import schema as sc
from dam.api import schemas as s
from dam.api import shares as sh
from dam.api import upload_tokens as u
from dam.api.audit import AuditPage
from dam.api.enrichment import SimilarPage
from dam.api.sso import OidcProvider, Providers
from dam.domain.access import Role
from dam.domain.assets import Asset, AssetDetail, AssetSummary, RenditionLink, StepRecord
from dam.domain.audit import Action, Row
from dam.domain.enrichment import Enrichment
from dam.domain.media import Camera, MediaInfo
from dam.domain.search import Facet, Suggestions, Total
from dam.domain.shares import Share, SharedAsset, SharedMember, SharedPreview
from dam.domain.status import AssetStatus
from dam.domain.steps import StepName, StepState
from dam.domain.uploads import MultipartUpload, PartUrl, SingleUpload, StoredPart
from dam.services.dashboard import Overview
from dam.services.enrichment import Group, Groups, Near
from dam.services.search import Hit, Results

ID = uuid.UUID("0b6c3f52-8a1e-4a55-9d1b-5f8e0c2d7a41")
OTHER = uuid.UUID("4d2a9e61-0c3b-4f7a-8e5d-6b1c2a3f9e07")  # a near-duplicate of ID
KEY = f"originals/{ID}/holiday 2026.jpg"
STORE = "https://s3.example.com/dam"
AT = datetime(2026, 12, 2, 9, 30, 0, tzinfo=UTC)
SHA256 = hashlib.sha256(b"holiday 2026.jpg").hexdigest()
# The ThumbHash of a 320x240 dusk: deep blue at the top, orange at the bottom.
THUMBHASH = base64.b64decode("G0kKTYqGh4dwd3eId3d4h3eAdweH")


WORKSPACE = uuid.UUID("6f1d2c3b-4a59-4e8f-9b0a-1c2d3e4f5a6b")
UUID_USER = uuid.UUID("0d7e9a1c-2b3f-4c5d-8e9f-a0b1c2d3e4f5")
HOOK = uuid.UUID("2e6f8a1c-3d5b-4c7e-9f0a-1b2c3d4e5f60")
DELIVERY = uuid.UUID("5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d")
UUID_KEY = uuid.UUID("9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d")
UUID_INVITATION = uuid.UUID("4c3b2a19-0f8e-4d7c-b6a5-94837261504f")


def _signed(key: str, extra: str = "") -> str:
    query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=900&X-Amz-Signature=3f1c..."
    return f"{STORE}/{key.replace(' ', '%20')}?{extra}{query}"


def _asset(status: AssetStatus, **changes: Any) -> Asset:
    base = Asset(
        id=ID, filename="holiday 2026.jpg", content_type="image/jpeg", size=3_461_120, sha256=SHA256,
        storage_key=KEY, status=status, upload_id=None, part_size=None, part_checksums=False,
        etag=None, stored_size=None, error=None, metadata={"album": "Lisbon"}, media=None,
        created_at=AT, updated_at=AT, uploaded_at=None, workspace_id=WORKSPACE, title="Tram 28 at dusk",
        description="Looking down Rua da Conceição from the Baixa, just before the lights came on.",
        tags=["Lisbon", "trams"], revision=1,
    )  # fmt: skip
    return msgspec.structs.replace(base, **changes)


def _uploaded(status: AssetStatus, **changes: Any) -> Asset:
    later = AT + timedelta(seconds=4)
    return _asset(
        status, etag='"5d41402abc4b2a76b9719d911017c592"', stored_size=3_461_120, uploaded_at=later,
        updated_at=later, **changes,
    )  # fmt: skip


def _steps(state: StepState) -> list[StepRecord]:
    done = state is StepState.DONE
    return [
        StepRecord(
            asset_id=ID,
            name=name,
            state=state,
            attempts=1 if done else 0,
            started_at=AT + timedelta(seconds=4) if done else None,
            finished_at=AT + timedelta(seconds=5) if done else None,
            error=None,
            outputs=[],
        )
        for name in (StepName.PROBE, StepName.STILLS)
    ]


def _ready() -> AssetDetail:
    media = MediaInfo(
        kind="image", format="JPEG", width=4000, height=3000, orientation=1, color_mode="RGB",
        camera=Camera(make="Fujifilm", model="X-T5", f_number=5.6, exposure_time=0.004, iso=200),
        captured_at="2026-11-28T16:41:09",
    )  # fmt: skip
    renditions = [
        RenditionLink(
            kind=kind,
            content_type="image/webp",
            width=width,
            height=height,
            bytes=size,
            url=_signed(f"renditions/{ID}/{kind}.webp"),
        )
        for kind, width, height, size in (("thumbnail", 320, 240, 14_208), ("preview", 1280, 960, 151_886))
    ]
    asset = _uploaded(AssetStatus.READY, media=media, thumbhash=THUMBHASH)
    return AssetDetail(
        asset=asset, renditions=renditions, steps=_steps(StepState.DONE), download_url=_signed(KEY),
        thumbhash=THUMBHASH,
    )  # fmt: skip


def _webhooks() -> dict[str, Any]:
    """The webhook routes' answers: an endpoint, its secret once, a delivery retried once."""
    from dam.api.webhooks import Queued, WebhookList, WebhookOut, WebhookSecret
    from dam.domain.webhooks import Attempt, Delivery
    from dam.services.webhooks import DeliveryPage

    hook = WebhookOut(
        id=HOOK, url="https://cms.example.com/hooks/dam", events=["asset.ready", "asset.updated"],
        description="The CMS", enabled=True, disabled_reason=None, failing_since=None, created_at=AT,
        updated_at=AT,
    )  # fmt: skip
    shown = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw8b6xLAsjT0M="
    made = WebhookSecret(**msgspec.structs.asdict(hook), secret=shown)
    delivery = Delivery(
        id=DELIVERY, event_id=uuid.UUID("7d1c4e2a-9b3f-4a6d-8e5c-2f1a0b9c8d7e"), type="asset.ready",
        state="delivered", next_at=None, delivered_at=AT + timedelta(seconds=6), error=None, created_at=AT,
        attempts=[
            Attempt(at=AT, duration_ms=10000, status=None, error="no answer within 10 s", body=None),
            Attempt(at=AT + timedelta(seconds=6), duration_ms=84, status=204, error=None, body=""),
        ],
    )  # fmt: skip
    return {
        "createWebhook": msgspec.to_builtins(made),
        "rotateWebhookSecret": msgspec.to_builtins(made),
        "listWebhooks": msgspec.to_builtins(WebhookList(items=[hook])),
        "getWebhook": msgspec.to_builtins(hook),
        "updateWebhook": msgspec.to_builtins(hook),
        "testWebhook": msgspec.to_builtins(Queued(delivery_id=DELIVERY)),
        "redeliverWebhook": msgspec.to_builtins(Queued(delivery_id=DELIVERY)),
        "listWebhookDeliveries": msgspec.to_builtins(DeliveryPage(items=[delivery], next_cursor=None)),
    }


def _trashed(detail: AssetDetail) -> AssetDetail:
    """An asset in the trash: deleted on 2026-12-08 by a user, purged 30 days later."""
    asset = msgspec.structs.replace(
        detail.asset, status=AssetStatus.TRASHED, trashed_at=datetime(2026, 12, 8, 9, 30, tzinfo=UTC),
        trashed_by=UUID_USER, purge_at=datetime(2027, 1, 7, 9, 30, tzinfo=UTC),
        trashed_from=AssetStatus.READY,
    )  # fmt: skip
    return msgspec.structs.replace(detail, asset=asset, stream=None)


def _edited(detail: AssetDetail) -> AssetDetail:
    """An asset after ``PATCH {"tags": [...], "metadata": {"album": "Lisbon 2026"}}``."""
    asset = msgspec.structs.replace(
        detail.asset, tags=["Lisbon", "trams", "night"], metadata={"album": "Lisbon 2026"}, revision=2,
        updated_at=AT + timedelta(hours=2),
    )  # fmt: skip
    return msgspec.structs.replace(detail, asset=asset)


def _enriched(detail: AssetDetail) -> AssetDetail:
    """A ready photo of a tram stop as its OCR, hash and credentials steps left it."""
    lines = [{"text": "TRAM 28", "confidence": 0.998, "box": [[112, 80], [396, 82], [396, 150], [112, 148]]}]
    found = [
        Enrichment(
            kind="ocr", state="done", model="rapidocr-ppocrv6-small",
            model_version="rapidocr 3.10.0, onnxruntime 1.32.0",
            result={"width": 1280, "height": 960, "lines": lines},
        ),
        Enrichment(
            kind="similar", state="done", model="dhash", model_version="1",
            result={"hashes": ["3c7e7e3c1c0e0606"]},
        ),
        Enrichment(
            kind="credentials", state="done", model="c2pa",
            model_version="c2pa-python 0.38.1, c2pa-rs 0.91.3",
            result={
                "present": True, "signer": "Lisbon Photo Desk", "signed_at": "2026-03-01T22:40:12+00:00",
                "actions": ["c2pa.created", "c2pa.color_adjustments"], "ai_generated": False, "valid": True,
                "trusted": False, "problems": ["signingCredential.untrusted: signing certificate untrusted"],
            },
        ),
    ]  # fmt: skip
    return msgspec.structs.replace(detail, enrichment=found)


def _plain(detail: AssetDetail) -> Any:
    return msgspec.to_builtins(s.asset_out(detail))


def examples() -> dict[str, Any]:
    """The example answer of each operation that answers with a body, by ``operationId``."""
    expires = AT + timedelta(minutes=15)
    single = SingleUpload(
        url=_signed(KEY), headers={"Content-Type": "image/jpeg", "x-amz-checksum-sha256": "nyweDWuKTz4..."},
        expires_at=expires,
    )  # fmt: skip
    upload_id = "2~9xVfNq0b4Q1k"
    multipart = MultipartUpload(
        upload_id=upload_id, part_size=8_388_608, part_count=3, expires_at=expires,
        uploaded_parts=[StoredPart(number=1, etag='"a54357aff0632cce46d942af68356b38"', size=8_388_608)],
        parts=[PartUrl(number=n, url=_signed(KEY, f"partNumber={n}&uploadId={upload_id}&")) for n in (2, 3)],
    )  # fmt: skip
    pending = AssetDetail(
        asset=_asset(AssetStatus.PENDING_UPLOAD), renditions=[], steps=[], download_url=None
    )
    uploaded = AssetDetail(
        asset=_uploaded(AssetStatus.UPLOADED), renditions=[], steps=_steps(StepState.PENDING),
        download_url=_signed(KEY),
    )  # fmt: skip
    ready = _ready()
    overview = Overview(
        queue="dam:queue",
        queues={"media": {"queued": 0, "in_progress": 1}, "transcode": {"queued": 2, "in_progress": 1},
                "enrich": {"queued": 37, "in_progress": 1}},
        queued=[], in_progress=[], recent=[], counts={"process_asset": {"succeeded": 1180, "failed": 3}},
        bridge={"pending": 0, "processing": 0, "dead": 0}, dead_letters=[],
        assets={"ready": 1204, "processing": 2, "failed": 3}, failed_assets=[], steps=[], step_failures=[],
    )  # fmt: skip
    return {
        "createAsset": msgspec.to_builtins(s.created_out(pending, single)),
        "renewUpload": msgspec.to_builtins(multipart),
        "completeUpload": _plain(uploaded),
        "reprocessAsset": _plain(uploaded),
        "getAsset": _plain(_enriched(ready)),
        "acceptSuggestion": _plain(_enriched(ready)),
        "rejectSuggestion": _plain(_enriched(ready)),
        "updateAsset": _plain(_edited(ready)),
        "bulkChangeAssets": _bulk(),
        "listTags": msgspec.to_builtins(
            s.TagPage(items=[s.TagOut(name="Lisbon", count=412), s.TagOut(name="trams", count=87)])
        ),
        "renameTag": msgspec.to_builtins(s.TagOut(name="Lisboa", count=431)),
        "listAssets": msgspec.to_builtins(
            s.AssetPage(items=[s.asset_out(ready)], next_cursor="MjAyNi0xMi0wMlQw")
        ),
        "restoreAsset": _plain(ready),
        "listTrash": msgspec.to_builtins(s.AssetPage(items=[s.asset_out(_trashed(ready))], next_cursor=None)),
        "emptyTrash": {"purged": 12},
        **_webhooks(),
        "getHealth": msgspec.to_builtins(s.Health()),
        "getReadiness": msgspec.to_builtins(
            s.Readiness(status="ok", checks={"postgres": "ok", "redis": "ok", "s3": "ok"}, failing=[])
        ),
        "getJobs": msgspec.to_builtins(overview),
        **_companion(),
        **{"token" + k[0].upper() + k[1:]: v for k, v in _companion().items()},
        **_accounts(),
        **_upload_tokens(),
        **_shares(),
        **_collections(),
        **_schema(),
        "listSignInProviders": msgspec.to_builtins(
            Providers(
                oidc=OidcProvider(name="Newsroom ID", login_url="https://dam.example.com/auth/oidc/login")
            )
        ),
        "listAudit": msgspec.to_builtins(
            AuditPage(
                items=[
                    Row(
                        id=81234,
                        at=AT,
                        action=Action.ASSET_DELETE,
                        workspace_id=WORKSPACE,
                        actor="key",
                        user_id=UUID_USER,
                        key_id=UUID_KEY,
                        asset_id=ID,
                        address="203.0.113.7",
                        email="ana@example.com",
                    )
                ],
                next_cursor="MjAyNi0xMi0wMlQwOTozMDowMCswMDowMHw4MTIzNA",
            )
        ),
    }


def _bulk() -> Any:
    """``POST /assets/bulk`` of three assets: one changed, one someone else's, one changed since."""
    theirs = uuid.UUID("1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a1b")
    stale = uuid.UUID("2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d")
    forbidden = (
        "key with role contributor may not do this asset (needs editor, or contributor on one's own asset)"
    )
    changed = "the asset is at revision 5, not 4 as revisions says: read it again and re-apply the change"
    results = [
        b.BulkResult(id=ID, status=200),
        b.BulkResult(id=theirs, status=403, error=forbidden),
        b.BulkResult(id=stale, status=412, error=changed),
    ]
    return msgspec.to_builtins(b.BulkResults(results=results))


def _shares() -> dict[str, Any]:
    share_id = uuid.UUID("3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f")
    token = "dam_sh_" + "S" * 43
    until = AT + timedelta(days=7)
    share = Share(
        id=share_id, workspace_id=WORKSPACE, asset_id=ID, password=True, download=True, show_metadata=False,
        created_by=UUID_USER, created_by_key=None, created_at=AT, expires_at=until, revoked_at=None,
        last_used_at=AT + timedelta(hours=3), uses=4,
    )  # fmt: skip
    preview = _signed(f"renditions/{ID}/preview.webp")
    shown = SharedAsset(
        name="holiday 2026.jpg", type="image/jpeg", kind="image", size=3_461_120, status="ready",
        expires_at=until, download=True, show_metadata=False, facts=None, preview_url=preview,
        thumbnail_url=_signed(f"renditions/{ID}/thumbnail.webp"), media_url=None,
        download_url=_signed(KEY, "response-content-disposition=attachment%3B%20filename%3D...&"),
        renditions=[
            SharedPreview(kind="preview", content_type="image/webp", width=1600, height=1200, url=preview)
        ],
        thumbhash=THUMBHASH,
    )  # fmt: skip
    settings = sh.WorkspaceSettings(share_max_ttl=7 * 86400, share_max_ttl_limit=30 * 86400)
    return {
        "createShare": msgspec.to_builtins(
            sh.ShareCreated(id=str(share_id), url=f"https://dam.example.com/s/{token}", expires_at=until)
        ),
        "listShares": msgspec.to_builtins([sh.share_out(share)]),
        "openShare": msgspec.to_builtins(shown),
        "openSharedAsset": msgspec.to_builtins(SharedMember(id=ID, **msgspec.structs.asdict(shown))),
        "createCollectionShare": msgspec.to_builtins(
            sh.ShareCreated(id=str(share_id), url=f"https://dam.example.com/s/{token}", expires_at=until)
        ),
        "getWorkspaceSettings": msgspec.to_builtins(settings),
        "changeWorkspaceSettings": msgspec.to_builtins(settings),
    }


def _accounts() -> dict[str, Any]:
    user = UUID_USER
    space = a.WorkspaceRole(id=WORKSPACE, slug="newsroom", name="Newsroom", role=Role.ADMIN)
    me = a.Me(
        kind="user", user=a.UserOut(id=user, email="ana@example.com", operator=False), workspace=space,
        workspaces=[space], operator=False, csrf_token="5f2c0d9a7e61b3...",  # noqa: S106 (an example)
    )  # fmt: skip
    key = a.KeyOut(
        id=UUID_KEY, prefix="dam_live_Xk3v9QpL2a", name="bulk uploader", role=Role.CONTRIBUTOR,
        created_at=AT, expires_at=AT + timedelta(days=90), last_used_at=AT + timedelta(hours=2),
        revoked_at=None,
    )  # fmt: skip
    created = a.KeyCreated(**msgspec.structs.asdict(key), key="dam_live_Xk3v9QpL2a" + "r" * 33)
    member = a.MemberOut(
        user_id=user, email="ana@example.com", role=Role.EDITOR, created_at=AT, email_verified=True
    )
    invited = a.InvitationOut(
        id=UUID_INVITATION, email="ben@example.com", role=Role.CONTRIBUTOR, created_at=AT,
        expires_at=AT + timedelta(days=7),
    )  # fmt: skip
    return {
        "login": msgspec.to_builtins(me),
        "getMe": msgspec.to_builtins(me),
        "getSession": msgspec.to_builtins(a.SessionState(me=me)),
        "changePassword": msgspec.to_builtins(me),
        "createWorkspace": msgspec.to_builtins(
            a.WorkspaceOut(id=WORKSPACE, slug="newsroom", name="Newsroom", created_at=AT)
        ),
        "listMembers": msgspec.to_builtins([member]),
        "changeMemberRole": msgspec.to_builtins(member),
        "createInvitation": msgspec.to_builtins(
            a.InvitationCreated(
                id=invited.id,
                email=invited.email,
                role=invited.role,
                expires_at=invited.expires_at,
                link="https://dam.example.com/invite/dam_inv_" + "Z" * 43,
            )
        ),
        "listInvitations": msgspec.to_builtins([invited]),
        "acceptInvitation": msgspec.to_builtins(me),
        "createKey": msgspec.to_builtins(created),
        "listKeys": msgspec.to_builtins([key]),
    }


def _upload_tokens() -> dict[str, Any]:
    token_id = uuid.UUID("3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f")
    token = "dam_up_" + "Q" * 43
    listed = u.UploadTokenOut(
        id=token_id, content_types=["image/*", "video/*"], max_bytes=2 * 1024**3, max_files=60,
        max_total_bytes=20 * 1024**3, files_used=12, bytes_used=1_873_222_656, created_at=AT,
        expires_at=AT + timedelta(hours=1), revoked_at=None, created_by=UUID_USER, created_by_key=UUID_KEY,
    )  # fmt: skip
    return {
        "createUploadToken": msgspec.to_builtins(
            u.UploadTokenCreated(
                id=token_id,
                token=token,
                expires_at=AT + timedelta(hours=1),
                companion_endpoint=f"https://dam.example.com/uploads/{token}",
            )
        ),
        "listUploadTokens": msgspec.to_builtins(u.UploadTokenPage(items=[listed], next_cursor=None)),
    }


def _companion() -> dict[str, Any]:
    upload_id = "2~9xVfNq0b4Q1k"
    fields = {
        "key": KEY, "Content-Type": "image/jpeg", "x-amz-algorithm": "AWS4-HMAC-SHA256",
        "x-amz-credential": "AKIA.../20261202/us-east-1/s3/aws4_request", "x-amz-date": "20261202T093000Z",
        "policy": "eyJleHBpcmF0aW9uIjoi...", "x-amz-signature": "a9e3...",
    }  # fmt: skip
    part = c.SignedPart(url=_signed(KEY, f"partNumber=1&uploadId={upload_id}&"), expires=900)
    return {
        "companionSignForm": msgspec.to_builtins(
            c.FormParams(method="POST", url=STORE, fields=fields, expires=900)
        ),
        "companionCreateMultipart": msgspec.to_builtins(
            c.MultipartCreated(key=KEY, upload_id=upload_id, bucket="dam")
        ),
        "companionSignPart": msgspec.to_builtins(part),
        "companionSignParts": msgspec.to_builtins(c.SignedParts(presigned_urls={"1": part.url})),
        "companionListParts": msgspec.to_builtins(
            [c.ListedPart(part_number=1, e_tag='"a54357aff0632cce46d942af68356b38"', size=5_242_880)]
        ),
        "companionCompleteMultipart": msgspec.to_builtins(
            c.MultipartCompleted(location=f"{STORE}/{KEY.replace(' ', '%20')}", key=KEY, bucket="dam")
        ),
        "companionAbortMultipart": msgspec.to_builtins(c.Aborted()),
    }


def _collections() -> dict[str, Any]:
    trips = uuid.UUID("5e0a4b1c-7d2f-4e3a-9b8c-0d1e2f3a4b5c")
    lisbon = uuid.UUID("7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d")
    made = co.CollectionOut(
        id=lisbon, name="Lisbon 2026", description="The December trip, best first", parent_id=trips,
        query=None, asset_count=24, created_at=AT, updated_at=AT + timedelta(hours=1),
    )  # fmt: skip
    thumbnail = _signed(f"renditions/{ID}/thumbnail.webp")
    tree = co.CollectionTree(
        items=[
            co.CollectionNode(id=trips, name="Trips", parent_id=None, asset_count=0, cover=None),
            co.CollectionNode(
                id=lisbon, name="Lisbon 2026", parent_id=trips, asset_count=24, cover=thumbnail
            ),
        ]
    )
    member = AssetSummary(
        id=ID, status=AssetStatus.READY, filename="holiday 2026.jpg", content_type="image/jpeg",
        size=3_461_120, kind="image", thumbnail_url=thumbnail, created_at=AT, width=4032, height=3024,
        thumbhash=THUMBHASH,
    )  # fmt: skip
    changed = msgspec.to_builtins(co.MembersChanged(changed=[ID], asset_count=24))
    return {
        "createCollection": msgspec.to_builtins(made),
        "getCollection": msgspec.to_builtins(made),
        "changeCollection": msgspec.to_builtins(made),
        "listCollections": msgspec.to_builtins(tree),
        "listCollectionAssets": msgspec.to_builtins(
            co.MemberPage(items=[member], next_cursor="WyJwb3NpdGlvbiIsWzY1NTM2LCIwYjZj")
        ),
        "addCollectionAssets": changed,
        "removeCollectionAssets": changed,
        "moveCollectionAssets": changed,
        **_search(member, lisbon),
        "similarAssets": msgspec.to_builtins(
            SimilarPage(items=[Near(**msgspec.structs.asdict(member), distance=3)])
        ),
        "listDuplicates": msgspec.to_builtins(
            Groups(
                items=[
                    Group(
                        assets=[
                            Near(**msgspec.structs.asdict(member), distance=0),
                            Near(
                                **{
                                    **msgspec.structs.asdict(member),
                                    "id": OTHER,
                                    "filename": "holiday 2026 (1).jpg",
                                },
                                distance=4,
                            ),
                        ]
                    )
                ],
                next_cursor="WyJkdXBsaWNhdGVzIixbIjIwMjYtMTIt",
            )
        ),
    }


def _search(member: AssetSummary, collection: uuid.UUID) -> dict[str, Any]:
    hit = Hit(
        **msgspec.structs.asdict(member), title="Tram 28 at dusk", tags=["Lisbon", "trams"], score=0.67,
        matched=["title", "tags"],
    )  # fmt: skip
    results = Results(
        items=[hit], next_cursor="WyJzZWFyY2gtcmVsZXZhbmNlIixbMC42Nyw", total=Total(132, "eq"),
        facets={"tag": [Facet(value="Lisbon", count=132), Facet(value="trams", count=40)],
                "collection": [Facet(value=str(collection), count=24, label="Lisbon 2026")]},
        facets_partial=False,
    )  # fmt: skip
    offered = Suggestions(
        tags=["Lisbon"], titles=["Lisbon at night"], filenames=["lisbon-01.jpg"], camera_models=[],
        collections=[{"id": str(collection), "name": "Lisbon 2026"}],
    )  # fmt: skip
    return {"search": msgspec.to_builtins(results), "suggestSearch": msgspec.to_builtins(offered)}


def _schema() -> dict[str, Any]:
    schema = sc.SchemaBody(
        fields=[
            sc.FieldBody(key="client", label="Client", type="text", required=True, facet=True),
            sc.FieldBody(key="status", label="Status", type="enum", options=["draft", "final"], facet=True),
            sc.FieldBody(key="rating", label="Rating", type="number", facet=True),
            sc.FieldBody(key="shot_on", label="Shot on", type="date", facet=True),
            sc.FieldBody(key="usage", label="Usage", type="multi_enum", options=["web", "print", "social"]),
            sc.FieldBody(key="licensed", label="Licensed", type="bool"),
        ],
        strict=False,
    )
    return {
        "getWorkspaceSchema": msgspec.to_builtins(schema),
        "replaceWorkspaceSchema": msgspec.to_builtins(schema),
    }
