"""Where the project's folders are: the checkout (editable install) or the image's working directory."""

from __future__ import annotations

from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]


def project_dir(name: str, marker: str) -> Path:
    """The folder ``name`` holding ``marker``, next to the package or in the working directory."""
    for base in (_ROOT, Path.cwd()):
        if (base / name / marker).exists():
            return base / name
    raise RuntimeError(f"cannot find the {name}/ folder; run from the project's directory")
