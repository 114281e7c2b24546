"""`make bench`: presign cost, POST /assets load, probe, image core and end-to-end ingest, each beside a
baseline measured in the same run."""

from __future__ import annotations

import asyncio
import os
import platform
import shutil
import sys
import tempfile
import time
import timeit
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

from bench.e2e import ingest_figures  # noqa: E402
from bench.ladder_bench import ladder_figures  # noqa: E402
from bench.load import LoadResult, run_load, run_sign_ins  # noqa: E402
from bench.media_bench import (  # noqa: E402
    bench_image,
    bench_probe,
    bench_tagged,
    make_dng,
    make_heic,
    make_jpeg,
    make_mp4,
    make_tagged_jpeg,
)
from bench.stack import StackFailed, drop_database, make_key, serve, set_up_store  # noqa: E402
from dam.db.migrate import ensure_database, upgrade  # noqa: E402
from dam.domain import stream_access  # noqa: E402
from dam.domain import streaming as st  # noqa: E402
from dam.storage.sigv4 import SigV4Presigner  # noqa: E402
from dam_dev.devs3 import DevS3, free_ports  # noqa: E402

ADMIN_URL = os.environ.get("DAM_BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
LOAD_SECONDS = float(os.environ.get("DAM_BENCH_SECONDS", "5"))
BODY = b'{"filename": "photo.jpg", "content_type": "image/jpeg", "size": 123456}'
# Generated media, made once and kept between runs (git-ignored, so absent in a fresh clone).
CACHE = ROOT / ".dev" / "bench"


def bench_presign(iterations: int = 5000) -> tuple[float, float]:
    """µs per presigned PUT URL: ours, and botocore's generate_presigned_url."""
    endpoint = "http://127.0.0.1:9000"
    ours = SigV4Presigner(endpoint_url=endpoint, region="us-east-1", access_key="AK", secret_key="SK")
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="AK",
        aws_secret_access_key="SK",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    key = "originals/0b7f3c1e-6a52-4f0e-9d7b-3c8e2f1a9b44/holiday photo.jpg"

    def mine() -> str:
        return ours.presign("PUT", "dam", key, expires=900, headers={"Content-Type": "image/jpeg"})

    def theirs() -> str:
        return str(
            client.generate_presigned_url(
                "put_object", Params={"Bucket": "dam", "Key": key, "ContentType": "image/jpeg"}, ExpiresIn=900
            )
        )

    for fn in (mine, theirs):
        fn()
    ours_us = min(timeit.repeat(mine, number=iterations, repeat=3)) / iterations * 1e6
    boto_us = min(timeit.repeat(theirs, number=iterations // 5, repeat=3)) / (iterations // 5) * 1e6
    return ours_us, boto_us


SIGN_INS = 10  # sign-ins kept in flight beside the load, in the run that measures their effect
BENCH_USER = "bench@dam.localhost"
BENCH_PASSWORD = "a bench password of some length"


# The runs each app gets: (label, path, body, connections); a GET when the body is empty.
RUNS = (("POST /assets", "/assets", BODY, 1), ("POST /assets", "/assets", BODY, 64))
Runs = dict[tuple[str, int], LoadResult]


def load(
    pool: ProcessPoolExecutor, port: int, path: str, body: bytes, concurrency: int, key: str
) -> LoadResult:
    """One bounded load run in a separate process (after a short warm-up), sending the API key."""
    auth = {"Authorization": f"Bearer {key}"}
    pool.submit(run_load, "127.0.0.1", port, path, body, concurrency, 1.0, auth).result()
    return pool.submit(run_load, "127.0.0.1", port, path, body, concurrency, LOAD_SECONDS, auth).result()


def load_all(pool: ProcessPoolExecutor, port: int, key: str, asset_id: str) -> Runs:
    """Every run of ``RUNS``, then ``GET /assets/{id}`` of one asset at 64 connections."""
    runs = {(label, conns): load(pool, port, path, body, conns, key) for label, path, body, conns in RUNS}
    runs[("GET /assets/{id}", 64)] = load(pool, port, f"/assets/{asset_id}", b"", 64, key)
    return runs


def an_asset(port: int, key: str) -> str:
    """One asset made through an app, for the GET runs."""
    import httpx

    answer = httpx.post(
        f"http://127.0.0.1:{port}/assets", content=BODY, timeout=30,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )  # fmt: skip
    if answer.status_code != 201:
        raise StackFailed(f"POST /assets answered {answer.status_code}: {answer.text[:300]}")
    return str(answer.json()["id"])


def load_while_signing_in(pool: ProcessPoolExecutor, port: int, key: str) -> tuple[LoadResult, list[int]]:
    """64 connections of POST /assets while ``SIGN_INS`` sign-ins (argon2id in the API's threads)
    are in flight the whole time, from another process."""
    auth = {"Authorization": f"Bearer {key}"}
    url = f"http://127.0.0.1:{port}"
    logins = pool.submit(run_sign_ins, url, BENCH_USER, BENCH_PASSWORD, SIGN_INS, LOAD_SECONDS + 1.0)
    posts = pool.submit(run_load, "127.0.0.1", port, "/assets", BODY, 64, LOAD_SECONDS, auth)
    return posts.result(), logins.result()


def make_user(env: dict[str, str]) -> None:
    """The user whose sign-ins run beside the load."""
    import subprocess

    made = subprocess.run(
        [sys.executable, "-m", "dam.cli", "--log-level", "warning", "admin", "create-user", "--email",
         BENCH_USER, "--password-stdin", "--workspace", "bench", "--role", "viewer"],
        input=BENCH_PASSWORD + "\n", env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    if made.returncode != 0:
        raise StackFailed(f"dam admin create-user failed: {made.stderr.strip()[-500:]}")


def main() -> None:
    """Run everything and print the figures."""
    print(f"# DAM benchmarks, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}")  # fmt: skip
    ours_us, boto_us = bench_presign()
    print("\n## Presigned PUT URL (µs per URL, lower is better)")
    print(f"our SigV4 signer       {ours_us:8.1f}")
    print(f"botocore presign       {boto_us:8.1f}")
    print(f"speed-up               {boto_us / ours_us:8.1f}x   (target >= 15x)")

    db_url = ADMIN_URL.rsplit("/", 1)[0] + f"/dam_bench_{os.getpid()}"
    asyncio.run(ensure_database(db_url))
    upgrade(db_url)
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="dam-bench-"))
    store = DevS3(tmp / "s3", access_key="bench", secret_key="bench-secret")
    ours_port, floor_port = free_ports(2)
    env = {
        **os.environ, "DAM_DATABASE_URL": db_url, "DAM_S3_ENDPOINT_URL": store.endpoint_url,
        "DAM_S3_ACCESS_KEY": "bench", "DAM_S3_SECRET_KEY": "bench-secret", "DAM_S3_BUCKET": "bench",
        "DAM_LOG_LEVEL": "warning", "DAM_DEV": "true",
        # One user's SIGN_INS concurrent sign-ins are each reserved before their check: let them all in.
        "DAM_LOGIN_MAX_FAILURES": "1000",
    }  # fmt: skip
    results: dict[str, Runs] = {}
    done = False
    try:
        store.start()
        set_up_store(env)  # before the floor app and the API, as a deployment does
        key = make_key(env)
        make_user(env)
        with ProcessPoolExecutor(max_workers=2) as pool:
            uvicorn = [sys.executable, "-m", "uvicorn", "--log-level", "warning", "--no-access-log"]
            floor = [*uvicorn, "bench.floor_app:app", "--port", str(floor_port)]
            with serve(floor, env, f"http://127.0.0.1:{floor_port}/schema", tmp / "floor.log"):
                asset_id = an_asset(floor_port, key)
                results["floor app"] = load_all(pool, floor_port, key, asset_id)
                bare_redirect = load(pool, floor_port, f"/redirect/{asset_id}/{SEGMENT}", b"", 64, key)
            ours = [sys.executable, "-m", "dam.cli", "--log-level", "warning", "api"]
            with serve(ours, {**env, "DAM_PORT": str(ours_port)}, f"http://127.0.0.1:{ours_port}/health",
                       tmp / "api.log"):  # fmt: skip
                results["our API"] = load_all(pool, ours_port, key, asset_id)
                redirect = load(pool, ours_port, stream_path(asset_id), b"", 64, key)
                quiet = load(pool, ours_port, "/assets", BODY, 64, key)  # just before, for the ratio
                signing_in = load_while_signing_in(pool, ours_port, key)
        _report(results)
        _report_redirects(redirect, bare_redirect)
        _report_sign_ins(quiet, *signing_in)
        ladder_figures(CACHE)
        _media(store, tmp)
        ingest_figures(store, tmp, ADMIN_URL, CACHE)
        done = True
    finally:
        store.stop()
        drop_database(ADMIN_URL, db_url)
        if done:
            shutil.rmtree(tmp, ignore_errors=True)  # SeaweedFS's data (photos, video, renditions) and logs
        else:
            print(f"\n(the services' logs are kept in {tmp})", file=sys.stderr)


# A media segment of the stream's delivery path: token check, path check, presign, 302.
SEGMENT = f"stream/{st.recipe(st.DEFAULT_LADDER)}/v720/seg_00001.m4s"


def stream_path(asset_id: str) -> str:
    """The delivery path of a segment, with a valid token for the bench API's secret."""
    secret = stream_access.secret_of("", "bench-secret")
    token = stream_access.issue(secret, uuid.UUID(asset_id), "-", int(time.time()) + 3600)
    return f"/stream/{token}/{asset_id}/{SEGMENT.removeprefix('stream/')}"


def _report_redirects(ours: LoadResult, bare: LoadResult) -> None:
    print("\n## Stream delivery: GET of a segment answered 302 to a presigned URL (64 conns)")
    print(f"ours (token HMAC, path check, presign)  {ours.rps:8.0f} req/s, p99 {ours.p99_ms:.2f} ms, "
          f"{ours.errors} errors")  # fmt: skip
    print(f"bare Litestar endpoint (presign, 302)   {bare.rps:8.0f} req/s, p99 {bare.p99_ms:.2f} ms")
    print(f"ratio                                   {ours.rps / bare.rps:8.2f}x   (target >= 0.5x)")


def _report(results: dict[str, Runs]) -> None:
    print(f"\n## API routes with an API key ({LOAD_SECONDS:g} s per run, keep-alive, PostgreSQL)")
    columns = ("conns", "req/s", "p50 ms", "p99 ms", "p99/p50", "errors")
    print(f"{'app':<10}{'route':<18}" + "".join(f"{c:>9}" for c in columns))
    for name, runs in results.items():
        for (route, conns), r in runs.items():
            ratio = r.p99_ms / r.p50_ms if r.p50_ms else 0
            print(
                f"{name:<10}{route:<18}{conns:>9}{r.rps:>9.0f}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}{ratio:>9.2f}"
                f"{r.errors:>9}"
            )
    for run in results["our API"]:
        ours, floor = results["our API"][run], results["floor app"][run]
        print(
            f"our API / floor, {run[0]} at {run[1]:>2} conns: throughput {ours.rps / floor.rps:.2f}x,"
            f" latency p50 {ours.p50_ms / floor.p50_ms:.2f}x, p99 {ours.p99_ms / floor.p99_ms:.2f}x"
            + ("   (target <= 1.15x latency)" if run[1] == 64 else "")
        )


def _report_sign_ins(quiet: LoadResult, busy: LoadResult, statuses: list[int]) -> None:
    ok = sum(1 for s in statuses if s == 200)
    print(f"\n## POST /assets at 64 conns with {SIGN_INS} sign-ins in flight (argon2id, in threads)")
    print(f"sign-ins: {ok} succeeded, {len(statuses) - ok} not ({sorted(set(statuses))})")
    print(f"p50 {busy.p50_ms:.2f} ms, p99 {busy.p99_ms:.2f} ms, {busy.rps:.0f} req/s, {busy.errors} errors")
    print(f"p99 / p99 without sign-ins: {busy.p99_ms / quiet.p99_ms:.2f}x   (target <= 1.5x)")


def _media(store: DevS3, tmp: Path) -> None:
    client = boto3.client(
        "s3",
        endpoint_url=store.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=store.access_key,
        aws_secret_access_key=store.secret_key,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    client.create_bucket(Bucket="media")
    video = make_mp4(CACHE / "1080p-100MB.mp4")
    client.upload_file(str(video), "media", "video.mp4")
    signer = SigV4Presigner(
        endpoint_url=store.endpoint_url,
        region="us-east-1",
        access_key=store.access_key,
        secret_key=store.secret_key,
    )
    figures = bench_probe(signer.presign("GET", "media", "video.mp4", expires=3600), video.stat().st_size)
    share = figures["bytes_read"] / figures["size"] * 100
    print(f"\n## Probe of a 1080p MP4 of {figures['size'] / 2**20:.0f} MiB in storage (median of 7)")
    read_kib = figures["bytes_read"] / 2**10
    ratio = figures["ours_ms"] / figures["bare_ms"]
    print(f"our probe (ranged reads, locked down) {figures['ours_ms']:8.1f} ms, read {read_kib:.0f} KiB")
    print(f"  = {share:.2f}% of the file   (target <= 1%)")
    print(f"bare PyAV open+close of the same URL  {figures['bare_ms']:8.1f} ms")
    print(f"ratio                                 {ratio:8.2f}x   (target <= 1.3x)")
    photo = make_jpeg(CACHE / "4000x3000.jpg")
    image = bench_image(photo)
    ours, bare = image["ours"], image["bare"]
    print(
        "\n## Image job core: preview (1280) + thumbnail (320), upright, from a 4000x3000 JPEG"
        " (medians of 5 runs in each of 3 processes)"
    )
    _print_image("bare Pillow thumbnail()", ours, bare)
    _formats(photo)


def _print_image(bare_name: str, ours: dict[str, float], bare: dict[str, float]) -> None:
    """Our pixel work beside the bare call: CPU time (wall time beside it) and peak memory."""
    for name, case in (("ours", ours), (bare_name, bare)):
        print(f"{name:<25} {case['cpu_ms']:7.1f} ms CPU ({case['ms']:.1f} ms wall), "
              f"peak +{case['peak_kib'] / 1024:6.1f} MiB")  # fmt: skip
    print(f"ratio                     {ours['cpu_ms'] / bare['cpu_ms']:7.2f}x time (target <= 1.25x), "
          f"{ours['peak_kib'] / max(1, bare['peak_kib']):.2f}x memory (target <= 1.5x)")  # fmt: skip


def _formats(photo: Path) -> None:
    for label, path, fmt, bare_name in (
        ("24 MP HEIC", make_heic(CACHE / "6000x4000.heic"), "HEIC", "pillow-heif open+thumbnail()"),
        (
            "24 MP DNG (no embedded preview)",
            make_dng(CACHE / "6000x4000.dng"),
            "DNG",
            "rawpy half-size develop",
        ),
    ):
        figures = bench_image(path, fmt)
        print(f"\n## Image job core from a {label} (medians of 5 runs in each of 3 processes)")
        _print_image(bare_name, figures["ours"], figures["bare"])
    icc = bench_tagged(make_tagged_jpeg(CACHE / "4000x3000-adobe-rgb.jpg", photo), photo)
    tagged, plain = icc["tagged"], icc["untagged"]
    print("\n## ICC conversion: the 4000x3000 JPEG with an Adobe RGB profile, converted to sRGB")
    print(f"ours, tagged              {tagged['cpu_ms']:7.1f} ms CPU ({tagged['ms']:.1f} ms wall)")
    print(f"ours, untagged            {plain['cpu_ms']:7.1f} ms CPU ({plain['ms']:.1f} ms wall)")
    print(f"ratio                     {tagged['cpu_ms'] / plain['cpu_ms']:7.2f}x   (target <= 1.15x)")


if __name__ == "__main__":
    try:
        main()
    except StackFailed as exc:
        raise SystemExit(f"\nbench failed: {exc}") from None
