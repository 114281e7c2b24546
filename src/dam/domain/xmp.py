"""An asset's XMP sidecar (``<name>.xmp``): what Lightroom, Bridge, Capture One and exiftool read
beside a file. Dublin Core for the title, description, keywords (the asset's tags), creator and
rights; the capture facts in EXIF and TIFF terms; the workspace's own metadata fields under this
project's namespace (``dam:``).

Creator and rights come from the metadata fields of those names when the workspace has them, else
from what the file itself said (its IPTC/XMP ``creator`` and ``copyright``).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from dam.domain.assets import Asset

NAMESPACE = "urn:x-dam:metadata:1.0/"  # the workspace's own fields (exiftool: XMP-dam)
_NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "exif": "http://ns.adobe.com/exif/1.0/",
    "tiff": "http://ns.adobe.com/tiff/1.0/",
    "dam": NAMESPACE,
}
for _prefix, _uri in _NS.items():
    ET.register_namespace(_prefix, _uri)

CREATOR_KEYS = ("creator", "author", "photographer", "artist", "byline")
RIGHTS_KEYS = ("rights", "copyright", "copyright_notice", "license", "licence")
# XML 1.0 refuses these characters whatever the escaping.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# A field's name as an XML element's local name: letters, digits, '.', '-', '_', not first a digit.
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")


def _q(prefix: str, name: str) -> str:
    return f"{{{_NS[prefix]}}}{name}"


def _text(value: object) -> str:
    return _NOT_XML.sub("", str(value))


def _alt(parent: ET.Element, tag: str, value: str) -> None:
    """A language alternative (dc:title, dc:description, dc:rights) in the default language."""
    alt = ET.SubElement(ET.SubElement(parent, tag), _q("rdf", "Alt"))
    item = ET.SubElement(alt, _q("rdf", "li"))
    item.set("{http://www.w3.org/XML/1998/namespace}lang", "x-default")
    item.text = _text(value)


def _array(parent: ET.Element, tag: str, kind: str, values: list[Any]) -> None:
    array = ET.SubElement(ET.SubElement(parent, tag), _q("rdf", kind))
    for value in values:
        ET.SubElement(array, _q("rdf", "li")).text = _text(value)


def _simple(parent: ET.Element, tag: str, value: object) -> None:
    ET.SubElement(parent, tag).text = _text(value)


def _first(metadata: dict[str, Any], keys: tuple[str, ...]) -> Any:
    folded = {k.lower(): v for k, v in metadata.items()}
    return next((folded[k] for k in keys if folded.get(k) not in (None, "", [])), None)


def _rational(value: float) -> str:
    """An EXIF rational as XMP writes it (``1/250``, ``28/5``)."""
    fraction = Fraction(value).limit_denominator(100000)
    return f"{fraction.numerator}/{fraction.denominator}"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def sidecar(asset: Asset) -> bytes:
    """The asset's XMP packet, UTF-8."""
    meta = ET.Element(_q("x", "xmpmeta"))
    rdf = ET.SubElement(meta, _q("rdf", "RDF"))
    about = ET.SubElement(rdf, _q("rdf", "Description"))
    about.set(_q("rdf", "about"), "")
    metadata = dict(asset.metadata or {})
    media = asset.media
    said = media.description if media is not None else None

    _simple(about, _q("dc", "format"), asset.content_type)
    if asset.title:
        _alt(about, _q("dc", "title"), asset.title)
    if asset.description:
        _alt(about, _q("dc", "description"), asset.description)
    if asset.tags:
        _array(about, _q("dc", "subject"), "Bag", asset.tags)
    creator = _first(metadata, CREATOR_KEYS) or (said.creator if said is not None else None)
    if creator:
        _array(about, _q("dc", "creator"), "Seq", creator if isinstance(creator, list) else [creator])
    rights = _first(metadata, RIGHTS_KEYS) or (said.copyright if said is not None else None)
    if rights:
        _alt(about, _q("dc", "rights"), _value(rights))
    _simple(about, _q("xmp", "MetadataDate"), asset.updated_at.isoformat())
    if media is not None:
        _facts(about, asset)
    for key in sorted(metadata):
        value = metadata[key]
        if value is None or not _NAME.match(key):
            continue
        if isinstance(value, list):
            _array(about, _q("dam", key), "Bag", [_value(v) for v in value])
        else:
            _simple(about, _q("dam", key), _value(value))
    body = ET.tostring(meta, encoding="unicode")
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n' + body + '\n<?xpacket end="w"?>\n'
    ).encode()


def _facts(about: ET.Element, asset: Asset) -> None:
    """The capture facts the probe read: when, with what, how large."""
    media = asset.media
    assert media is not None
    if media.captured_at:
        _simple(about, _q("xmp", "CreateDate"), media.captured_at)
        _simple(about, _q("exif", "DateTimeOriginal"), media.captured_at)
    if media.width and media.height:
        _simple(about, _q("exif", "PixelXDimension"), media.width)
        _simple(about, _q("exif", "PixelYDimension"), media.height)
    camera = media.camera
    if camera is None:
        return
    if camera.make:
        _simple(about, _q("tiff", "Make"), camera.make)
    if camera.model:
        _simple(about, _q("tiff", "Model"), camera.model)
    if camera.f_number:
        _simple(about, _q("exif", "FNumber"), _rational(camera.f_number))
    if camera.exposure_time:
        _simple(about, _q("exif", "ExposureTime"), _rational(camera.exposure_time))
    if camera.focal_length:
        _simple(about, _q("exif", "FocalLength"), _rational(camera.focal_length))
    if camera.iso:
        _array(about, _q("exif", "ISOSpeedRatings"), "Seq", [camera.iso])
