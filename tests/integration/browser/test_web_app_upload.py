"""Uploading in the web app (#32) in Chromium against the real stack: a folder of media made by
independent tools (ffmpeg, sox) picked with the page's second file input, straight to storage (one
file in parts), with progress; a copy of an asset already in the library flagged and skipped; a
type the workspace refuses, with its reason; the batch's tags and collection; a reload while the
large file is half stored, resumed from the parts storage holds; a file dropped on the page."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import re
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, Request, Route

from dam.domain.accounts import Workspace
from dam.settings import Settings
from tests.support.accounts import Identities, bearer
from tests.support.flows import wait_for_status
from tests.support.stack import running
from tests.support.webapp import watch

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MiB = 1024 * 1024
DONE = ("uploaded", "processing", "ready")


@pytest.fixture
async def stack(settings: Settings, process_logs: Path) -> AsyncIterator[str]:
    """API and worker as real processes (test settings: multipart above 8 MiB, parts of 5 MiB)."""
    async with running(settings, process_logs) as origin:
        yield origin


def made(*args: str | Path) -> None:
    """Run a media tool; fail with its own words."""
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        pytest.fail(f"{args[0]} failed: {done.stderr[-2000:]}")


def ffmpeg(out: Path, source: str, *args: str) -> None:
    """A file by ffmpeg from one of its test sources (lavfi)."""
    made("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source, *args, out)


def shoot(folder: Path, tag: str) -> dict[str, Path]:
    """The folder a person uploads: a photo, a clip and a long take (three parts) by ffmpeg, a sound
    by sox, notes the workspace refuses, a hidden file a folder upload leaves out."""
    folder.mkdir()
    files = {
        "photo": folder / f"photo-{tag}.jpg",
        "clip": folder / "clips" / f"clip-{tag}.mp4",
        "long": folder / "clips" / f"long-{tag}.mp4",
        "sound": folder / f"sound-{tag}.wav",
        "notes": folder / f"notes-{tag}.txt",
    }
    files["clip"].parent.mkdir()
    ffmpeg(files["photo"], "testsrc2=size=640x480", "-frames:v", "1")
    ffmpeg(
        files["clip"], "testsrc2=size=320x240:rate=25",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
        "-t", "1", "-pix_fmt", "yuv420p", "-shortest",
    )  # fmt: skip
    # Noise, losslessly: large for its length (above the 8 MiB threshold, three parts of 5 MiB).
    ffmpeg(
        files["long"], "nullsrc=s=640x360:r=25,geq=lum='random(1)*255':cb=128:cr=128", "-t", "1.4",
        "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p",
    )  # fmt: skip
    made("sox", "-n", "-r", "44100", "-b", "16", files["sound"], "synth", "1", "sine", "660")
    files["notes"].write_text("call the client\n")
    (folder / ".DS_Store").write_bytes(b"\0" * 64)
    assert 10 * MiB < files["long"].stat().st_size <= 15 * MiB, files["long"].stat().st_size
    return files


async def in_library(api: httpx.AsyncClient, name: str, data: bytes) -> dict[str, Any]:
    """An asset already in the library, uploaded with its SHA-256 declared (as the app does)."""
    created = await api.post(
        "/assets",
        json={"filename": name, "content_type": "image/jpeg", "size": len(data),
              "sha256": hashlib.sha256(data).hexdigest()},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    upload = created.json()["upload"]
    async with httpx.AsyncClient(timeout=30) as storage:
        assert (await storage.put(upload["url"], content=data, headers=upload["headers"])).status_code == 200
    assert (await api.post(f"/assets/{created.json()['id']}/complete")).status_code == 202
    return dict(created.json())


class Parts:
    """Counts the part PUTs storage answered, by part number; while ``held``, every part but the
    first waits (the page reloads with one part of the long take stored)."""

    def __init__(self) -> None:
        self.released = asyncio.Event()
        self.stored: Counter[int] = Counter()

    @staticmethod
    def number(request: Request) -> int | None:
        if request.method != "PUT" or "partNumber=" not in request.url:
            return None
        return int(request.url.split("partNumber=")[1].split("&")[0])

    async def route(self, route: Route) -> None:
        if self.number(route.request) not in (None, 1):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.released.wait(), 60)
        # A held request of the page before the reload has nothing left to continue.
        with contextlib.suppress(Exception):
            await route.continue_()

    async def on_finished(self, request: Request) -> None:
        n = self.number(request)
        response = await request.response()
        if n is not None and response is not None and response.status == 200:
            self.stored[n] += 1


# A drop on the library's grid, as the browser dispatches one (a file made in the page).
DROP = """([name, b64]) => {
    const data = new DataTransfer();
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    data.items.add(new File([bytes], name, { type: 'image/jpeg' }));
    const init = { dataTransfer: data, bubbles: true, cancelable: true };
    const grid = document.querySelector('main');
    for (const type of ['dragenter', 'dragover', 'drop']) grid.dispatchEvent(new DragEvent(type, init));
}"""


async def until(check: Any, what: str, within: float = 60) -> Any:
    """Poll ``check`` (async, truthy when done) until it holds; fail at the deadline."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if result := await check():
            return result
        await asyncio.sleep(0.1)
    pytest.fail(f"not within {within}s: {what}")


async def test_upload_a_folder_with_a_copy_a_refused_file_and_a_reload(
    stack: str, page: Page, identities: Identities, workspace: Workspace, tmp_path: Path, artifacts_dir: Path
) -> None:
    tag = uuid.uuid4().hex[:6]
    files = shoot(tmp_path / f"shoot-{tag}", tag)
    copy = tmp_path / f"shoot-{tag}" / f"copy-{tag}.jpg"
    ffmpeg(copy, "testsrc=size=320x240", "-frames:v", "1")
    copied = copy.read_bytes()
    original = f"first-{tag}.jpg"
    key = await identities.key(workspace, "admin")
    async with httpx.AsyncClient(base_url=stack, headers=bearer(key), timeout=30) as admin:
        first = await in_library(admin, original, copied)
        made_collection = await admin.post("/collections", json={"name": f"Shoot {tag}"})
        assert made_collection.status_code == 201, made_collection.text
        collection = made_collection.json()["id"]

    email, password = await identities.user(workspace, "contributor")
    problems: list[str] = []
    watch(page, problems)
    parts = Parts()
    await page.route("**/*", parts.route)
    page.on("requestfinished", parts.on_finished)
    await page.goto(f"{stack}/app/")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    # The first file input of the page picks files, the second a folder; both visibly labelled.
    inputs = page.locator("input[type=file]")
    await inputs.first.wait_for(state="attached", timeout=30_000)
    assert await inputs.count() == 2
    assert await inputs.nth(0).evaluate("i => i.multiple && !i.webkitdirectory")
    assert await inputs.nth(1).evaluate("i => i.webkitdirectory")
    await page.get_by_text("Upload files", exact=True).wait_for()
    await page.get_by_text("Upload a folder", exact=True).wait_for()

    # The batch's tags and collection, chosen before the files.
    await page.get_by_label("Tags for this upload").fill(f"shoot{tag}, Lisbon")
    await page.get_by_label("Tags for this upload").press("Enter")
    await page.get_by_role("combobox", name=re.compile("^Collection")).select_option(label=f"Shoot {tag}")
    await inputs.nth(1).set_input_files(tmp_path / f"shoot-{tag}")

    rows = page.get_by_role("list", name="Files")
    copy_row = rows.get_by_role("listitem").filter(has_text=copy.name)
    await copy_row.get_by_text(f"Already in the library as “{original}”.").wait_for(timeout=60_000)
    await copy_row.get_by_role("button", name=f"Upload anyway ({copy.relative_to(tmp_path)})").wait_for()
    notes = rows.get_by_role("listitem").filter(has_text=files["notes"].name)
    await notes.get_by_text("is not accepted; allowed: image/*, audio/*, video/*").wait_for(timeout=60_000)
    await notes.get_by_role("button", name="Retry").wait_for()
    assert await rows.get_by_text(".DS_Store").count() == 0

    # The long take is under way, one part stored, its progress shown; then the page reloads.
    async def first_part() -> bool:
        return parts.stored[1] >= 1

    await until(first_part, "the first part of the long take stored")
    long_bar = page.get_by_role("progressbar", name=str(files["long"].relative_to(tmp_path)))
    await until(lambda: long_bar.evaluate("p => p.value >= 5 * 1024 * 1024"), "the long take's progress")
    total = page.get_by_role("progressbar", name="All uploads")
    assert await total.evaluate("p => p.value > 0 && p.value < p.max")
    await page.screenshot(path=str(artifacts_dir / "web-app-upload.png"), full_page=True)
    await page.reload()
    parts.released.set()

    long_row = rows.get_by_role("listitem").filter(has_text=files["long"].name)
    await long_row.get_by_text("Uploaded").wait_for(timeout=90_000)
    assert parts.stored[1] == 1, parts.stored  # the stored part was not sent again
    assert parts.stored[2] >= 1, parts.stored
    assert parts.stored[3] >= 1, parts.stored
    await page.screenshot(path=str(artifacts_dir / "web-app-upload-resumed.png"), full_page=True)

    names = {files[k].name for k in ("photo", "clip", "long", "sound")}
    async with httpx.AsyncClient(base_url=stack, headers=bearer(key), timeout=30) as admin:

        async def uploaded() -> list[dict[str, Any]] | None:
            items = (await admin.get("/assets", params={"limit": 50})).json()["items"]
            mine = [a for a in items if a["filename"] in names and a["status"] in DONE]
            return mine if len(mine) == len(names) else None

        assets = await until(uploaded, "every file of the folder uploaded", within=120)
        assert all(a["tags"] == [f"shoot{tag}", "Lisbon"] for a in assets), [a["tags"] for a in assets]
        members = (await admin.get(f"/collections/{collection}/assets", params={"limit": 50})).json()["items"]
        assert {m["id"] for m in members} == {a["id"] for a in assets}
        # Skipped: the library has the one copy it had; refused: no asset for the notes.
        same = {"sha256": hashlib.sha256(copied).hexdigest()}
        assert [a["id"] for a in (await admin.get("/assets", params=same)).json()["items"]] == [first["id"]]
        listed = {a["filename"] for a in (await admin.get("/assets", params={"limit": 50})).json()["items"]}
        assert files["notes"].name not in listed
        # Storage holds the long take byte for byte (its parts from before and after the reload).
        long_id = next(a["id"] for a in assets if a["filename"] == files["long"].name)
        ready = await wait_for_status(admin, long_id, "ready", within=180)  # type: ignore[arg-type]
        async with httpx.AsyncClient(timeout=60) as storage:
            stored = (await storage.get(ready["download_url"])).content
        assert hashlib.sha256(stored).digest() == hashlib.sha256(files["long"].read_bytes()).digest()

    # A file dropped anywhere on the page uploads too.
    dropped = tmp_path / f"dropped-{tag}.jpg"
    ffmpeg(dropped, "testsrc2=size=200x150", "-frames:v", "1")
    await page.evaluate(DROP, [dropped.name, base64.b64encode(dropped.read_bytes()).decode()])
    dropped_row = rows.get_by_role("listitem").filter(has_text=dropped.name)
    await dropped_row.get_by_text("Uploaded").wait_for(timeout=60_000)
    # It appears first in the library at once, and its tile turns into its thumbnail once processed,
    # in place (the poll of what is in flight).
    await page.wait_for_function(
        """(name) => { const img = document.querySelector('.tile img');
            return img && img.alt === name && img.complete && img.naturalWidth > 0; }""",
        arg=dropped.name,
        timeout=120_000,
    )
    # The refused notes' POST (422) is the one failed request the test expects.
    assert [p for p in problems if "422" not in p] == [], "\n".join(problems)
    assert len(problems) <= 2, "\n".join(problems)  # its answer, and the console's word for it


async def test_a_viewer_has_no_upload_controls(
    stack: str, page: Page, identities: Identities, workspace: Workspace
) -> None:
    email, password = await identities.user(workspace, "viewer")
    problems: list[str] = []
    watch(page, problems)
    await page.goto(f"{stack}/app/")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("combobox", name="Search").wait_for(timeout=30_000)
    assert await page.locator("input[type=file]").count() == 0
    assert await page.get_by_text("Upload files").count() == 0
    assert problems == [], "\n".join(problems)
