"""The ``dam`` command: run the stack, serve the API, migrate, start the development S3 store."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from dam.devs3 import DevS3
from dam.settings import Settings, SettingsError, load_settings

log = logging.getLogger("dam")

DEV_S3_PORTS = {"s3": 8333, "master": 9333, "volume": 9340, "filer": 8888, "admin": 23646}
DEV_DIR = Path(".dev")


def _settings() -> Settings:
    try:
        return load_settings(os.environ)
    except SettingsError as exc:
        raise SystemExit(f"configuration error: {exc}") from None


def cmd_migrate(args: argparse.Namespace) -> None:
    """Create the database if missing and apply every migration."""
    from dam.db.migrate import migrate

    settings = _settings()
    migrate(settings.db.url)
    log.info("database schema is up to date")


def cmd_api(args: argparse.Namespace) -> None:
    """Serve the API with uvicorn."""
    import uvicorn

    from dam.api.app import create_app

    settings = _settings()
    log.info("API on http://%s:%d (docs at /docs)", settings.server.host, settings.server.port)
    uvicorn.run(
        create_app(settings), host=settings.server.host, port=settings.server.port, log_level=args.log_level
    )


def start_dev_s3(settings: Settings) -> DevS3:
    """Start SeaweedFS on the development ports with its data under ``.dev/``."""
    store = DevS3(
        DEV_DIR / "seaweedfs",
        access_key=settings.s3.access_key,
        secret_key=settings.s3.secret_key,
        ports=DEV_S3_PORTS,
    )
    endpoint = store.start()
    log.info("development S3 (SeaweedFS) on %s, data in %s", endpoint, store.data_dir)
    return store


def cmd_dev_s3(args: argparse.Namespace) -> None:
    """Run the development S3 store in the foreground."""
    import time

    store = start_dev_s3(_settings())
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        store.stop()


def cmd_run(args: argparse.Namespace) -> None:
    """Migrate, start the development S3 store unless DAM_S3_ENDPOINT_URL is set, serve the API."""
    store: DevS3 | None = None
    if not os.environ.get("DAM_S3_ENDPOINT_URL"):
        store = start_dev_s3(_settings())
    try:
        cmd_migrate(args)
        cmd_api(args)
    finally:
        if store is not None:
            store.stop()
            log.info("development S3 stopped")


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(prog="dam", description=__doc__)
    parser.add_argument("--log-level", default=os.environ.get("DAM_LOG_LEVEL", "info").lower())
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func in (
        ("run", cmd_run),
        ("api", cmd_api),
        ("migrate", cmd_migrate),
        ("dev-s3", cmd_dev_s3),
    ):
        sub.add_parser(name, help=(func.__doc__ or "").strip()).set_defaults(func=func)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``dam`` console script."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    args.func(args)


if __name__ == "__main__":
    main()
