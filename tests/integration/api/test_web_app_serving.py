"""The web app's files at ``/app/`` (``make app`` builds them): the page for every path of the app,
hashed files cached for a year, precompressed copies for clients that take them, and a policy that
allows the start-up script by its hash and nothing else inline."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
from typing import Any

from litestar.testing import AsyncTestClient

from dam.paths import app_dir

Client = AsyncTestClient[Any]


def policy_of(answer: Any) -> dict[str, set[str]]:
    parsed = {}
    for part in filter(None, (p.strip() for p in answer.headers["content-security-policy"].split(";"))):
        name, *sources = part.split()
        parsed[name] = set(sources)
    return parsed


async def test_every_app_path_answers_the_page_with_its_start_up_script_allowed_by_hash(api: Client) -> None:
    for path in ("/app", "/app/", "/app/library/deep/path?q=cat"):
        page = await api.get(path, headers={"Accept-Encoding": "identity"})
        assert page.status_code == 200, (path, page.text)
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["cache-control"] == "no-cache"
        assert "content-encoding" not in page.headers
        inline = re.findall(r"<script>([\s\S]*?)</script>", page.text)
        assert len(inline) == 1, path
        digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
        policy = policy_of(page)
        assert policy["script-src"] == {"'self'", f"'sha256-{digest}'"}
        announcer = json.loads((app_dir() / "csp.json").read_text())["style_attribute_hashes"]
        assert policy["style-src"] == {"'self'", "'unsafe-hashes'", *(f"'{h}'" for h in announcer)}
        assert len(announcer) <= 1
        assert policy["object-src"] == {"'none'"}
    gone = await api.get("/s/dam_sh_" + "x" * 43)  # a page outside the app has no inline script
    assert policy_of(gone)["script-src"] == {"'self'"}


async def test_hashed_files_are_immutable_and_precompressed(api: Client) -> None:
    page = (await api.get("/app/")).text
    script = re.search(r'import\("(/app/_app/immutable/entry/app\.[^"]+\.js)"\)', page)
    assert script, page
    plain = await api.get(script[1], headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200
    assert plain.headers["content-type"].split(";")[0] in ("text/javascript", "application/javascript")
    assert plain.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert plain.headers["vary"] == "Accept-Encoding"
    zipped = await api.get(script[1], headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["vary"] == "Accept-Encoding"
    assert zipped.content == plain.content  # httpx decodes it: the same file
    raw = (app_dir() / script[1].removeprefix("/app/")).read_bytes()
    assert gzip.decompress((app_dir() / (script[1].removeprefix("/app/") + ".gz")).read_bytes()) == raw
    brotli = await api.get(script[1], headers={"Accept-Encoding": "gzip, br"})
    assert brotli.headers["content-encoding"] == "br"


async def test_a_missing_app_file_is_404_and_nothing_outside_the_app_is_served(api: Client) -> None:
    missing = await api.get("/app/_app/immutable/chunks/gone.js")
    assert missing.status_code == 404
    for path in ("/app/..%2F..%2Fapp.js", "/app/%2e%2e/%2e%2e/web/app.js"):
        answer = await api.get(path)
        assert answer.headers["content-type"].startswith("text/html"), path  # the app's page, never the file
        assert "script_hashes" not in answer.text
        assert "session" not in answer.text


async def test_the_library_page_preloads_its_modules_and_other_routes_do_not(api: Client) -> None:
    """``/app/`` (the library) names the library route's modules for the browser to fetch beside
    the entry; every module it names exists; another route's page names only the layout's."""
    library = (await api.get("/app/?q=harbour")).text
    other = (await api.get("/app/s/dam_sh_x")).text
    preloads = set(re.findall(r'href="(/app/_app/immutable/[^"]+\.js)" rel="modulepreload"', library))
    others = set(re.findall(r'href="(/app/_app/immutable/[^"]+\.js)" rel="modulepreload"', other))
    assert others < preloads
    assert any("/nodes/" in p for p in preloads - others), preloads - others
    for path in preloads:
        assert (await api.head(path)).status_code == 200, path
    # The same start-up script: the page's policy allows both.
    script = re.compile(r"<script>([\s\S]*?)</script>")
    assert script.findall(library) == script.findall(other)
    by_name = await api.get("/app/library.html")  # the app's page, by no name of its own
    assert by_name.status_code == 200
    assert by_name.text == other
