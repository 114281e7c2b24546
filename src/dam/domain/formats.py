"""The file formats the service processes: their media types, extensions, and how to know them by bytes.

One table, used by ``POST /assets`` (a type outside it is refused with the list), by the probe step
(the bytes decide the format; a declared type of another family fails the asset) and by
``dam upload`` (types from the extension, or from the first bytes when the extension says nothing).
Format names are exiftool's ``FileType`` values (JPEG, HEIC, DNG, MP4, M2TS, MP3...).
"""

from __future__ import annotations

import struct

import msgspec

from dam.domain.media import MediaKind

HEAD_BYTES = 64 * 1024  # what ``sniff`` looks at; every signature below lies within it


class Format(msgspec.Struct, frozen=True, kw_only=True):
    """A file format: its family, media types (the first is the one to declare) and extensions."""

    name: str
    kind: MediaKind
    media_types: tuple[str, ...]
    extensions: tuple[str, ...]
    file_type: str  # as exiftool names it: the ``format`` of the facts

    @property
    def media_type(self) -> str:
        """The media type to declare for it."""
        return self.media_types[0]


def _f(name: str, kind: MediaKind, types: str, extensions: str, file_type: str = "") -> Format:
    return Format(
        name=name, kind=kind, media_types=tuple(types.split()), extensions=tuple(extensions.split()),
        file_type=file_type or name,
    )  # fmt: skip


FORMATS: tuple[Format, ...] = (
    _f("JPEG", "image", "image/jpeg image/pjpeg", ".jpg .jpeg .jpe .jfif"),
    _f("PNG", "image", "image/png", ".png"),
    _f("APNG", "image", "image/apng", ".apng"),
    _f("GIF", "image", "image/gif", ".gif"),
    _f("WEBP", "image", "image/webp", ".webp"),
    _f("TIFF", "image", "image/tiff image/tiff-fx", ".tif .tiff"),
    _f("BMP", "image", "image/bmp image/x-bmp image/x-ms-bmp", ".bmp"),
    _f("HEIC", "image", "image/heic image/heic-sequence", ".heic"),
    _f("HEIF", "image", "image/heif image/heif-sequence", ".heif .hif"),
    _f("AVIF", "image", "image/avif", ".avif"),
    _f("JXL", "image", "image/jxl", ".jxl"),
    _f("PSD", "image", "image/vnd.adobe.photoshop image/x-photoshop image/photoshop image/psd", ".psd"),
    _f("SVG", "image", "image/svg+xml", ".svg"),
    # Camera RAW through LibRaw. DNG is tested; the others take the same path, untested (README).
    _f("DNG", "image", "image/x-adobe-dng image/dng", ".dng"),
    _f("CR2", "image", "image/x-canon-cr2", ".cr2"),
    _f("CR3", "image", "image/x-canon-cr3", ".cr3"),
    _f("NEF", "image", "image/x-nikon-nef", ".nef"),
    _f("ARW", "image", "image/x-sony-arw", ".arw"),
    _f("RAF", "image", "image/x-fuji-raf", ".raf"),
    _f("ORF", "image", "image/x-olympus-orf", ".orf"),
    _f("RW2", "image", "image/x-panasonic-rw2", ".rw2"),
    _f("MP4", "video", "video/mp4 video/x-m4v", ".mp4 .m4v"),
    _f("MOV", "video", "video/quicktime", ".mov .qt"),
    _f("3GP", "video", "video/3gpp", ".3gp"),
    _f("3G2", "video", "video/3gpp2", ".3g2"),
    _f("MKV", "video", "video/x-matroska video/matroska", ".mkv"),
    _f("WEBM", "video", "video/webm", ".webm"),
    _f("AVI", "video", "video/x-msvideo video/avi video/msvideo", ".avi"),
    # Transport streams: 188-byte packets (broadcast, .ts) and 192-byte ones (AVCHD and Blu-ray).
    _f("M2T", "video", "video/mp2t", ".ts .m2t"),
    _f("M2TS", "video", "video/vnd.dlna.mpeg-tts video/m2ts", ".mts .m2ts"),
    _f("MPEG", "video", "video/mpeg", ".mpg .mpeg .m2v .vob"),
    _f("FLV", "video", "video/x-flv", ".flv"),
    _f("ASF", "video", "video/x-ms-asf video/x-ms-wmv", ".wmv .asf"),
    _f("OGV", "video", "video/ogg", ".ogv"),
    _f("MP3", "audio", "audio/mpeg audio/mp3 audio/x-mpeg", ".mp3"),
    _f("M4A", "audio", "audio/mp4 audio/x-m4a audio/m4a", ".m4a .m4b"),
    _f("AAC", "audio", "audio/aac audio/x-aac audio/aacp", ".aac"),
    _f("FLAC", "audio", "audio/flac audio/x-flac", ".flac"),
    _f("WAV", "audio", "audio/wav audio/x-wav audio/wave audio/vnd.wave", ".wav"),
    _f("OGG", "audio", "audio/ogg audio/vorbis", ".ogg .oga"),
    _f("OPUS", "audio", "audio/opus", ".opus"),
    _f("AIFF", "audio", "audio/aiff audio/x-aiff", ".aif .aiff .aifc"),
    _f("WEBA", "audio", "audio/webm", ".weba", "WEBM"),
    _f("3GPA", "audio", "audio/3gpp audio/3gpp2", "", "3GP"),
    _f("WMA", "audio", "audio/x-ms-wma", ".wma"),
)
_BY_NAME = {f.name: f for f in FORMATS}
_BY_TYPE = {t: f for f in FORMATS for t in f.media_types}
_BY_EXTENSION = {e: f for f in FORMATS for e in f.extensions}
SUPPORTED_MEDIA_TYPES: tuple[str, ...] = tuple(t for f in FORMATS for t in f.media_types)
IMAGE_NAMES = frozenset(f.name for f in FORMATS if f.kind == "image")
RAW_FORMATS = frozenset({"DNG", "CR2", "CR3", "NEF", "ARW", "RAF", "ORF", "RW2"})
# Made of TIFF structures: the bytes say TIFF, the declared type (or the DNGVersion tag) says which.
_TIFF_BASED = frozenset({"TIFF", "DNG", "CR2", "NEF", "ARW"})


# Containers that hold audio or video alike: their bytes do not say which; the declared kind does.
_SHARED_CONTAINERS = (
    frozenset({"MP4", "M4A", "3GP", "3GPA"}),
    frozenset({"MKV", "WEBM", "WEBA"}),
    frozenset({"OGG", "OGV"}),
    frozenset({"ASF", "WMA"}),
)
# The audio format of such a container holding no video (an MP4 or ASF of sound only, declared video).
_AUDIO_ONLY = {"MP4": "M4A", "3GP": "3GPA", "WEBM": "WEBA", "OGV": "OGG", "ASF": "WMA"}


def named(name: str) -> Format:
    """The format of an exiftool FileType name in the table."""
    return _BY_NAME[name]


def by_media_type(content_type: str) -> Format | None:
    """The format a (lower-case) media type declares, if we process it."""
    return _BY_TYPE.get(content_type.partition(";")[0].strip().lower())


def by_extension(filename: str) -> Format | None:
    """The format a file name's extension suggests."""
    dot = filename.rfind(".")
    return _BY_EXTENSION.get(filename[dot:].lower()) if dot > 0 else None


def supported_types() -> str:
    """The supported media types, for error messages."""
    return ", ".join(SUPPORTED_MEDIA_TYPES)


def reconcile(declared: Format | None, found: Format | None) -> Format | None:
    """What a file is, from its declared format and the one its bytes show.

    The bytes win, but where they cannot tell variants of one structure apart (a NEF and a TIFF
    both start as TIFF; an MP4 holding only audio is an M4A) the declared format stands.
    """
    if found is None:
        return declared
    if declared is None:
        return found
    if found.name == "TIFF" and declared.name in _TIFF_BASED:
        return declared
    pair = {found.name, declared.name}
    if declared.kind != found.kind and any(pair <= shared for shared in _SHARED_CONTAINERS):
        return declared
    return found


def audio_only(found: Format) -> Format | None:
    """The audio format a video container is when it holds no video (None: it has no such variant)."""
    name = _AUDIO_ONLY.get(found.name)
    return _BY_NAME[name] if name is not None else None


def mismatch(declared: str, found: Format) -> str | None:
    """Why an asset declared ``declared`` cannot be processed as the ``found`` format (another family)."""
    declared_format = by_media_type(declared)
    declared_kind = declared_format.kind if declared_format else declared.partition("/")[0]
    if found.kind == declared_kind:
        return None
    return (
        f"the file is {found.kind} ({found.file_type}), declared {declared}: upload it as {found.media_type}"
    )


def sniff(head: bytes) -> Format | None:
    """The format the first bytes of a file show (up to ``HEAD_BYTES``), or None if they show none."""
    for check in (_image, _iso_bmff, _riff, _other_av):
        name = check(head)
        if name is not None:
            return _BY_NAME[name]
    return None


_IMAGE_PREFIXES = (
    (b"\xff\xd8\xff", "JPEG"), (b"GIF87a", "GIF"), (b"GIF89a", "GIF"), (b"IIRO", "ORF"), (b"IIRS", "ORF"),
    (b"MMOR", "ORF"), (b"IIU\x00", "RW2"), (b"FUJIFILMCCD-RAW", "RAF"), (b"8BPS", "PSD"),
    (b"\xff\x0a", "JXL"), (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "JXL"),
)  # fmt: skip


def _image(head: bytes) -> str | None:
    for prefix, name in _IMAGE_PREFIXES:
        if head.startswith(prefix):
            return name
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _png(head)
    if head[:4] in {b"II*\x00", b"MM\x00*"}:
        return _tiff(head)
    if head.startswith(b"BM") and len(head) >= 18 and head[14] in {12, 40, 52, 56, 64, 108, 124}:
        return "BMP"
    return "SVG" if _svg(head) else None


def _png(head: bytes) -> str:
    """APNG when an ``acTL`` chunk comes before the first ``IDAT``."""
    at = 8
    while at + 8 <= len(head):
        length, kind = struct.unpack(">I4s", head[at : at + 8])
        if kind == b"acTL":
            return "APNG"
        if kind == b"IDAT":
            break
        at += 12 + length
    return "PNG"


def _tiff(head: bytes) -> str:
    """TIFF, DNG (IFD0 holds DNGVersion, tag 50706) or CR2 ("CR" after the header)."""
    if head[8:10] == b"CR":
        return "CR2"
    order = "<" if head[:2] == b"II" else ">"
    try:
        (offset,) = struct.unpack(order + "I", head[4:8])
        (count,) = struct.unpack(order + "H", head[offset : offset + 2])
        for i in range(min(count, 1000)):
            entry = offset + 2 + 12 * i
            (tag,) = struct.unpack(order + "H", head[entry : entry + 2])
            if tag == 50706:
                return "DNG"
    except struct.error:
        pass  # IFD0 beyond what was read: a plain TIFF as far as we can tell
    return "TIFF"


def _svg(head: bytes) -> bool:
    text = head[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not text.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype svg")):
        return False
    return b"<svg" in head.lower()


_BRANDS = {
    b"heic": "HEIC", b"heix": "HEIC", b"heim": "HEIC", b"heis": "HEIC", b"hevc": "HEIC", b"hevx": "HEIC",
    b"mif1": "HEIF", b"msf1": "HEIF", b"avif": "AVIF", b"avis": "AVIF", b"crx ": "CR3",
    b"qt  ": "MOV", b"M4A ": "M4A", b"M4B ": "M4A", b"M4P ": "M4A", b"F4A ": "M4A",
    b"3gp4": "3GP", b"3gp5": "3GP", b"3gp6": "3GP", b"3gp7": "3GP", b"3gg6": "3GP", b"3ge6": "3GP",
    b"3g2a": "3G2", b"3g2b": "3G2", b"3g2c": "3G2",
}  # fmt: skip
_MOV_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


def _iso_bmff(head: bytes) -> str | None:
    """ISO base media files by their ``ftyp`` brands (major first, then compatible ones)."""
    if head[4:8] != b"ftyp":
        return "MOV" if head[4:8] in _MOV_ATOMS and len(head) >= 8 else None
    (size,) = struct.unpack(">I", head[:4])
    brands = [head[8:12]] + [head[i : i + 4] for i in range(16, min(size, len(head), 256), 4)]
    if brands[0] in {b"mif1", b"msf1"}:  # a generic major brand: a compatible one may say HEIC or AVIF
        for brand in brands[1:]:
            if _BRANDS.get(brand) in {"HEIC", "AVIF"}:
                return _BRANDS[brand]
    for brand in brands:
        if brand in _BRANDS:
            return _BRANDS[brand]
    return "MP4"


def _riff(head: bytes) -> str | None:
    if head[:4] != b"RIFF":
        return "WAV" if head[:4] == b"riff" else None  # Sony Wave64
    return {b"WAVE": "WAV", b"AVI ": "AVI", b"WEBP": "WEBP"}.get(head[8:12])


def _other_av(head: bytes) -> str | None:
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "WEBM" if b"webm" in head[:64] else "MKV"
    if head.startswith(b"OggS"):
        return _ogg(head)
    if head.startswith(b"fLaC"):
        return "FLAC"
    if head[:4] == b"FORM" and head[8:12] in {b"AIFF", b"AIFC"}:
        return "AIFF"
    if head.startswith(b"FLV\x01"):
        return "FLV"
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return "ASF"
    if head.startswith((b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3")):
        return "MPEG"
    return _transport_stream(head) or _mpeg_audio(head)


def _ogg(head: bytes) -> str:
    if b"OpusHead" in head[:128]:
        return "OPUS"
    if b"\x80theora" in head[:128]:
        return "OGV"
    return "OGG"


def _transport_stream(head: bytes) -> str | None:
    """188-byte packets (M2T) or 192-byte ones (M2TS: a 4-byte time code first), sync byte 0x47."""
    for size, start, name in ((188, 0, "M2T"), (192, 4, "M2TS")):
        if len(head) > start + 2 * size and all(head[start + i * size] == 0x47 for i in range(3)):
            return name
    return None


def _mpeg_audio(head: bytes) -> str | None:
    """MP3 (an ID3 tag or a layer III frame) or AAC in ADTS frames."""
    at = 0
    if head.startswith(b"ID3") and len(head) >= 10:
        size = (head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | (head[9] & 0x7F)
        at = 10 + size
        if at + 2 > len(head):
            return "MP3"  # a long tag (cover art): what follows it is out of sight
    if len(head) < at + 2 or head[at] != 0xFF or head[at + 1] & 0xE0 != 0xE0:
        return None
    layer = (head[at + 1] >> 1) & 3
    if layer == 0:
        return "AAC" if head[at + 1] & 0xF0 == 0xF0 else None
    return "MP3" if layer == 1 or at else None
