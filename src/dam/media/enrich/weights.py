"""Model weights: where each file lies inside its package, and the sha256 it must have.

Every weight file the service loads is listed here with the sha256 of the file as released; a file
whose bytes differ (a tampered or swapped package, a partial install) is refused before any model
reads it: the step fails with a message naming the file, and the model never runs.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import msgspec

from dam.domain.errors import MediaRejected

_CHUNK = 1024 * 1024


class Weight(msgspec.Struct, frozen=True, kw_only=True):
    """One weight file: the package that ships it, its path inside, its sha256."""

    package: str
    path: str
    sha256: str


class WeightError(MediaRejected):
    """A weight file is missing or is not the file the service was released with."""


# rapidocr 3.10.0 (Apache-2.0): PP-OCRv6 small detection and recognition, PP-OCR v2 orientation.
OCR_DETECT = Weight(
    package="rapidocr",
    path="models/PP-OCRv6_det_small.onnx",
    sha256="090f04abcd9d9a7498bc4ebf677e4cb9bdce1fe4197ddb7e529f1ef44e1ff94f",
)
OCR_RECOGNISE = Weight(
    package="rapidocr",
    path="models/PP-OCRv6_rec_small.onnx",
    sha256="6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884",
)
OCR_ORIENT = Weight(
    package="rapidocr",
    path="models/ch_ppocr_mobile_v2.0_cls_mobile.onnx",
    sha256="e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c",
)


def package_dir(package: str) -> Path:
    """Where an installed package lies, found without importing it (some run code on import)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise WeightError(f"the package {package} that ships the model is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def sha256_of(path: Path) -> str:
    """The sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verified(weight: Weight, root: Path | None = None) -> Path:
    """The weight file's path once its bytes are checked; WeightError when it is missing or differs."""
    path = (root or package_dir(weight.package)) / weight.path
    if not path.is_file():
        raise WeightError(f"model file {weight.package}/{weight.path} is missing: reinstall {weight.package}")
    found = sha256_of(path)
    if found != weight.sha256:
        raise WeightError(
            f"model file {weight.package}/{weight.path} has sha256 {found}, not the released"
            f" {weight.sha256}: refused (reinstall {weight.package} from the lock)"
        )
    return path
