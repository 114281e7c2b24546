"""The ``dam`` command: run the stack, serve the API, run workers and the event bridge, migrate."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dam import logs, startup
from dam.domain.steps import ENRICH_KINDS, QUEUES, Queue
from dam.settings import Settings, SettingsError, check_production, load_settings

if TYPE_CHECKING:
    from dam_dev.devs3 import DevS3  # development only (see start_dev_s3)

log = logging.getLogger("dam")

DEV_S3_PORTS = {"s3": 8333, "master": 9333, "volume": 9340, "filer": 8888, "admin": 23646}
DEV_DIR = Path(".dev")
FIRST_ADMIN = DEV_DIR / "first-admin.txt"  # the first admin's password on a new database (`dam run`)


def _settings(*, serving: str | None = None) -> Settings:
    """The settings of ``DAM_*``; for a serving process (``"api"``, ``"worker"``), checked for what
    must not reach production."""
    try:
        settings = load_settings(os.environ)
        if serving is not None:
            check_production(settings, api=serving == "api")
    except SettingsError as exc:
        raise SystemExit(f"configuration error: {exc}") from None
    return settings


def cmd_migrate(args: argparse.Namespace) -> None:
    """Create the database if missing and apply every migration."""
    from dam.db.migrate import migrate

    migrate(_settings().db.url)
    log.info("database schema is up to date")


def cmd_setup_store(args: argparse.Namespace) -> None:
    """Create the bucket if missing and apply its browser CORS rules (once per deployment; idempotent)."""
    set_up_store(_settings())


def set_up_store(settings: Settings) -> None:
    """``dam setup-store``'s work; a store that does not answer ends the command with the reason."""
    from dam.domain.errors import StorageUnavailable

    try:
        asyncio.run(startup.setup_store(settings))
    except StorageUnavailable as exc:
        raise SystemExit(f"dam setup-store: {exc.detail} ({settings.s3.endpoint_url})") from None
    log.info("bucket %s on %s is set up", settings.s3.bucket, settings.s3.endpoint_url)


def cmd_api(args: argparse.Namespace) -> None:
    """Serve the API with uvicorn."""
    import uvicorn

    from dam.api.app import create_app

    settings = _settings(serving="api")
    log.info("API on http://%s:%d (docs at /docs)", settings.server.host, settings.server.port)
    # No uvicorn access log: it prints paths, and paths carry share, upload and stream tokens. The
    # API logs its own request line by route template (dam.api.requestlog).
    # No logging config of uvicorn's own either: its lines go through this process's one handler.
    uvicorn.run(
        create_app(settings), host=settings.server.host, port=settings.server.port,
        log_config=None, log_level=logging.getLogger().level, access_log=False,
        # uvicorn believes X-Forwarded-For/-Proto from the same peers as the service does (its own
        # default, FORWARDED_ALLOW_IPS or loopback, would be a second list to keep in step).
        forwarded_allow_ips=list(settings.server.trusted_proxies),
    )  # fmt: skip


def cmd_worker(args: argparse.Namespace) -> None:
    """Run an arq worker for one queue's steps (the media worker also runs the reconciler)."""
    from workers.main import build_worker

    from dam import governor

    settings = _settings(serving="worker")
    if args.queue == Queue.ENRICH and settings.enrich.yield_to_media and not governor.governed():
        # The worker runs as a child, stopped while ingest has work (dam.governor).
        raise SystemExit(governor.govern(governor.worker_argv(), settings))
    build_worker(settings, args.queue).run()


def cmd_bridge(args: argparse.Namespace) -> None:
    """Turn MinIO notifications on the Redis list into processing jobs."""
    from dam.events.service import run_bridge

    asyncio.run(run_bridge(_settings()))


def start_dev_s3(
    settings: Settings, data_dir: Path = DEV_DIR / "seaweedfs", *, any_ports: bool = False
) -> DevS3:
    """Start SeaweedFS with its data under ``.dev/``: on the development ports, or free ones."""
    try:  # development code: a checkout's `make install` provides it; the wheel and the image do not
        from dam_dev.devs3 import DevS3
    except ImportError:
        raise SystemExit(
            "the development S3 store needs the dam-dev tools of a checkout (`make install`); "
            "or set DAM_S3_ENDPOINT_URL to a running S3 store"
        ) from None

    store = DevS3(
        data_dir,
        access_key=settings.s3.access_key,
        secret_key=settings.s3.secret_key,
        ports=None if any_ports else DEV_S3_PORTS,
    )
    endpoint = store.start()
    log.info("development S3 (SeaweedFS) on %s, data in %s", endpoint, store.data_dir)
    return store


def cmd_dev_s3(args: argparse.Namespace) -> None:
    """Run the development S3 store in the foreground."""
    store = start_dev_s3(_settings())
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    finally:
        store.stop()


def _pump(name: str, stream: object, json_lines: bool) -> None:
    """Copy a child's lines to our stdout: prefixed with its name, or, in JSON, as they are (the
    process is a field of each); a line that is not JSON (a crash's traceback) is wrapped in one."""
    width = 6
    for raw in iter(stream.readline, b""):  # type: ignore[attr-defined]
        line = raw.decode(errors="replace").rstrip("\n")
        if not json_lines:
            out = f"{name:<{width}}| {logs.redact(line)}"
        elif line.startswith("{") and line.endswith("}"):
            out = logs.redact(line)
        else:
            out = logs.json_line(line, process=name)
        sys.stdout.write(out + "\n")
        sys.stdout.flush()


def stack_commands() -> dict[str, list[str]]:
    """What ``dam run`` starts, by log prefix: the API, a worker for every queue, the bridge."""
    commands = {"api": ["api"]}
    for queue in QUEUES:
        name = "worker" if queue == Queue.MEDIA else queue[:6]
        commands[name] = ["worker", "--queue", queue]
    commands["bridge"] = ["bridge"]
    return commands


def _start(
    name: str, command: list[str], env: dict[str, str], log_level: str | None, json_lines: bool
) -> subprocess.Popen[bytes]:
    level = ["--log-level", log_level] if log_level else []  # else DAM_LOG_LEVEL, as ours
    proc = subprocess.Popen(
        [sys.executable, "-m", "dam.cli", *level, *command],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C reaches children once, through us
    )  # fmt: skip
    threading.Thread(target=_pump, args=(name, proc.stdout, json_lines), daemon=True).start()
    return proc


def _stop_all(children: list[subprocess.Popen[bytes]], grace: float) -> None:
    for proc in children:
        proc.send_signal(signal.SIGINT)
    for proc in children:
        try:
            proc.wait(timeout=max(20.0, grace + 10))  # workers may let steps run for their grace
        except subprocess.TimeoutExpired:
            proc.kill()


def write_secret(path: Path, secret: str) -> None:
    """Write ``secret`` to ``path``, readable and writable by its owner only (replacing the file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # a file that was there before keeps its mode otherwise
    with os.fdopen(fd, "w") as out:
        out.write(secret + "\n")


def dev_stream_secret(path: Path) -> str:
    """The development stack's stream key: random, made on first use, readable by its owner only."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def cmd_run(args: argparse.Namespace) -> None:
    """Start the dev S3 store unless DAM_S3_ENDPOINT_URL is set, migrate, set up the store, then
    start the API, workers and bridge."""
    settings = _settings()
    store: DevS3 | None = None
    env = dict(os.environ)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    # A development stack: the development defaults are allowed, and stream tokens are signed with
    # a random key of this checkout's own (made once, kept under .dev/).
    env.setdefault("DAM_DEV", "true")
    if not env.get("DAM_STREAM_SECRET"):
        env["DAM_STREAM_SECRET"] = dev_stream_secret(DEV_DIR / "stream-secret")
    if not os.environ.get("DAM_S3_ENDPOINT_URL"):
        store = start_dev_s3(settings, Path(args.dev_dir), any_ports=args.any_ports)
        env["DAM_S3_ENDPOINT_URL"] = store.endpoint_url
    children: dict[str, subprocess.Popen[bytes]] = {}
    try:
        cmd_migrate(args)
        set_up_store(load_settings(env))  # the store's endpoint is in env
        from dam.admin import DEV_ADMIN, bootstrap

        password = asyncio.run(bootstrap(settings))
        for name, command in stack_commands().items():
            children[name] = _start(name, command, env, args.log_level, settings.log.format == "json")
        base = f"http://{settings.server.host}:{settings.server.port}"
        _announce(
            settings, f"DAM is running: {base}/  (the web app; /docs the API's documentation; Ctrl-C stops)"
        )
        if password is not None:
            write_secret(FIRST_ADMIN, password)
            _announce(
                settings,
                f"A new database: sign in at {base}/ as {DEV_ADMIN} with the password in {FIRST_ADMIN}\n"
                f"  (readable by you only; `dam admin create-user` adds users, `dam admin create-key` keys)",
            )
        else:
            _announce(settings, "Sign in with your account (`dam admin create-user` adds one).")
        while not stop.wait(1.0):
            for name, proc in children.items():
                if proc.poll() is not None:
                    log.error("%s exited with %s; stopping the others", name, proc.returncode)
                    stop.set()
    finally:
        log.info("stopping...")
        _stop_all(list(children.values()), settings.worker.shutdown_grace)
        if store is not None:
            store.stop()
            log.info("development S3 stopped")


def _announce(settings: Settings, text: str) -> None:
    """What ``dam run`` tells the person who started it: on the terminal, or a JSON log line."""
    if settings.log.format == "json":
        log.info(text.replace("\n ", ""))
    else:
        print(f"\n  {text}\n" if "\n" in text else f"\n  {text}")


def cmd_harness(args: argparse.Namespace) -> None:
    """Validate a running deployment with the steps of harness.yaml."""
    from dam.harness.runner import run
    from dam.harness.spec import load_spec

    raise SystemExit(run(load_spec(Path(args.file)), base_url=args.base_url, api_key=args.api_key))


def cmd_upload(args: argparse.Namespace) -> None:
    """Upload files and folders straight to storage (resumable)."""
    from dam.client.upload import main as upload_main

    logging.getLogger("httpx").setLevel(logging.WARNING)  # progress bars and the table say enough
    raise SystemExit(upload_main(args))


def cmd_enrich(args: argparse.Namespace) -> None:
    """Run a kind of enrichment again for every ready asset (after a model upgrade), a page at a
    time, with progress; the enrich queue's workers do the work."""
    from dam.admin import rerun_enrichment
    from dam.domain.errors import DamError

    settings = _settings()

    def progress(done: int) -> None:
        print(f"queued {done} asset(s) for {args.rerun}", flush=True)

    try:
        done = asyncio.run(rerun_enrichment(settings, args.rerun, args.workspace, args.limit, progress))
    except DamError as exc:
        raise SystemExit(f"dam enrich: {exc.detail}") from None
    print(f"dam enrich: {done} asset(s) queued for {args.rerun}; the enrich queue's workers run them")


def cmd_admin(args: argparse.Namespace) -> None:
    """Create users and API keys (the first admin of a deployment, keys for scripts), link accounts
    to single sign-on identities."""
    from urllib.parse import urlsplit

    import asyncpg

    from dam.admin import create_key, create_user, link_identity
    from dam.domain.access import Role
    from dam.domain.errors import DamError

    settings = _settings()
    try:
        if args.action == "create-user":
            password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else None
            user_id, drawn = asyncio.run(
                create_user(
                    settings, args.email, password, args.workspace, Role(args.role), operator=args.operator
                )
            )
            print(f"user {args.email} ({user_id}) is {args.role} of workspace {args.workspace}")
            if drawn is not None:
                print(f"password (shown this once): {drawn}")
        elif args.action == "link-identity":
            issuer = args.issuer or settings.oidc.issuer
            if not issuer:
                raise SystemExit("dam admin link-identity: --issuer is needed (DAM_OIDC_ISSUER is not set)")
            user_id, made = asyncio.run(link_identity(settings, args.email, issuer, args.subject))
            state = "is now linked" if made else "was already linked"
            print(f"user {args.email} ({user_id}) {state} to subject {args.subject!r} of {issuer}")
        else:
            key = asyncio.run(
                create_key(settings, args.workspace, Role(args.role), args.name, args.expires_in)
            )
            print(
                f"API key ({args.role} of workspace {args.workspace}; shown this once; send it as"
                " 'Authorization: Bearer <key>'):"
            )
            print(key)
    except DamError as exc:
        raise SystemExit(f"dam admin {args.action}: {exc.detail}") from None
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        missing = isinstance(exc, asyncpg.InvalidCatalogNameError | asyncpg.UndefinedTableError)
        hint = "; create and migrate it first: `dam migrate` (which `make run` does)" if missing else ""
        where = urlsplit(settings.db.url)
        raise SystemExit(
            f"dam admin {args.action}: the database {where.hostname}:{where.port or 5432}{where.path}"
            f" (DAM_DATABASE_URL) cannot be used: {exc}{hint}"
        ) from None


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(prog="dam", description=__doc__)
    parser.add_argument(
        "--log-level",
        choices=["debug", "info", "warning", "error", "critical"],
        type=str.lower,
        help="the log level of this process (default: DAM_LOG_LEVEL, else info)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    commands = {
        "run": cmd_run, "api": cmd_api, "worker": cmd_worker, "bridge": cmd_bridge,
        "migrate": cmd_migrate, "setup-store": cmd_setup_store, "dev-s3": cmd_dev_s3, "harness": cmd_harness,
        "upload": cmd_upload, "admin": cmd_admin, "enrich": cmd_enrich,
    }  # fmt: skip
    parsers = {}
    for name, func in commands.items():
        parsers[name] = sub.add_parser(name, help=(func.__doc__ or "").strip())
        parsers[name].set_defaults(func=func)
    parsers["run"].add_argument("--dev-dir", default=str(DEV_DIR / "seaweedfs"), help="development S3 data")
    parsers["run"].add_argument("--any-ports", action="store_true", help="development S3 on free ports")
    parsers["worker"].add_argument(
        "--queue", choices=list(QUEUES), default=Queue.MEDIA.value, help="the queue to serve"
    )
    parsers["harness"].add_argument(
        "--base-url", help="the deployment to check (default: the file's base_url)"
    )
    parsers["harness"].add_argument(
        "--api-key", default=os.environ.get("DAM_API_KEY"), help="an API key (default: $DAM_API_KEY)"
    )
    parsers["harness"].add_argument("file", nargs="?", default="harness.yaml")
    _admin_arguments(parsers["admin"])
    parsers["enrich"].add_argument(
        "--rerun", required=True, choices=list(ENRICH_KINDS), help="the kind to run again (e.g. ocr)"
    )
    parsers["enrich"].add_argument("--workspace", default=None, help="only this workspace's (its slug)")
    parsers["enrich"].add_argument("--limit", type=int, default=None, help="at most this many assets")
    up = parsers["upload"]
    up.add_argument("paths", nargs="+", metavar="PATH")
    up.add_argument("--recursive", "-r", action="store_true", help="descend into sub-folders")
    up.add_argument("--concurrency", "-c", type=int, default=4, help="files in flight (default 4)")
    up.add_argument(
        "--api", default=os.environ.get("DAM_API_URL", "http://127.0.0.1:8000"), help="API base URL"
    )
    up.add_argument(
        "--api-key", default=os.environ.get("DAM_API_KEY"), help="API key (default: $DAM_API_KEY)"
    )
    up.add_argument("--wait", action="store_true", help="wait until every asset is ready or failed")
    up.add_argument("--timeout", type=float, default=600, help="seconds --wait may take (default 600)")
    up.add_argument("--json", action="store_true", help="print the outcome as JSON (no progress bars)")
    return parser


def _admin_arguments(admin: argparse.ArgumentParser) -> None:
    roles = ["viewer", "contributor", "editor", "admin"]
    actions = admin.add_subparsers(dest="action", required=True)
    user = actions.add_parser("create-user", help="create a user (or update one) with a role in a workspace")
    user.add_argument("--email", required=True)
    user.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (otherwise one is drawn and printed)",
    )
    user.add_argument("--workspace", required=True, help="created when missing")
    user.add_argument("--role", required=True, choices=roles)
    user.add_argument("--operator", action="store_true", help="also the deployment-wide operator flag")
    link = actions.add_parser(
        "link-identity", help="link an existing account to a single sign-on identity (issuer + subject)"
    )
    link.add_argument("--email", required=True, help="the account's address")
    link.add_argument("--subject", required=True, help="the identity's `sub` at the provider")
    link.add_argument(
        "--issuer", default=None, help="the provider's issuer, exactly as DAM_OIDC_ISSUER (the default)"
    )
    key = actions.add_parser("create-key", help="create an API key of a workspace; the key is the last line")
    key.add_argument("--workspace", required=True, help="created when missing")
    key.add_argument("--role", required=True, choices=roles)
    key.add_argument("--name", default="cli")
    key.add_argument("--expires-in", type=float, default=None, help="seconds (default: never)")


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``dam`` console script."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(os.environ)
    except SettingsError:
        settings = Settings()  # the command itself reports the configuration error
    startup.configure(settings, process_name(args), level=args.log_level)
    try:
        args.func(args)
    except SystemExit as exc:
        if settings.log.format != "json" or not isinstance(exc.code, str):
            raise
        log.error(exc.code)  # the reason a command stops, as a JSON line like every other
        raise SystemExit(1) from None


def process_name(args: argparse.Namespace) -> str:
    """What this process is called in its log lines: api, worker:<queue>, bridge, cli:<command>."""
    if args.command == "worker":
        return startup.worker(args.queue)
    if args.command in {startup.API, startup.BRIDGE}:
        return str(args.command)
    return f"{startup.CLI}:{args.command}"


if __name__ == "__main__":
    main()
