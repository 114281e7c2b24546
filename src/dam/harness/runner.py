"""Run the harness steps against a deployment: one line per step, a summary, an exit code."""

from __future__ import annotations

import hashlib
import io
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

import av
import httpx
from PIL import Image

from dam.domain.steps import StepName
from dam.harness import samples
from dam.harness.spec import Spec, Step


class StepFailed(Exception):
    """A step's check did not hold; the message says why."""


@dataclass
class Upload:
    """What the harness knows about one sample as it goes through the steps."""

    data: bytes
    asset: dict[str, Any] = field(default_factory=dict)


@dataclass
class Harness:
    """State shared by the steps."""

    spec: Spec
    base_url: str
    client: httpx.Client
    uploads: dict[str, Upload] = field(default_factory=dict)
    api_key: str | None = None

    # -- helpers -----------------------------------------------------------------------------------

    def call(self, method: str, path: str, expect: int, **kwargs: Any) -> Any:
        url = self.base_url + path
        if self.api_key:  # to the API only: storage gets presigned URLs
            kwargs["headers"] = {"Authorization": f"Bearer {self.api_key}", **kwargs.get("headers", {})}
        try:
            response = self.client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise StepFailed(f"{method} {url}: {type(exc).__name__}: {exc}") from None
        if response.status_code != expect:
            raise StepFailed(
                f"{method} {path} answered {response.status_code}, expected {expect}: {response.text[:300]}"
            )
        return response.json() if response.content else None

    def upload(self, step: Step) -> Upload:
        assert step.sample is not None
        if step.sample not in self.uploads:
            kind = self.spec.samples[step.sample].kind
            self.uploads[step.sample] = Upload(data=samples.jpeg() if kind == "image" else samples.mp4())
        return self.uploads[step.sample]

    def created(self, step: Step) -> Upload:
        upload = self.upload(step)
        if not upload.asset:
            raise StepFailed(f"sample {step.sample!r} has no asset: its create step did not pass")
        return upload

    # -- actions -------------------------------------------------------------------------------------

    def wait_health(self, step: Step) -> str:
        deadline = time.monotonic() + self.spec.deadlines.startup
        last = "no answer yet"
        while time.monotonic() < deadline:
            try:
                response = self.client.get(self.base_url + "/health", timeout=2)
                if response.status_code == 200:
                    return "the API answers"
                last = f"/health answered {response.status_code}"
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
            time.sleep(0.5)
        raise StepFailed(
            f"{self.base_url}/health did not answer 200 within {self.spec.deadlines.startup:g}s ({last})"
        )

    def health(self, step: Step) -> str:
        body = self.call("GET", "/health", 200)
        if body != {"status": "ok"}:
            raise StepFailed(f"/health said {body}")
        return "ok"

    def ready(self, step: Step) -> str:
        response = self.client.get(self.base_url + "/ready")
        body = response.json()
        failing = [d for d in step.dependencies if body.get("checks", {}).get(d) != "ok"]
        if response.status_code != 200 or failing:
            raise StepFailed(f"not ready: {', '.join(failing) or body.get('failing')}: {body.get('checks')}")
        return ", ".join(f"{d} ok" for d in step.dependencies)

    def create(self, step: Step) -> str:
        upload = self.upload(step)
        sample = self.spec.samples[step.sample or ""]
        body = {
            "filename": sample.filename, "content_type": sample.content_type, "size": len(upload.data),
            "sha256": hashlib.sha256(upload.data).hexdigest(), "metadata": {"source": "harness"},
        }  # fmt: skip
        upload.asset = self.call("POST", "/assets", 201, json=body)
        if (
            upload.asset.get("status") != "pending_upload"
            or upload.asset.get("upload", {}).get("method") != "PUT"
        ):
            raise StepFailed(f"unexpected answer: {upload.asset}")
        return f"asset {upload.asset['id']}"

    def upload_bytes(self, step: Step) -> str:
        upload = self.created(step)
        instructions = upload.asset["upload"]
        try:
            response = self.client.put(
                instructions["url"], content=upload.data, headers=instructions["headers"]
            )
        except httpx.HTTPError as exc:
            raise StepFailed(f"PUT to storage failed: {type(exc).__name__}: {exc}") from None
        if response.status_code != 200:
            raise StepFailed(
                f"storage answered {response.status_code} to the presigned PUT: {response.text[:300]}"
            )
        return f"{len(upload.data)} bytes to storage"

    def complete(self, step: Step) -> str:
        upload = self.created(step)
        asset = self.call("POST", f"/assets/{upload.asset['id']}/complete", 202)
        if asset["status"] not in {"uploaded", "processing", "ready"}:
            raise StepFailed(f"status after complete is {asset['status']}")
        return str(asset["status"])

    def wait_ready(self, step: Step) -> str:
        upload = self.created(step)
        deadline = time.monotonic() + self.spec.deadlines.processing
        status = "unknown"
        while time.monotonic() < deadline:
            upload.asset = self.call("GET", f"/assets/{upload.asset['id']}", 200)
            status = upload.asset["status"]
            if status == "ready":
                return "ready"
            if status == "failed":
                raise StepFailed(f"processing failed: {upload.asset.get('error')}")
            time.sleep(0.5)
        raise StepFailed(
            f"still {status} after {self.spec.deadlines.processing:g}s: is a worker running? (see /jobs)"
        )

    def metadata(self, step: Step) -> str:
        asset = self.created(step).asset
        media = asset.get("media") or {}
        wrong = {k: media.get(k) for k, v in step.expect.items() if media.get(k) != v}
        if wrong:
            raise StepFailed(f"media facts differ: expected {step.expect}, got {wrong}")
        for key in ("id", "status", "filename", "content_type", "size", "storage_path", "created_at"):
            if key not in asset:
                raise StepFailed(f"asset lacks {key!r}")
        return ", ".join(f"{k}={v}" for k, v in step.expect.items())

    def download(self, step: Step) -> str:
        upload = self.created(step)
        url = upload.asset.get("download_url")
        if not url:
            raise StepFailed("no download_url on the asset")
        response = self.client.get(url)
        if response.status_code != 200:
            raise StepFailed(f"download answered {response.status_code}")
        if hashlib.sha256(response.content).hexdigest() != hashlib.sha256(upload.data).hexdigest():
            raise StepFailed("downloaded bytes differ from the uploaded ones (sha256)")
        return "sha256 matches"

    def renditions(self, step: Step) -> str:
        asset = self.created(step).asset
        found = {r["kind"]: r for r in asset.get("renditions", [])}
        missing = [k for k in step.kinds if k not in found]
        if missing:
            raise StepFailed(f"missing renditions {missing}; have {sorted(found)}")
        sizes = []
        for kind in step.kinds:
            rendition = found[kind]
            response = self.client.get(rendition["url"])
            if response.status_code != 200:
                raise StepFailed(f"{kind}: download answered {response.status_code}")
            try:
                image = Image.open(io.BytesIO(response.content))
                image.load()
            except OSError as exc:
                raise StepFailed(f"{kind}: not a decodable image: {exc}") from None
            if image.size != (rendition["width"], rendition["height"]):
                raise StepFailed(
                    f"{kind}: decoded {image.size}, recorded {rendition['width']}x{rendition['height']}"
                )
            sizes.append(f"{kind} {image.width}x{image.height}")
        return ", ".join(sizes)


def _uris(playlist: str) -> list[str]:
    return [line for line in playlist.splitlines() if line and not line.startswith("#")]


def _frames(data: bytes) -> int:
    """Frames (or audio frames) decoded from an init segment and a media segment."""
    try:
        with av.open(io.BytesIO(data), "r", format="mp4") as container:
            return sum(1 for _ in container.decode(container.streams[0]))
    except av.error.FFmpegError as exc:
        raise StepFailed(f"a segment does not decode: {exc}") from None


class _Stream:
    """The stream steps' reads: through the delivery path, redirects followed into storage."""

    def __init__(self, harness: Harness) -> None:
        self.client = harness.client

    def get(self, url: str, content_type: str | None = None) -> httpx.Response:
        try:
            response = self.client.get(url, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise StepFailed(f"GET {url}: {type(exc).__name__}: {exc}") from None
        if response.status_code != 200:
            raise StepFailed(f"GET {url} answered {response.status_code}: {response.text[:200]}")
        if content_type and not response.headers.get("content-type", "").startswith(content_type):
            raise StepFailed(f"GET {url}: {response.headers.get('content-type')}, expected {content_type}")
        return response


def stream(harness: Harness, step: Step) -> str:
    """The video's stream becomes ready; its master playlist and MPD come through the delivery
    path, and the first segment of every rendition decodes."""
    upload = harness.created(step)
    deadline = time.monotonic() + harness.spec.deadlines.stream
    links: dict[str, Any] = {}
    while time.monotonic() < deadline:
        upload.asset = harness.call("GET", f"/assets/{upload.asset['id']}", 200)
        links = upload.asset.get("stream") or {}
        if links.get("status") == "ready":
            break
        if links.get("status") == "failed":
            failed = [s for s in upload.asset["steps"] if s["name"] == StepName.LADDER]
            raise StepFailed(f"the stream failed: {failed[0]['error'] if failed else '?'}")
        time.sleep(0.5)
    else:
        raise StepFailed(
            f"stream still {links.get('status')} after {harness.spec.deadlines.stream:g}s:"
            " is a transcode worker running (dam worker --queue transcode)?"
        )
    reads = _Stream(harness)
    master = reads.get(links["hls_url"], "application/vnd.apple.mpegurl").text
    reads.get(links["dash_url"], "application/dash+xml")
    base = links["hls_url"].rsplit("/", 1)[0]
    renditions = [uri.split("/")[0] for uri in _uris(master)]
    renditions += re.findall(r'TYPE=AUDIO[^\n]*URI="([^"/]+)/', master)
    decoded = []
    for name in renditions:
        playlist = reads.get(f"{base}/{name}/index.m3u8", "application/vnd.apple.mpegurl").text
        segments = _uris(playlist)
        if not segments:
            raise StepFailed(f"{name}: its playlist lists no segment")
        init = reads.get(f"{base}/{name}/init.mp4").content
        first = reads.get(f"{base}/{name}/{segments[0]}").content
        decoded.append(f"{name} {_frames(init + first)} frames")
    return f"{len(links.get('variants', []))} variant(s); first segments: {', '.join(decoded)}"


ACTIONS: dict[str, Callable[[Harness, Step], str]] = {
    "wait_health": Harness.wait_health, "health": Harness.health, "ready": Harness.ready,
    "create": Harness.create, "upload": Harness.upload_bytes, "complete": Harness.complete,
    "wait_ready": Harness.wait_ready, "metadata": Harness.metadata, "download": Harness.download,
    "renditions": Harness.renditions, "stream": stream,
}  # fmt: skip


def run(
    spec: Spec, base_url: str | None = None, out: TextIO | None = None, api_key: str | None = None
) -> int:
    """Run every step; print a line per step and a summary; 0 when all passed, else 1."""
    import sys

    out = out or sys.stdout
    base = (base_url or spec.base_url).rstrip("/")
    print(f"harness: {len(spec.steps)} steps against {base}", file=out)
    failed: list[str] = []
    started = time.monotonic()
    with httpx.Client(timeout=spec.deadlines.request) as client:
        harness = Harness(spec, base, client, api_key=api_key)
        for step in spec.steps:
            t0 = time.monotonic()
            try:
                outcome, detail = "PASS", ACTIONS[step.action](harness, step)
            except StepFailed as exc:
                outcome, detail = "FAIL", str(exc)
                failed.append(step.name)
            print(f"{outcome}  {step.name:<28} {time.monotonic() - t0:7.2f}s  {detail}", file=out, flush=True)
            if outcome == "FAIL" and step.action == "wait_health":
                break  # nothing else can pass without the API
    total = time.monotonic() - started
    if failed:
        print(
            f"harness: FAILED {len(failed)} of {len(spec.steps)} steps in {total:.1f}s: {', '.join(failed)}",
            file=out,
        )
        return 1
    print(f"harness: all {len(spec.steps)} steps passed in {total:.1f}s", file=out)
    return 0
