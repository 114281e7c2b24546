"""``dam upload``: push files and folders straight to storage through presigned URLs, resumably.

For each file: sha256 while reading, then either skip it (the server already has the same name and
bytes), resume it (a pending upload of the same bytes: the API says which parts storage holds), or
create it; PUT (single or multipart, parts retried), complete. ``--wait`` follows processing.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import msgspec

from dam.domain import formats
from dam.domain.uploads import part_count
from dam.domain.validation import accepts
from dam.settings import UploadSettings

CHUNK = 1024 * 1024
RETRIES = 4
# What a default deployment accepts; the server has the last word (it answers 422 otherwise).
ACCEPTED = UploadSettings().allowed_content_types


class Outcome(msgspec.Struct, kw_only=True):
    """What happened to one file."""

    path: str
    status: str  # uploaded | resumed | skipped | failed | ready (after --wait)
    detail: str = ""
    asset_id: str | None = None
    bytes_sent: int = 0
    parts_sent: int = 0


class Stopped(Exception):
    """Nothing can be uploaded (the API refuses the credentials or cannot be reached): the run stops."""


class Failed(Exception):
    """A file could not be uploaded; the message says why."""


def content_type_of(path: Path) -> str | None:
    """The media type to declare: from our own table by extension, or by the first bytes when the
    extension names no format or another one than the bytes are (a PNG named .jpg goes as PNG)."""
    named = formats.by_extension(path.name)
    try:
        with path.open("rb") as f:
            found = formats.sniff(f.read(formats.HEAD_BYTES))
    except OSError:
        found = None
    chosen = formats.reconcile(named, found)
    return chosen.media_type if chosen is not None else None


def collect(paths: list[str], recursive: bool) -> tuple[list[Path], list[Outcome]]:
    """Files to upload, and those skipped with the reason."""
    files: list[Path] = []
    skipped: list[Outcome] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in (path.rglob("*") if recursive else path.iterdir()) if p.is_file())
            if not recursive and any(p.is_dir() for p in path.iterdir()):
                skipped.append(
                    Outcome(path=str(path), status="skipped", detail="has sub-folders: use --recursive")
                )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            skipped.append(Outcome(path=str(path), status="failed", detail="no such file or folder"))
    keep = []
    for file in files:
        kind = content_type_of(file)
        if kind is None or not accepts(kind, ACCEPTED):
            skipped.append(
                Outcome(
                    path=str(file),
                    status="skipped",
                    detail=f"not a format the service processes ({kind or 'unknown type'})",
                )
            )
        else:
            keep.append(file)
    return keep, skipped


def part_checksums(path: Path, size: int, part_size: int) -> dict[int, str]:
    """Base64 SHA-256 of every part, as S3's x-amz-checksum-sha256 wants it."""
    sums = {}
    with path.open("rb") as f:
        for number in range(1, (part_count(size, part_size) or 1) + 1):
            digest = hashlib.sha256()
            left = part_size
            while left > 0 and (chunk := f.read(min(CHUNK, left))):
                digest.update(chunk)
                left -= len(chunk)
            sums[number] = base64.b64encode(digest.digest()).decode()
    return sums


def sha256_file(path: Path) -> str:
    """Hex SHA-256, reading in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class Uploader:
    """Uploads files with a bounded number of transfers in flight."""

    def __init__(
        self,
        api: str,
        client: httpx.AsyncClient,
        concurrency: int,
        on_bytes: Callable[[Path, int], None],
        api_key: str | None = None,
    ) -> None:
        self.api = api.rstrip("/")
        # Sent to the API only: storage gets presigned URLs, never the key.
        self.auth = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = client
        self.slots = asyncio.Semaphore(concurrency)
        self.on_bytes = on_bytes

    async def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """A request with retries on network faults and 5xx answers (backoff 0.5, 1, 2 s)."""
        for attempt in range(RETRIES):
            try:
                response = await self.client.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                if attempt == RETRIES - 1:
                    raise Failed(f"{method} failed: {type(exc).__name__}: {exc}") from None
            else:
                if response.status_code < 500 or attempt == RETRIES - 1:
                    return response
            await asyncio.sleep(0.5 * 2**attempt)
        raise AssertionError("unreachable")

    async def _api(self, method: str, path: str, expect: set[int], **kwargs: Any) -> Any:
        headers = {**self.auth, **kwargs.pop("headers", {})}
        response = await self._request(method, self.api + path, headers=headers, **kwargs)
        if response.status_code not in expect:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise Failed(f"{method} {path}: {response.status_code} {detail}")
        return response.json() if response.content else None

    async def check_access(self) -> None:
        """One ``GET /auth/me`` before any file: an API that cannot be reached, or a missing, wrong,
        expired or revoked key, stops the run with the reason instead of failing every file with it."""
        try:
            response = await self._request("GET", self.api + "/auth/me", headers=self.auth)
        except Failed as exc:
            raise Stopped(f"cannot reach the API at {self.api}: {exc}") from None
        if response.status_code in {401, 403}:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            hint = (
                "" if self.auth else "; pass --api-key or set DAM_API_KEY (`dam admin create-key` makes one)"
            )
            raise Stopped(f"the API at {self.api} refused access ({response.status_code}): {detail}{hint}")

    async def upload(self, path: Path) -> Outcome:
        """One file, start to finish."""
        outcome = Outcome(path=str(path), status="uploaded")
        try:
            async with self.slots:
                await self._upload(path, outcome)
        except Failed as exc:
            outcome.status, outcome.detail = "failed", str(exc)
        return outcome

    async def _upload(self, path: Path, outcome: Outcome) -> None:
        size = (await asyncio.to_thread(path.stat)).st_size
        digest = await asyncio.to_thread(sha256_file, path)
        previous = await self._previous(path.name, digest)
        if previous and previous["status"] in {"uploaded", "processing", "ready"}:
            outcome.status, outcome.asset_id = "skipped", previous["id"]
            outcome.detail = f"already uploaded ({previous['status']})"
            self.on_bytes(path, size)
            return
        if previous:
            outcome.status, outcome.asset_id = "resumed", previous["id"]
            upload = await self._api("POST", f"/assets/{previous['id']}/upload", {200})
        else:
            body = {
                "filename": path.name,
                "content_type": content_type_of(path),
                "size": size,
                "sha256": digest,
                "part_checksums": True,  # for multipart: storage verifies every part's SHA-256
            }
            created = await self._api("POST", "/assets", {201}, json=body)
            outcome.asset_id, upload = created["id"], created["upload"]
        if upload["method"] == "PUT":
            await self._put(path, size, upload, outcome)
            await self._api("POST", f"/assets/{outcome.asset_id}/complete", {202})
        else:
            parts = await self._parts(path, size, upload, outcome)
            await self._api("POST", f"/assets/{outcome.asset_id}/complete", {202}, json={"parts": parts})

    async def _previous(self, name: str, digest: str) -> dict[str, Any] | None:
        page = await self._api("GET", f"/assets?sha256={digest}&limit=50", {200})
        same = [
            a for a in page["items"] if a["filename"] == name and a["status"] not in {"failed", "deleted"}
        ]
        done = [a for a in same if a["status"] != "pending_upload"]
        found: dict[str, Any] | None = (done or same or [None])[0]
        return found

    async def _put(self, path: Path, size: int, upload: dict[str, Any], outcome: Outcome) -> None:
        for attempt in range(RETRIES):
            # A streamed body has no length of its own: say it (S3 refuses chunked uploads, and a
            # declared size is signed into the URL).
            headers = {**upload["headers"], "Content-Length": str(size)}
            response = await self._request(
                "PUT", upload["url"], content=self._stream(path, 0, size), headers=headers
            )
            if response.status_code == 200:
                outcome.bytes_sent += size
                return
            if response.status_code < 500 or attempt == RETRIES - 1:
                raise Failed(f"storage refused the upload: {response.status_code} {response.text[:200]}")
        raise Failed("storage kept failing")

    async def _parts(
        self, path: Path, size: int, upload: dict[str, Any], outcome: Outcome
    ) -> list[dict[str, Any]]:
        part_size = upload["part_size"]
        total = part_count(size, part_size) or 1
        sums = (
            await asyncio.to_thread(part_checksums, path, size, part_size) if upload["part_checksums"] else {}
        )
        done = {p["number"]: p["etag"] for p in upload["uploaded_parts"]}
        for number in done:
            self.on_bytes(path, min(part_size, size - (number - 1) * part_size))
        missing = [n for n in range(1, total + 1) if n not in done]
        parts = {p["number"]: p for p in upload["parts"]}
        if missing and (sums or any(n not in parts for n in missing)):
            # With part checksums each URL signs its part's SHA-256, so ask for them with the sums.
            ask = (
                {"part_checksums": {str(n): sums[n] for n in missing}} if sums else {"part_numbers": missing}
            )
            more = await self._api("POST", f"/assets/{outcome.asset_id}/upload", {200}, json=ask)
            parts.update({p["number"]: p for p in more["parts"]})
        for number in missing:
            start = (number - 1) * part_size
            length = min(part_size, size - start)
            part = parts[number]
            headers = {**part.get("headers", {}), "Content-Length": str(length)}
            response = await self._request(
                "PUT", part["url"], content=self._stream(path, start, length), headers=headers
            )
            if response.status_code != 200:
                raise Failed(f"storage refused part {number}: {response.status_code} {response.text[:200]}")
            done[number] = response.headers["etag"].strip('"')
            outcome.bytes_sent += length
            outcome.parts_sent += 1
        return [
            {"number": n, "etag": done[n], **({"checksum_sha256": sums[n]} if sums else {})}
            for n in sorted(done)
        ]

    async def _stream(self, path: Path, start: int, length: int) -> AsyncIterator[bytes]:
        with path.open("rb") as f:
            f.seek(start)
            left = length
            while left > 0:
                chunk = await asyncio.to_thread(f.read, min(CHUNK, left))
                if not chunk:
                    break
                left -= len(chunk)
                self.on_bytes(path, len(chunk))
                yield chunk

    async def wait(self, outcome: Outcome, deadline: float) -> None:
        """Follow processing until ready or failed (or the deadline)."""
        loop = asyncio.get_running_loop()
        while loop.time() < deadline:
            asset = await self._api("GET", f"/assets/{outcome.asset_id}", {200})
            if asset["status"] in {"ready", "failed"}:
                outcome.status = asset["status"]
                outcome.detail = asset.get("error") or outcome.detail
                return
            await asyncio.sleep(0.5)
        outcome.status, outcome.detail = "failed", "not ready before the --timeout"


async def upload_all(args: Any) -> list[Outcome]:
    """Upload everything the arguments name; returns one outcome per file."""
    files, outcomes = collect(args.paths, args.recursive)
    show = not args.json and sys.stderr.isatty()
    progress: Any = None
    tasks: dict[Path, Any] = {}
    if show:
        from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

        progress = Progress(
            "{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn(), transient=False
        )
        progress.start()
        overall = progress.add_task("[bold]all files", total=sum(f.stat().st_size for f in files))
        tasks = {f: progress.add_task(f.name[:40], total=f.stat().st_size) for f in files}

    def on_bytes(path: Path, count: int) -> None:
        if progress is not None:
            progress.advance(tasks[path], count)
            progress.advance(overall, count)

    try:
        async with httpx.AsyncClient(timeout=httpx.Timeout(120, connect=10)) as client:
            uploader = Uploader(args.api, client, args.concurrency, on_bytes, api_key=args.api_key)
            if files:
                await uploader.check_access()
            done = await asyncio.gather(*(uploader.upload(f) for f in files))
            if args.wait:
                deadline = asyncio.get_running_loop().time() + args.timeout
                await asyncio.gather(
                    *(uploader.wait(o, deadline) for o in done if o.asset_id and o.status != "failed")
                )
    finally:
        if progress is not None:
            progress.stop()
    return outcomes + list(done)


def report(outcomes: list[Outcome], as_json: bool) -> None:
    """A table for people, JSON for scripts."""
    if as_json:
        sys.stdout.write(msgspec.json.encode(outcomes).decode() + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("file", "status", "asset", "detail")
    for o in outcomes:
        colour = {"failed": "red", "skipped": "yellow"}.get(o.status, "green")
        table.add_row(o.path, f"[{colour}]{o.status}[/{colour}]", o.asset_id or "", o.detail)
    Console().print(table)


def main(args: Any) -> int:
    """Run ``dam upload``; the exit code is 0 when nothing failed."""
    try:
        outcomes = asyncio.run(upload_all(args))
    except Stopped as exc:
        sys.stderr.write(f"dam upload: {exc}\n")
        return 2
    report(outcomes, args.json)
    return 1 if any(o.status == "failed" for o in outcomes) else 0
