"""Text in pictures with PP-OCR (rapidocr over onnxruntime): lines, their boxes and their scores.

The detection, recognition and orientation models ship inside the rapidocr wheel; their files are
checked against ``weights`` before they load, and the engine is given their paths, so it never
looks for (or downloads) anything else. One intra-op thread: more only contend on small machines.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
import numpy as np
from PIL import Image

from dam.media.enrich import weights

MODEL = "rapidocr-ppocrv6-small"
_MIN_SCORE = 0.5  # lines the recogniser is less sure of are noise more often than text


class Line(msgspec.Struct, frozen=True, kw_only=True):
    """One line of text: its words, the recogniser's confidence, and its box on the picture as four
    corners (x, y) in pixels of the picture read, clockwise from the top left."""

    text: str
    confidence: float
    box: list[list[int]]


class Reader:
    """A loaded OCR engine; ``read`` is not thread-safe (one job's thread at a time)."""

    def __init__(self) -> None:
        from rapidocr import RapidOCR  # imported here: the API process never loads onnxruntime

        paths = {name: str(weights.verified(w)) for name, w in _WEIGHTS.items()}
        logging.getLogger("RapidOCR").setLevel(logging.ERROR)
        self.version = _version()
        self._engine = RapidOCR(
            params={
                "Global.log_level": "error",
                "Global.text_score": _MIN_SCORE,
                "Det.model_path": paths["det"],
                "Rec.model_path": paths["rec"],
                "Cls.model_path": paths["cls"],
                "EngineConfig.onnxruntime.intra_op_num_threads": 1,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            }
        )

    def read(self, picture: Image.Image) -> list[Line]:
        """The lines of text in the picture, top to bottom."""
        found: Any = self._engine(np.asarray(picture.convert("RGB")))
        if found is None or found.txts is None:
            return []
        lines = [
            Line(
                text=str(text).strip(),
                confidence=round(float(score), 4),
                box=[[round(float(x)), round(float(y))] for x, y in box],
            )
            for text, score, box in zip(found.txts, found.scores, found.boxes, strict=True)
            if str(text).strip()
        ]
        return sorted(lines, key=lambda line: (min(p[1] for p in line.box), min(p[0] for p in line.box)))


_WEIGHTS = {"det": weights.OCR_DETECT, "rec": weights.OCR_RECOGNISE, "cls": weights.OCR_ORIENT}


def _version() -> str:
    from importlib.metadata import version

    return f"rapidocr {version('rapidocr')}, onnxruntime {version('onnxruntime')}"
