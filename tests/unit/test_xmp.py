"""The XMP sidecar as XML: escaped, free of what XML 1.0 refuses, each field where photo tools look."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import msgspec
import pytest

from dam.domain import xmp
from dam.domain.assets import Asset
from dam.domain.media import Camera, Description, MediaInfo
from dam.domain.status import AssetStatus

pytestmark = pytest.mark.unit
NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "exif": "http://ns.adobe.com/exif/1.0/",
    "tiff": "http://ns.adobe.com/tiff/1.0/",
    "dam": xmp.NAMESPACE,
}
AT = datetime(2026, 12, 8, 9, 30, tzinfo=UTC)


def _asset(**fields: object) -> Asset:
    base = Asset(
        id=uuid.uuid4(), status=AssetStatus.READY, filename="IMG_0412.jpg", content_type="image/jpeg",
        size=1, sha256=None, storage_key="k", metadata={}, title=None, description=None, tags=[],
        revision=1, media=None, error=None, etag="e", stored_size=1, created_at=AT, updated_at=AT,
        uploaded_at=AT, upload_id=None, part_size=None, part_checksums=False, workspace_id=uuid.uuid4(),
    )  # fmt: skip
    return msgspec.structs.replace(base, **fields)


def _about(packet: bytes) -> ET.Element:
    text = packet.decode()
    assert text.startswith('<?xpacket begin="\ufeff"')
    assert text.rstrip().endswith('<?xpacket end="w"?>')
    root = ET.fromstring(text[text.index("<x:xmpmeta") : text.index("<?xpacket end")])  # noqa: S314
    about = root.find("rdf:RDF/rdf:Description", NS)
    assert about is not None
    return about


def test_the_fields_are_where_photo_tools_read_them_and_escaped() -> None:
    media = MediaInfo(
        kind="image", width=4000, height=3000, captured_at="2026-11-28T16:41:09",
        camera=Camera(make="Fujifilm", model="X-T5", f_number=5.6, exposure_time=0.004, iso=200),
        description=Description(creator="From the file", copyright="© the file"),
    )  # fmt: skip
    asset = _asset(
        title='Tram 28 <at> "Graça" & co\x01', description="Line one\nline two", tags=["Lisbon", "trams"],
        metadata={"album": "Lisbon 2026", "Creator": "Ana Lopes", "rating": 4, "people": ["Ana", "Rui"],
                  "bad key": "skipped", "empty": None},
        media=media,
    )  # fmt: skip
    about = _about(xmp.sidecar(asset))
    assert about.findtext("dc:title/rdf:Alt/rdf:li", namespaces=NS) == 'Tram 28 <at> "Graça" & co'
    assert about.findtext("dc:description/rdf:Alt/rdf:li", namespaces=NS) == "Line one\nline two"
    assert [e.text for e in about.findall("dc:subject/rdf:Bag/rdf:li", NS)] == ["Lisbon", "trams"]
    # A metadata field named creator wins over the file's own; rights fall back to the file's.
    assert [e.text for e in about.findall("dc:creator/rdf:Seq/rdf:li", NS)] == ["Ana Lopes"]
    assert about.findtext("dc:rights/rdf:Alt/rdf:li", namespaces=NS) == "© the file"
    assert about.findtext("tiff:Make", namespaces=NS) == "Fujifilm"
    assert about.findtext("exif:FNumber", namespaces=NS) == "28/5"
    assert about.findtext("exif:ExposureTime", namespaces=NS) == "1/250"
    assert about.findtext("exif:DateTimeOriginal", namespaces=NS) == "2026-11-28T16:41:09"
    assert about.findtext("dam:album", namespaces=NS) == "Lisbon 2026"
    assert about.findtext("dam:rating", namespaces=NS) == "4"
    assert [e.text for e in about.findall("dam:people/rdf:Bag/rdf:li", NS)] == ["Ana", "Rui"]
    assert about.find("dam:empty", NS) is None


def test_an_asset_with_nothing_said_has_a_minimal_packet() -> None:
    about = _about(xmp.sidecar(_asset()))
    assert about.findtext("dc:format", namespaces=NS) == "image/jpeg"
    assert about.find("dc:title", NS) is None
    assert about.find("dc:creator", NS) is None
