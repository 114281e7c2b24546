"""``/docs`` in a real browser with no way off the machine: every file it needs comes from the service."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import ConsoleMessage, Page, Route

from dam.settings import Settings
from dam_dev.devs3 import free_ports
from tests.support.processes import dam, env_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COMPANION = {
    "companionSignForm", "companionCreateMultipart", "companionListParts", "companionSignParts",
    "companionSignPart", "companionCompleteMultipart", "companionAbortMultipart",
}  # fmt: skip
OPERATIONS = {
    "createAsset", "renewUpload", "completeUpload", "getAsset", "listAssets", "deleteAsset",
    "reprocessAsset", "getHealth", "getReadiness", "getJobs", "login", "logout", "getMe",
    "getSession", "changePassword", "createWorkspace", "listMembers", "addMember", "changeMemberRole",
    "removeMember",
    "createKey",
    "listKeys", "revokeKey", "createUploadToken", "createShare", "listShares", "revokeShare",
    "openShare", "unlockShare", "getWorkspaceSettings", "changeWorkspaceSettings", "listAudit",
    "listUploadTokens", "revokeUploadToken",
    "listSignInProviders", "startSingleSignOn", "finishSingleSignOn", "getStreamFile",
    "createInvitation", "listInvitations", "revokeInvitation", "acceptInvitation",
    "createCollection", "listCollections", "getCollection", "changeCollection", "deleteCollection",
    "addCollectionAssets", "removeCollectionAssets", "moveCollectionAssets", "listCollectionAssets",
    "createCollectionShare", "openSharedAsset",
    "updateAsset", "listTags", "renameTag", "deleteTag", "search", "suggestSearch", "bulkChangeAssets",
    "similarAssets", "getTranscript", "listDuplicates",
    "restoreAsset", "listTrash", "emptyTrash", "getAssetXmp",
    "createWebhook", "listWebhooks", "getWebhook", "updateWebhook", "deleteWebhook", "rotateWebhookSecret",
    "testWebhook", "listWebhookDeliveries", "redeliverWebhook", "acceptSuggestion", "rejectSuggestion",
    "getWorkspaceSchema", "replaceWorkspaceSchema",
    # The Companion routes twice: under /s3 and under /uploads/{token}/s3.
    *COMPANION, *("token" + name[0].upper() + name[1:] for name in COMPANION),
}  # fmt: skip


async def test_docs_list_every_operation_offline_under_a_strict_csp(
    settings: Settings, page: Page, process_logs: Path, artifacts_dir: Path
) -> None:
    (port,) = free_ports(1)
    base = f"http://127.0.0.1:{port}"
    off_machine: list[str] = []
    problems: list[str] = []

    async def loopback_only(route: Route) -> None:
        if urlsplit(route.request.url).hostname in {"127.0.0.1", "localhost"}:
            await route.continue_()
        else:  # what a machine without internet would do to a CDN request
            off_machine.append(route.request.url)
            await route.abort("internetdisconnected")

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":  # CSP violations are reported here
            problems.append(message.text)

    await page.route("**/*", loopback_only)
    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    async with dam("api", env=env_of(settings, DAM_PORT=str(port)), log_dir=process_logs) as api:
        await api.healthy(f"{base}/health")
        answer = await page.goto(f"{base}/docs")
        assert answer is not None
        assert answer.ok
        policy = await answer.header_value("content-security-policy")
        assert "script-src 'self'" in (policy or "")
        await page.locator(".opblock").first.wait_for(timeout=60_000)
        shown = set(await page.locator(".opblock-summary-operation-id").all_inner_texts())
        await page.screenshot(path=str(artifacts_dir / "docs.png"), full_page=True)
        async with httpx.AsyncClient() as client:
            document = (await client.get(f"{base}/docs/openapi.json")).json()
    assert off_machine == []
    assert problems == []
    assert shown == OPERATIONS, shown
    served = {op["operationId"] for item in document["paths"].values() for op in item.values()}
    assert served == OPERATIONS, json.dumps(sorted(served))
