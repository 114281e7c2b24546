"""Typed image facts from the probe step: camera fields only where the photo has them."""

from __future__ import annotations

import io

from PIL import Image

from dam.media.images import image_facts


def _jpeg(exif: Image.Exif | None = None) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(buffer, "JPEG", exif=exif or Image.Exif())
    buffer.seek(0)
    return buffer


def test_a_photo_without_exif_has_no_camera() -> None:
    info = image_facts(_jpeg())
    assert (info.kind, info.format, info.width, info.height) == ("image", "JPEG", 64, 48)
    assert info.camera is None


def test_camera_fields_have_their_types() -> None:
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    exif.get_ifd(0x8769).update({0x829D: 2.8, 0x8827: 400, 0x920A: 35.0})  # FNumber, ISO, FocalLength
    camera = image_facts(_jpeg(exif)).camera
    assert camera is not None
    assert camera.make == "TestCam"
    assert camera.model is None
    assert camera.f_number == 2.8
    assert camera.iso == 400
    assert camera.focal_length == 35.0
