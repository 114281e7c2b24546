"""`make bench-web` (and `make bench`): the web app in Debian's Chromium against the API on the search
bench's 100,000-asset data set, beside the API time of the same requests measured in the same run.

- the library: navigation to the first thumbnails drawn (a fresh browser context each time: nothing
  cached), beside ``GET /search`` of the app's first page (with its facets);
- a search: the last keystroke to its results in the grid (the box's debounce included), beside
  ``GET /search?q=`` of the same word;
- scrolling through thousands of results: the most grid nodes in the page at once;
- the first screen's JavaScript, gzipped (the files the library page loads, as the API serves them).

The thumbnails of the newest assets are real WebP files put in a throw-away SeaweedFS; the rest of
the data set's objects do not exist (the grid never reaches them here).
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import boto3
import httpx
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.search import generate  # noqa: E402
from bench.search.generate import SEED  # noqa: E402
from bench.search.vocab import vocabulary  # noqa: E402
from bench.stack import StackFailed, serve, set_up_store  # noqa: E402
from dam_dev.devs3 import DevS3, free_ports  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
APP = ROOT / "src" / "dam" / "web" / "app"
WORKSPACE = "bench-studio"  # the data set's big workspace (85% of the assets)
EMAIL, PASSWORD = "web@bench-studio.localhost", "bench-web-password-1"
RUNS = 5
THUMBNAILS = 400  # the newest assets' thumbnails made real
FACETS = "type,tag,camera_make,camera_model,year,collection"
RESULTS_DRAWN = "() => document.querySelectorAll('.tile').length > 0 && window.benchChanged > window.benchKey"
TRACE = """performance.getEntriesByType('resource')
  .map((e) => `${e.name.split('?')[0].slice(-60)} ${e.startTime.toFixed(0)}-${e.responseEnd.toFixed(0)}`)
  .join('\\n')"""
DRAWN = """(n) => { const imgs = [...document.querySelectorAll('.tile img')];
  return imgs.length >= n && imgs.slice(0, n).every((i) => i.complete && i.naturalWidth > 0); }"""


async def _thumbnail_keys(db_url: str) -> list[str]:
    conn = await asyncpg.connect(db_url)
    try:
        rows = await conn.fetch(
            """SELECT r.storage_key FROM search_documents AS d JOIN workspaces AS w ON w.id = d.workspace_id
                 JOIN renditions AS r ON r.asset_id = d.asset_id AND r.kind = 'thumbnail'
                WHERE w.slug = $1 AND d.status = 'ready'
                ORDER BY d.created_at DESC, d.asset_id DESC LIMIT $2""",
            WORKSPACE, THUMBNAILS,
        )  # fmt: skip
    finally:
        await conn.close()
    return [r["storage_key"] for r in rows]


def _put_thumbnails(store: DevS3, keys: list[str]) -> None:
    s3 = boto3.client(
        "s3", endpoint_url=store.endpoint_url, region_name="us-east-1",
        aws_access_key_id="bench", aws_secret_access_key="bench-secret",
    )  # fmt: skip
    for i, key in enumerate(keys):
        out = io.BytesIO()
        Image.new("RGB", (320, 240), ((i * 37) % 256, (i * 91) % 256, (i * 53) % 256)).save(out, "WEBP")
        s3.put_object(Bucket="bench", Key=key, Body=out.getvalue(), ContentType="image/webp",
                      CacheControl="public, max-age=31536000, immutable")  # fmt: skip


def _make_user(env: dict[str, str]) -> None:
    made = subprocess.run(
        [sys.executable, "-m", "dam.cli", "--log-level", "warning", "admin", "create-user", "--email", EMAIL,
         "--password-stdin", "--workspace", WORKSPACE, "--role", "viewer"],
        input=PASSWORD + "\n", env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if made.returncode != 0:
        raise StackFailed(f"dam admin create-user failed: {made.stderr.strip()[-500:]}")


def _first_screen_js(urls: list[str]) -> int:
    """Bytes of the gzip copies of the scripts the first screen loaded."""
    total = 0
    for url in urls:
        path = url.split("/app/", 1)[-1].split("?")[0]
        gz = APP / f"{path}.gz"
        total += gz.stat().st_size if gz.exists() else (APP / path).stat().st_size
    return total


async def _api_ms(
    origin: str, cookies: dict[str, str], params: dict[str, str], runs: int = RUNS * 2
) -> float:
    async with httpx.AsyncClient(base_url=origin, cookies=cookies, timeout=60) as api:
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            answer = await api.get("/search", params=params)
            times.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200, answer.text
    return statistics.median(times)


async def _browser_figures(origin: str) -> dict[str, float]:
    from playwright.async_api import async_playwright

    async with httpx.AsyncClient(base_url=origin, timeout=60) as api:
        signed = await api.post("/auth/login", json={"email": EMAIL, "password": PASSWORD})
        if signed.status_code != 200:
            raise StackFailed(f"sign-in failed: {signed.status_code} {signed.text[:200]}")
        cookies = dict(api.cookies)
    host = origin.split("//")[1].split(":")[0]
    words = vocabulary(SEED)[600:900:60][:RUNS]
    figures: dict[str, float] = {}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            first, scripts = [], []
            for _ in range(RUNS):  # a fresh context each time: no cache, no service state
                context = await browser.new_context(viewport={"width": 1440, "height": 900})
                await context.add_cookies(
                    [{"name": k, "value": v, "domain": host, "path": "/"} for k, v in cookies.items()]
                )
                page = await context.new_page()
                await page.goto(f"{origin}/app/")
                await page.wait_for_function(DRAWN, arg=12, polling="raf", timeout=60_000)
                first.append(await page.evaluate("performance.now()"))
                if os.environ.get("DAM_BENCH_WEB_TRACE"):  # where the time goes: each request's span
                    print(await page.evaluate(TRACE))
                scripts = await page.evaluate(
                    "performance.getEntriesByType('resource').filter((e) => e.name.endsWith('.js'))"
                    ".map((e) => e.name)"
                )
                await context.close()
            figures["first_ms"] = statistics.median(first)
            figures["js_bytes"] = _first_screen_js(scripts)

            context = await browser.new_context(viewport={"width": 1440, "height": 900})
            await context.add_cookies(
                [{"name": k, "value": v, "domain": host, "path": "/"} for k, v in cookies.items()]
            )
            page = await context.new_page()
            await page.goto(f"{origin}/app/")
            await page.wait_for_function(DRAWN, arg=12, timeout=60_000)
            found = []
            for word in words:
                await page.goto(f"{origin}/app/")
                await page.wait_for_function(DRAWN, arg=12, timeout=60_000)
                await page.evaluate(
                    """() => { window.benchChanged = 0;
                      new MutationObserver(() => { window.benchChanged = performance.now(); })
                        .observe(document.querySelector('.grid ul'), { childList: true });
                      document.getElementById('search-box').addEventListener('keyup',
                        () => { window.benchKey = performance.now(); }); }"""
                )
                await page.locator("#search-box").press_sequentially(word, delay=60)
                await page.wait_for_url(lambda url, w=word: f"q={w}" in url, timeout=30_000)
                # The new query empties the grid at once; its results fill it when they arrive.
                await page.wait_for_function(RESULTS_DRAWN, timeout=30_000)
                found.append(await page.evaluate("window.benchChanged - window.benchKey"))
            figures["search_ms"] = statistics.median(found)

            await page.goto(f"{origin}/app/")
            await page.wait_for_function(DRAWN, arg=12, timeout=60_000)
            most = 0
            for _ in range(40):
                await page.mouse.wheel(0, 4000)
                await page.wait_for_timeout(50)  # a frame or three, as a person's scrolling leaves
                most = max(most, await page.evaluate("document.querySelectorAll('.grid *').length"))
            figures["nodes"] = most
            figures["loaded"] = await page.evaluate(
                "Math.max(...[...document.querySelectorAll('.tile')].map((t) => +t.dataset.index)) + 1"
            )
            await context.close()
        finally:
            await browser.close()
    figures["api_first_ms"] = await _api_ms(origin, cookies, {"facets": FACETS, "limit": "100"})
    figures["api_search_ms"] = statistics.median(
        [await _api_ms(origin, cookies, {"q": w, "facets": FACETS, "limit": "100"}, runs=3) for w in words]
    )
    return figures


def web_figures() -> None:
    """Run the web app bench and print its table."""
    db_url = asyncio.run(generate.ensure("100k"))
    tmp = Path(tempfile.mkdtemp(prefix="dam-bench-web-"))
    store = DevS3(tmp / "s3", access_key="bench", secret_key="bench-secret")
    (port,) = free_ports(1)
    origin = f"http://127.0.0.1:{port}"
    env = {
        **os.environ, "DAM_DATABASE_URL": db_url, "DAM_S3_ENDPOINT_URL": store.endpoint_url,
        "DAM_S3_ACCESS_KEY": "bench", "DAM_S3_SECRET_KEY": "bench-secret", "DAM_S3_BUCKET": "bench",
        "DAM_LOG_LEVEL": "warning", "DAM_DEV": "true", "DAM_PORT": str(port), "DAM_CORS_ORIGINS": origin,
    }  # fmt: skip
    done = False
    try:
        store.start()
        set_up_store(env)
        _put_thumbnails(store, asyncio.run(_thumbnail_keys(db_url)))
        _make_user(env)
        api = [sys.executable, "-m", "dam.cli", "--log-level", "warning", "api"]
        with serve(api, env, f"{origin}/health", tmp / "api.log", timeout=60):
            f = asyncio.run(_browser_figures(origin))
        done = True
    finally:
        store.stop()
        asyncio.run(_drop_user(db_url))
        if done:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"\n(the web bench's logs are kept in {tmp})", file=sys.stderr)
    print(f"\n## Web app in Chromium, {WORKSPACE} of the 100k data set (medians of {RUNS})")
    print(f"{'':<44}{'app':>9}{'API':>10}{'app/API':>9}")
    rows = (
        ("library: navigation to 12 thumbnails drawn", f["first_ms"], f["api_first_ms"], "<= 1000 ms"),
        ("search: last keystroke to results drawn", f["search_ms"], f["api_search_ms"], "<= 300 ms"),
    )
    for name, app, api, target in rows:
        print(f"{name:<44}{app:>7.0f}ms{api:>8.1f}ms{app / api:>8.1f}x   (target {target})")
    print(f"{'scrolling: most grid nodes in the page':<44}{f['nodes']:>9.0f}   ", end="")
    print(f"({f['loaded']:.0f} results loaded; target <= ~500)")
    print(f"{'first screen JavaScript, gzipped':<44}{f['js_bytes'] / 1000:>7.1f}KB   (target <= 200 KB)")


async def _drop_user(db_url: str) -> None:
    """The bench's user goes, so the data set stays as generated."""
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute("DELETE FROM users WHERE email = $1", EMAIL)
    finally:
        await conn.close()


if __name__ == "__main__":
    web_figures()
