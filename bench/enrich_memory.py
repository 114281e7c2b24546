"""Peak resident memory of an enrich worker: a fresh process that imports what ``dam worker`` imports,
then loads every kind's model through the worker's ``Models`` tool and runs each on the previews.

``python -m bench.enrich_memory PREVIEW...`` prints one JSON line: the resident size after the
imports (before any model), the peak (VmHWM) once every model ran, and the resident size then.
"""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 300  # seconds the measuring process may take


def _vm(field: str) -> int:
    """A field of /proc/self/status, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def peak_rss(previews: list[Path]) -> dict[str, int]:
    """Measure in a fresh process (see the module's docstring); KiB by name."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.enrich_memory", *map(str, previews)],
        cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"the memory run failed: {done.stderr.strip()[-800:]}")
    figures: dict[str, int] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


async def _run_models(previews: list[Path]) -> None:
    from PIL import Image

    from dam.jobs.enrich import Models
    from dam.media.enrich import dhash, objects, ocr, scenes

    models = Models(1)
    try:
        engines = {
            "ocr": (await models.model("ocr", ocr.Reader)).read,
            "objects": (await models.model("objects", objects.Detector)).detect,
            "scenes": (await models.model("scenes", scenes.Classifier)).classify,
        }
        for path in previews:
            with Image.open(io.BytesIO(path.read_bytes())) as opened:
                opened.load()
                picture = opened.convert("RGB")
            for name, call in engines.items():
                await models.infer(name, call, picture)
            await models.run(dhash.dhash, picture)
    finally:
        models.close()


def main() -> None:
    """Import as a worker does, measure, load and run every model, measure again."""
    import workers.main  # noqa: F401 - what `dam worker` imports before any job

    before = _vm("VmRSS")
    asyncio.run(_run_models([Path(p) for p in sys.argv[1:]]))
    print(json.dumps({"before_kib": before, "peak_kib": _vm("VmHWM"), "after_kib": _vm("VmRSS")}))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
