"""Where the service's files are: the web app and the pages outside it (package data of ``dam``) and
the migrations."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]


def web_dir() -> Path:
    """The browser's files (``dam/web/``): package data, so an editable install and a wheel's alike
    find them beside the code, whatever the working directory."""
    folder = resources.files("dam") / "web"
    if not isinstance(folder, Path) or not (folder / "pages" / "share-gone.html").is_file():
        # Litestar serves files from a directory: a zipped install, or a wheel built without them, cannot.
        raise RuntimeError(f"the web files are missing from the dam package ({folder})")
    return folder


def pages_dir() -> Path:
    """The few pages served outside the web app (``dam/web/pages/``: a share link or an invitation
    that is no longer valid) and their stylesheet, at ``/static/``."""
    return web_dir() / "pages"


def app_dir() -> Path:
    """The web app's build (``dam/web/app/``, package data written by ``make app``; it may be
    missing in a checkout that has not built it)."""
    return web_dir() / "app"


def project_dir(name: str, marker: str) -> Path:
    """The folder ``name`` holding ``marker``, next to the package or in the working directory
    (``migrations/``: the checkout's, or the image's copy in its working directory)."""
    for base in (_ROOT, Path.cwd()):
        if (base / name / marker).exists():
            return base / name
    raise RuntimeError(f"cannot find the {name}/ folder; run from the project's directory")
