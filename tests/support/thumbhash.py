"""The reference ThumbHash (Evan Wallace's ``thumbhash`` npm package, a dependency of the web app)
run by Node: the oracle our encoder is checked against, and the decoder the web app draws with.

One Node process per call, for a batch: ``encode`` and ``decode`` take many pictures or hashes.
"""

from __future__ import annotations

import base64
import json
import math
import shutil
import subprocess
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from tests.support.config import ROOT

APP = ROOT / "frontend" / "app"
# Bare imports in ``--eval`` code resolve from the working directory: the app's node_modules.
_SCRIPT = """
import * as th from 'thumbhash'
import { readFileSync } from 'node:fs'
const ask = JSON.parse(readFileSync(0, 'utf8'))
const b64 = (bytes) => Buffer.from(bytes).toString('base64')
const bytes = (text) => new Uint8Array(Buffer.from(text, 'base64'))
const decoded = (hash) => {
  const { w, h, rgba } = th.thumbHashToRGBA(bytes(hash))
  return { w, h, rgba: b64(rgba), average: th.thumbHashToAverageRGBA(bytes(hash)),
           ratio: th.thumbHashToApproximateAspectRatio(bytes(hash)) }
}
process.stdout.write(JSON.stringify({
  cos: ask.cos.map(Math.cos),
  encoded: ask.encode.map(([w, h, rgba]) => b64(th.rgbaToThumbHash(w, h, bytes(rgba)))),
  decoded: ask.decode.map(decoded),
}))
"""


def _reference(ask: dict[str, Any]) -> dict[str, Any]:
    node = shutil.which("node")
    package = APP / "node_modules" / "thumbhash"
    if node is None or not package.exists():
        pytest.fail(f"node or {package} is missing: `make app` (make test installs the app's packages)")
    done = subprocess.run(
        [node, "--input-type=module", "--eval", _SCRIPT],
        input=json.dumps(ask), cwd=APP, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"the reference ThumbHash failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def encode(pictures: Iterable[tuple[int, int, bytes]]) -> list[bytes]:
    """The reference encoder's hash of each ``(width, height, rgba)``."""
    ask = [[w, h, base64.b64encode(rgba).decode()] for w, h, rgba in pictures]
    return [base64.b64decode(h) for h in _reference({"cos": [], "encode": ask, "decode": []})["encoded"]]


def decode(hashes: Iterable[bytes]) -> list[dict[str, Any]]:
    """The reference decoder's reading of each hash: ``w``, ``h``, ``rgba`` (bytes), ``average``
    (r, g, b, a in 0..1) and ``ratio`` (the approximate aspect ratio)."""
    ask = [base64.b64encode(h).decode() for h in hashes]
    found = _reference({"cos": [], "encode": [], "decode": ask})["decoded"]
    return [{**d, "rgba": base64.b64decode(d["rgba"])} for d in found]


def engine_cosine(sizes: Iterable[int]) -> Callable[[float], float]:
    """Node's ``Math.cos`` at every argument the encoder's DCT takes for these widths and heights
    (``pi / n * c * (k + 0.5)``, computed as the encoder computes it: the same doubles)."""
    args = sorted({math.pi / n * c * (k + 0.5) for n in set(sizes) for c in range(8) for k in range(n)})
    table = dict(zip(args, _reference({"cos": args, "encode": [], "decode": []})["cos"], strict=True))
    return table.__getitem__
