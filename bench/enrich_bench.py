"""`make bench-enrich`: enrichment's cost, each figure beside a baseline measured in the same run.

- each kind's whole step path (``run_queue`` on the enrich queue) against the bare model call on the
  same decoded previews (``bench.enrich_steps``);
- an enrich worker's peak resident memory (``bench.enrich_memory``);
- the near-duplicate lookup among 1,000,000 hashed assets against a brute-force scan
  (``bench.hashes_bench``, its data set made once);
- speech: its figure from the guide (not measured here yet);
- ``complete`` -> ``ready`` of the media queue with an enrich worker busy beside it, against the same
  without (``bench.enrich_latency``).
"""

from __future__ import annotations

import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.enrich_latency import BLOCKS, LatencyFigures, latency_figures  # noqa: E402
from bench.enrich_memory import peak_rss  # noqa: E402
from bench.enrich_speech import SpeechFigures, speech_figures  # noqa: E402
from bench.enrich_steps import KINDS, ROUNDS, StepFigures, step_figures  # noqa: E402
from bench.hashes_bench import ANCHORS, ASSETS, QUERIES, HashFigures, hash_figures  # noqa: E402
from bench.ingest import percentile  # noqa: E402
from dam_dev.devs3 import DevS3  # noqa: E402

ADMIN_URL = os.environ.get("DAM_BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
CACHE = ROOT / ".dev" / "bench"  # the ingest's photos, shared with `make bench`
BARE_CALLS = {
    "ocr": "Reader.read",
    "objects": "Detector.detect",
    "scenes": "Classifier.classify",
    "similar": "dhash",
}


def _print_steps(figures: StepFigures) -> None:
    width, height = (median(s[i] for s in figures.sizes) for i in (0, 1))
    kib = median(figures.preview_bytes) / 1024
    size = f"median {width:.0f}x{height:.0f}, {kib:.0f} KiB"
    print(f"\n## Enrichment steps on {len(figures.sizes)} pictures: their 1280 px WebP previews ({size}),")
    print(f"   medians of {ROUNDS} passes, the cases alternating")
    print("ours: run_queue on the enrich queue: read the picture from SeaweedFS (ocr the preview, the")
    print("  others the 320 px thumbnail), decode, the model in the")
    print("  Models tool's thread at nice 19, the finish transaction")
    print("  (its CPU: this process's, the PostgreSQL backends' and SeaweedFS's)")
    print("bare: the model's own call on the same pictures decoded once, in a thread at nice 19")
    print(f"{'kind':<9}{'case':<26}{'images/s':>9}{'CPU ms/image':>14}{'per core':>10}   CPU by process (ms)")
    for kind in KINDS:
        ours, bare = figures.cases[kind]["ours"], figures.cases[kind]["bare"]
        parts = " + ".join(f"{ours.part(p) * 1000:.1f}" for p in ours.passes[0].cpu)
        for label, case in (("ours", ours), (f"bare {BARE_CALLS[kind]}", bare)):
            print(f"{kind if case is ours else '':<9}{label:<26}{1 / case.wall:9.2f}{case.cpu * 1000:14.1f}"
                  f"{1 / case.cpu:10.2f}   {parts if case is ours else ''}")  # fmt: skip
        print(f"{'':<9}ratio ours/bare: CPU {ours.cpu / bare.cpu:.2f}x, wall {ours.wall / bare.wall:.2f}x"
              f"   (target <= 1.25x)")  # fmt: skip
    decode = figures.decode.cpu * 1000
    print(f"decoding a preview alone (open, load, RGB): {decode:.1f} ms CPU per picture")
    print("(images/s: wall time, one picture at a time; per core: pictures per CPU second of every process)")


def _print_memory(figures: dict[str, int]) -> None:
    print("\n## Peak resident memory of an enrich worker: a fresh process with `dam worker`'s imports, then")
    print("   every kind's model loaded through the Models tool and run on every preview")
    print(f"before loading any model  {figures['before_kib'] / 1024:7.0f} MiB")
    print(f"peak (VmHWM)              {figures['peak_kib'] / 1024:7.0f} MiB")
    print(f"resident after            {figures['after_kib'] / 1024:7.0f} MiB")


def _print_hashes(figures: HashFigures) -> None:
    with_some = sum(1 for n in figures.found if n)
    print(f"\n## Near-duplicate lookup among {ASSETS:,} hashed assets of one workspace (dam_bench_hashes_1m, "
          f"{figures.size}, made once in {figures.built_seconds:.0f} s)")  # fmt: skip
    compared = len(figures.ms["brute"])
    print(f"{ANCHORS} anchors ({with_some} with near-duplicates within 10 bits); every other one "
          f"({compared}) also through the brute force, in turn, the answers checked to agree")  # fmt: skip
    names = {
        "similar": "similar() (quarter lookup, as the service runs it)",
        "brute": "brute force: bit_count over every hash",
    }
    print(f"{'query':<58}{'p50':>8}{'p95':>8}{'p99':>8}  ms")
    for query in QUERIES:
        ms = figures.ms[query]
        target = "   (target p95 <= 50 ms)" if query == "similar" else ""
        p50, p95, p99 = (percentile(ms, q) for q in (0.5, 0.95, 0.99))
        print(f"{names[query]:<58}{p50:8.1f}{p95:8.1f}{p99:8.1f}{target}")
    ratio = figures.p("similar", 0.95) / figures.p("brute", 0.95)
    print(f"similar() / brute force, p95: {ratio:.2f}x")


def _print_speech(figures: SpeechFigures) -> None:
    audio = figures.audio_seconds
    print(
        f"\n## Speech: {audio:.0f} s said by espeak-ng ({figures.words} words), AAC in an M4A, Whisper base"
    )
    print("step: decode the file to 16 kHz mono, then transcribe; bare: transcribe the samples decoded once")
    print("(one thread at nice 19, CTranslate2 int8 on one core; medians of the passes)")
    for label, wall, cpu in (
        ("step", figures.step_wall, figures.step_cpu),
        ("bare", figures.bare_wall, figures.bare_cpu),
    ):
        hours = audio / cpu
        print(f"{label}: {wall:6.1f} s wall ({wall / audio:.2f}x real time), {cpu:6.1f} CPU s:"
              f" {hours:.2f} hours of audio per core-hour")  # fmt: skip
    print(f"ratio step/bare: CPU {figures.step_cpu / figures.bare_cpu:.2f}x")
    print(f"heard (first 120 characters): {figures.heard[:120]!r}")


def _print_busy(figures: LatencyFigures) -> None:
    quiet, busy = [s * 1000 for s in figures.quiet], [s * 1000 for s in figures.busy]
    worker = figures.worker
    print("\n## complete -> ready of small JPEGs (640x480, one at a time), an enrich worker busy beside")
    print(f"   the media worker or stopped, in {BLOCKS} blocks in turn (busy, quiet, quiet, busy...)")
    cases = (("quiet", "the enrich worker stopped", quiet), ("busy", "the enrich worker working", busy))
    for case, label, ms in cases:
        p50, p99 = percentile(ms, 0.5), percentile(ms, 0.99)
        queued, ran = median(figures.queued[case]), median(figures.ran[case])
        print(f"{case}: {label:<26} {len(ms):3} images  p50 {p50:5.0f} ms, p99 {p99:5.0f} ms "
              f"(job queued p50 {queued:.0f} ms, run p50 {ran:.0f} ms)")  # fmt: skip
    ratio = percentile(busy, 0.5) / percentile(quiet, 0.5)
    print(f"p50 busy / quiet: {ratio:.2f}x   (target <= 1.10x)")
    share = worker.cpu_seconds / worker.seconds
    done = worker.done_after - worker.done_before
    cpu = f"{worker.cpu_seconds:.0f} CPU s in its busy blocks' {worker.seconds:.0f} s ({share:.0%} of a core)"
    print(f"  the enrich worker: {cpu}, {done} enrichment steps done;")
    peak = worker.peak_kib / 1024
    print(f"  {worker.waiting_after} still waiting at the end; its peak resident memory {peak:.0f} MiB")
    ingest = figures.ingest
    print(f"  the ingest that queued its work: {ingest.assets} photos in {ingest.seconds:.1f} s "
          f"({ingest.per_second:.2f} assets/s) with the enrich worker running")  # fmt: skip


def _load() -> None:
    """The load average as a part ends: the machine is shared, and its load moves the figures."""
    one, five, fifteen = os.getloadavg()
    print(f"(load average as this part ends: {one:.1f}, {five:.1f}, {fifteen:.1f})", flush=True)


def main() -> None:
    """Run everything and print the figures."""
    print(f"# DAM enrichment benchmarks, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}", flush=True)  # fmt: skip
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="dam-bench-enrich-"))
    store = DevS3(tmp / "s3", access_key="bench", secret_key="bench-secret")
    done = False
    try:
        store.start()
        steps = step_figures(store, tmp, ADMIN_URL)
        _print_steps(steps)
        _load()
        _print_memory(peak_rss(steps.previews))
        _print_hashes(hash_figures())
        _load()
        _print_speech(speech_figures(tmp))
        _load()
        sys.stdout.flush()
        _print_busy(latency_figures(store, tmp, ADMIN_URL, CACHE))
        _load()
        done = True
    finally:
        store.stop()
        if done:
            shutil.rmtree(tmp, ignore_errors=True)  # SeaweedFS's data, the previews and the logs
        else:
            print(f"\n(the services' logs are kept in {tmp})", file=sys.stderr)
    print(f"\n(the whole run took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
