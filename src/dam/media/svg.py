"""SVG, rasterised safely with resvg: as a browser shows an SVG in an ``<img>``, nothing external.

The markup is parsed by defusedxml (no DTD, no entities), then cleaned before resvg sees it:
scripts, ``foreignObject`` and event attributes go; every reference that is not to the document
itself (``#id``) or a raster ``data:`` image goes, in ``href``, ``xlink:href``, ``style`` and
``<style>`` (``url(...)``, ``@import``). Size, element count and nesting are bounded.
"""

from __future__ import annotations

import re
import tempfile
import xml.etree.ElementTree as ElementTree
from typing import IO, Any

import defusedxml.ElementTree as SafeTree
import resvg_py
from defusedxml import DefusedXmlException

from dam.domain.media import MediaRejected

MAX_BYTES = 16 * 1024 * 1024
MAX_ELEMENTS = 50_000
MAX_DEPTH = 100
MAX_SIDE = 16384  # intrinsic size larger than this is refused (a 1e9-pixel canvas is not a picture)
DEFAULT_SIDE = 100.0  # resvg's (and browsers') size of an SVG that states none
_SVG = "{http://www.w3.org/2000/svg}"
_XLINK = "{http://www.w3.org/1999/xlink}href"
_DROPPED = {_SVG + "script", _SVG + "foreignObject", "script", "foreignObject"}
_RASTER_DATA = re.compile(r"^\s*data:image/(png|jpeg|jpg|gif|webp);", re.IGNORECASE)
_URL = re.compile(r"url\(\s*(['\"]?)(?!#)[^)]*\1\s*\)", re.IGNORECASE)
_IMPORT = re.compile(r"@import[^;]*;?", re.IGNORECASE)
_UNITS = {"": 1.0, "px": 1.0, "pt": 4 / 3, "pc": 16.0, "mm": 96 / 25.4, "cm": 96 / 2.54, "in": 96.0}
_LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([a-z]*)\s*$")

ElementTree.register_namespace("", _SVG[1:-1])
ElementTree.register_namespace("xlink", _XLINK[1 : _XLINK.index("}")])


class Svg:
    """A parsed, cleaned SVG document and its intrinsic size in CSS pixels."""

    def __init__(self, markup: str, width: float, height: float) -> None:
        self.markup, self.width, self.height = markup, width, height

    def render(self, longest: int) -> bytes:
        """PNG bytes with the longer side ``longest`` pixels (vectors scale up cleanly)."""
        scale = longest / max(self.width, self.height)
        width, height = max(1, round(self.width * scale)), max(1, round(self.height * scale))
        with tempfile.TemporaryDirectory(prefix="dam-svg-") as empty:
            try:
                return bytes(
                    resvg_py.svg_to_bytes(
                        svg_string=self.markup, width=width, height=height, resources_dir=empty
                    )
                )
            except (ValueError, RuntimeError, OverflowError) as exc:
                raise MediaRejected(f"the SVG cannot be drawn: {str(exc)[:200]}") from None


def read(fp: IO[bytes]) -> Svg:
    """Parse and clean an SVG from a file object; MediaRejected when it is not one we draw."""
    data = fp.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise MediaRejected(f"the SVG is larger than {MAX_BYTES // (1024 * 1024)} MiB")
    try:
        root = SafeTree.fromstring(data.decode("utf-8-sig", "strict"))
    except (DefusedXmlException, SafeTree.ParseError, UnicodeDecodeError) as exc:
        raise MediaRejected(
            f"not a well-formed SVG (no DTDs or entities are read): {str(exc)[:200]}"
        ) from None
    if root.tag not in {_SVG + "svg", "svg"}:
        raise MediaRejected("not an SVG: the document's root element is not <svg>")
    _clean(root)
    width, height = _size(root)
    return Svg(ElementTree.tostring(root, encoding="unicode"), width, height)


def _clean(root: Any) -> None:
    count = 0
    stack: list[tuple[Any, int]] = [(root, 0)]
    while stack:
        element, depth = stack.pop()
        count += 1
        if count > MAX_ELEMENTS or depth > MAX_DEPTH:
            raise MediaRejected(
                f"the SVG is too complex (over {MAX_ELEMENTS} elements or {MAX_DEPTH} levels)"
            )
        for child in list(element):
            if not isinstance(child.tag, str) or child.tag in _DROPPED:
                element.remove(child)
            else:
                stack.append((child, depth + 1))
        _clean_attributes(element)
        if element.tag in {_SVG + "style", "style"} and element.text:
            element.text = _IMPORT.sub("", _URL.sub("none", element.text))


def _clean_attributes(element: Any) -> None:
    for name in list(element.attrib):
        value = element.attrib[name]
        local = name.rsplit("}", 1)[-1].lower()
        if local.startswith("on"):
            del element.attrib[name]
        elif local == "href" or name == _XLINK:
            if not (value.strip().startswith("#") or _RASTER_DATA.match(value)):
                del element.attrib[name]
        elif "url(" in value.lower() or "@import" in value.lower():
            element.attrib[name] = _IMPORT.sub("", _URL.sub("none", value))


def _size(root: Any) -> tuple[float, float]:
    """Intrinsic size: width/height in absolute units, else the viewBox's, else 100x100."""
    box = _view_box(root.get("viewBox"))
    width, height = _length(root.get("width")), _length(root.get("height"))
    if box is not None:
        ratio = box[0] / box[1]
        if width is None and height is None:
            width, height = box
        elif width is None:
            width = height * ratio if height else None
        elif height is None:
            height = width / ratio
    width, height = width or DEFAULT_SIDE, height or DEFAULT_SIDE
    if width > MAX_SIDE or height > MAX_SIDE:
        raise MediaRejected(f"the SVG's size of {width:.0f}x{height:.0f} exceeds {MAX_SIDE} pixels a side")
    return width, height


def _length(value: str | None) -> float | None:
    match = _LENGTH.match(value or "")
    if not match or match.group(2) not in _UNITS:
        return None  # percentages and font-relative units: no intrinsic size
    length = float(match.group(1)) * _UNITS[match.group(2)]
    return length if length > 0 else None


def _view_box(value: str | None) -> tuple[float, float] | None:
    parts = (value or "").replace(",", " ").split()
    try:
        width, height = float(parts[2]), float(parts[3])
    except (IndexError, ValueError):
        return None
    return (width, height) if width > 0 and height > 0 else None
