"""Descriptive metadata of photos: EXIF (typed as the tags declare them), IPTC and XMP.

XMP is untrusted XML: it is parsed by defusedxml (no DTD, no entities, nothing external), and only
the Dublin Core and XMP basic fields people search by are read.
"""

from __future__ import annotations

import struct
from typing import Any

import defusedxml.ElementTree as SafeTree
from defusedxml import DefusedXmlException
from PIL import ExifTags, Image, ImageFile, IptcImagePlugin

from dam.domain.media import Camera, Description
from dam.media import psd

_CAMERA_TAGS = {
    "Make": "make", "Model": "model", "LensModel": "lens", "FNumber": "f_number",
    "ExposureTime": "exposure_time", "ISOSpeedRatings": "iso", "FocalLength": "focal_length",
}  # fmt: skip
# EXIF's UNDEFINED text fields start with an 8-byte character code.
_TEXT_CODES = (b"ASCII\x00\x00\x00", b"UNICODE\x00", b"JIS\x00\x00\x00\x00\x00", b"\x00" * 8)
_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_XMP = "{http://ns.adobe.com/xap/1.0/}"
MAX_XMP = 4 * 1024 * 1024  # larger packets (Photoshop's history) are skipped, not parsed
MAX_ITEMS = 200
_IPTC_RESOURCE = 0x0404  # the Photoshop resource that holds IPTC records


def camera(exif: Image.Exif) -> Camera | None:
    """Camera, lens, exposure and GPS fields, in the types the EXIF tags declare."""
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    values: dict[str, Any] = {}
    for tag, name in _CAMERA_TAGS.items():
        tag_id = ExifTags.Base[tag].value
        raw = sub.get(tag_id, exif.get(tag_id))
        if raw is None:
            continue
        value = plain(raw)
        if isinstance(value, list):  # e.g. ISOSpeedRatings given per channel: the first one
            value = value[0] if value else None
        if value is not None:
            values[name] = _coerce(name, value)
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    if gps:
        values["gps"] = {ExifTags.GPSTAGS.get(k, str(k)): plain(v) for k, v in gps.items()}
    values = {k: v for k, v in values.items() if v is not None}
    return Camera(**values) if values else None


def captured_at(exif: Image.Exif) -> str | None:
    """DateTimeOriginal (else DateTime) as ISO 8601, local camera time, no zone."""
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    value = sub.get(ExifTags.Base.DateTimeOriginal.value) or exif.get(ExifTags.Base.DateTime.value)
    if not isinstance(value, str) or len(value) < 19:
        return None
    date, _, time = value.strip().partition(" ")
    return f"{date.replace(':', '-')}T{time[:8]}"


def _coerce(name: str, value: Any) -> Any:
    """A camera field in its declared type, or None when the camera wrote something else."""
    kind = {"make": str, "model": str, "lens": str, "iso": int}.get(name, float)
    try:
        return kind(value) if not isinstance(value, str) or kind is str else kind(float(value))
    except (TypeError, ValueError, OverflowError):
        return None


def plain(value: Any) -> Any:
    """An EXIF value as JSON holds it: BYTE fields as numbers (GPSAltitudeRef 0, GPSVersionID
    [2, 2, 0, 0]), rationals as floats, text as text, several values as a flat list."""
    if isinstance(value, tuple):
        return [str(v) if isinstance(v, tuple) else plain(v) for v in value]
    if isinstance(value, bytes):
        return _bytes(value)
    if isinstance(value, str):
        return value.strip("\x00 ")
    if isinstance(value, int):
        return value
    try:
        return round(float(value), 6)
    except (TypeError, ValueError, ZeroDivisionError):
        return str(value)


def _bytes(value: bytes) -> Any:
    if value.startswith(_TEXT_CODES) and len(value) > 8:
        encoding = "utf-16" if value.startswith(b"UNICODE") else "ascii"
        return value[8:].decode(encoding, "replace").strip("\x00 ")
    if len(value) == 1:
        return value[0]
    return list(value[:64])


def describe(image: Image.Image, xmp: bytes | None) -> Description | None:
    """Keywords, caption, creator, copyright and rating, from XMP first and IPTC after (keywords
    from both: XMP's, then IPTC's not among them)."""
    found = _from_xmp(xmp) if xmp else {}
    for name, value in _from_iptc(image).items():
        if name == "keywords" and "keywords" in found:
            found[name] = list(dict.fromkeys([*found[name], *value]))[:MAX_ITEMS]
        found.setdefault(name, value)
    return Description(**found) if found else None


def _from_iptc(image: Image.Image) -> dict[str, Any]:
    iptc = _iptc(image)
    found: dict[str, Any] = {}
    keywords = _texts(iptc.get((2, 25)))
    if keywords:
        found["keywords"] = keywords
    for key, name in (((2, 120), "caption"), ((2, 80), "creator"), ((2, 116), "copyright")):
        texts = _texts(iptc.get(key))
        if texts:
            found[name] = texts[0]
    return found


def _iptc(image: Image.Image) -> dict[tuple[int, int], Any]:
    if image.format == "PNG":
        return iptc_records(_raw_profile(image.info.get("Raw profile type iptc")))
    if image.format not in {"JPEG", "TIFF"} or not isinstance(image, ImageFile.ImageFile):
        return {}
    try:
        return IptcImagePlugin.getiptcinfo(image) or {}
    except (OSError, SyntaxError, ValueError, IndexError):
        return {}


def _raw_profile(text: Any) -> bytes:
    """The bytes of an ImageMagick/exiftool "Raw profile" PNG text: a name, a length, hex lines;
    IPTC records as they are, or inside a Photoshop resource (exiftool)."""
    if not isinstance(text, str):
        return b""
    lines = text.strip("\n").split("\n")
    try:
        data = bytes.fromhex("".join(lines[2:]))[: int(lines[1])]
    except (ValueError, IndexError):
        return b""
    return (psd.resource(data, _IPTC_RESOURCE) or b"") if data.startswith(b"8BIM") else data


def iptc_records(data: bytes) -> dict[tuple[int, int], list[bytes]]:
    """IPTC-IIM datasets by (record, dataset), each as the list of its values."""
    found: dict[tuple[int, int], list[bytes]] = {}
    at = 0
    while at + 5 <= len(data) and data[at] == 0x1C:
        key = (data[at + 1], data[at + 2])
        size = int.from_bytes(data[at + 3 : at + 5], "big")
        at += 5
        if size & 0x8000:  # an extended dataset: the next bytes hold its length
            width = size & 0x7FFF
            size = int.from_bytes(data[at : at + width], "big") if width <= 4 else len(data)
            at += width
        found.setdefault(key, []).append(data[at : at + size])
        at += size
    return found


def jxl_xmp(data: bytes) -> bytes | None:
    """The XMP packet of a JPEG XL container (its top-level ``xml `` box), walking box headers."""
    at = 0
    while at + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, at)
        head = 8
        if size == 1 and at + 16 <= len(data):
            size, head = struct.unpack_from(">Q", data, at + 8)[0], 16
        elif size == 0:
            size = len(data) - at
        if size < head:
            return None
        if kind == b"xml ":
            return data[at + head : at + size]
        at += size
    return None


def _texts(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value] if value is not None else []
    texts = [item.decode("utf-8", "replace").strip("\x00 ") for item in items[:MAX_ITEMS]]
    return [text[:1000] for text in texts if text]


def _from_xmp(packet: bytes) -> dict[str, Any]:
    if len(packet) > MAX_XMP:
        return {}
    try:
        root = SafeTree.fromstring(packet.strip(b"\x00 \r\n\t").decode("utf-8", "replace"))
    except (SafeTree.ParseError, DefusedXmlException, ValueError):
        return {}
    found: dict[str, Any] = {}
    keywords = _items(root, _DC + "subject")
    if keywords:
        found["keywords"] = keywords
    for tag, name in (
        (_DC + "description", "caption"),
        (_DC + "creator", "creator"),
        (_DC + "rights", "copyright"),
    ):
        values = _items(root, tag)
        if values:
            found[name] = values[0]
    rating = _rating(root)
    if rating is not None:
        found["rating"] = rating
    return found


def _items(root: Any, tag: str) -> list[str]:
    """An XMP property's values: the ``rdf:li`` of its Bag/Seq/Alt, or its own text."""
    for element in root.iter(tag):
        items = [li.text.strip() for li in element.iter(_RDF + "li") if li.text and li.text.strip()]
        if not items and element.text and element.text.strip():
            items = [element.text.strip()]
        return [item[:1000] for item in items[:MAX_ITEMS]]
    for element in root.iter(_RDF + "Description"):  # the short form: an attribute
        if tag in element.attrib:
            return [element.attrib[tag][:1000]]
    return []


def _rating(root: Any) -> int | None:
    values = _items(root, _XMP + "Rating")
    try:
        rating = int(float(values[0])) if values else None
    except ValueError:
        return None
    return rating if rating is not None and -1 <= rating <= 5 else None
