"""The formats table and the sniffer: the first bytes decide what a file is."""

from __future__ import annotations

import struct
from typing import Any

import pytest

from dam.domain import formats


def _ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\x00\x00\x00\x08free"


def _tiff(tags: list[int]) -> bytes:
    entries = b"".join(struct.pack("<HHII", tag, 3, 1, 0) for tag in tags)
    return b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", len(tags)) + entries + b"\x00" * 4


_ASF = b"\x30\x26\xb2\x75\x8e\x66\xcf\x11\xa6\xd9\x00\xaa\x00\x62\xce\x6c"  # the header object's GUID


def _png(*chunks: bytes) -> bytes:
    out = b"\x89PNG\r\n\x1a\n"
    for kind in (b"IHDR", *chunks):
        out += struct.pack(">I", 4) + kind + b"\x00" * 8
    return out


@pytest.mark.parametrize(
    ("head", "name"),
    [
        pytest.param(b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG", id="jpeg"),
        pytest.param(_png(b"IDAT"), "PNG", id="png"),
        pytest.param(_png(b"acTL", b"IDAT"), "APNG", id="apng"),
        pytest.param(b"GIF89a\x01\x00", "GIF", id="gif"),
        pytest.param(b"RIFF\x00\x00\x00\x00WEBPVP8 ", "WEBP", id="webp"),
        pytest.param(_tiff([256, 257]), "TIFF", id="tiff"),
        pytest.param(_tiff([256, 50706]), "DNG", id="dng-by-its-version-tag"),
        pytest.param(b"II*\x00\x10\x00\x00\x00CR\x02\x00", "CR2", id="cr2"),
        pytest.param(_ftyp(b"heic", b"mif1", b"heic"), "HEIC", id="heic"),
        pytest.param(_ftyp(b"mif1", b"mif1", b"heic"), "HEIC", id="heic-behind-mif1"),
        pytest.param(_ftyp(b"avif", b"mif1", b"avif"), "AVIF", id="avif"),
        pytest.param(_ftyp(b"crx ", b"crx "), "CR3", id="cr3"),
        pytest.param(b"\xff\x0a\xfa", "JXL", id="jxl-codestream"),
        pytest.param(b"\x00\x00\x00\x0cJXL \r\n\x87\n", "JXL", id="jxl-container"),
        pytest.param(b"8BPS\x00\x01", "PSD", id="psd"),
        pytest.param(b'\xef\xbb\xbf<?xml version="1.0"?>\n<svg xmlns="x"/>', "SVG", id="svg"),
        pytest.param(_ftyp(b"isom", b"isom", b"avc1"), "MP4", id="mp4"),
        pytest.param(_ftyp(b"qt  ", b"qt  "), "MOV", id="mov"),
        pytest.param(_ftyp(b"3gp4", b"3gp4"), "3GP", id="3gp"),
        pytest.param(_ftyp(b"M4A ", b"M4A "), "M4A", id="m4a"),
        pytest.param(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "WEBM", id="webm"),
        pytest.param(b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska", "MKV", id="mkv"),
        pytest.param(b"RIFF\x00\x00\x00\x00AVI LIST", "AVI", id="avi"),
        pytest.param((b"\x47" + b"\x00" * 187) * 3, "M2T", id="ts"),
        pytest.param((b"\x00" * 4 + b"\x47" + b"\x00" * 187) * 3, "M2TS", id="m2ts-with-time-codes"),
        pytest.param(b"\x00\x00\x01\xba\x44", "MPEG", id="mpeg-ps"),
        pytest.param(b"ID3\x03\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x00", "MP3", id="mp3-id3"),
        pytest.param(b"\xff\xfb\x90\x00", "MP3", id="mp3-frame"),
        pytest.param(b"\xff\xf1\x50\x80", "AAC", id="aac-adts"),
        pytest.param(b"fLaC\x00\x00\x00\x22", "FLAC", id="flac"),
        pytest.param(b"RIFF\x00\x00\x00\x00WAVEfmt ", "WAV", id="wav"),
        pytest.param(b"OggS" + b"\x00" * 24 + b"OpusHead", "OPUS", id="opus"),
        pytest.param(b"OggS" + b"\x00" * 24 + b"\x01vorbis", "OGG", id="vorbis"),
        pytest.param(b"FORM\x00\x00\x00\x00AIFF", "AIFF", id="aiff"),
        pytest.param(_ASF, "ASF", id="asf"),
    ],
)
def test_sniff_names_the_format_by_its_bytes(head: bytes, name: str) -> None:
    found = formats.sniff(head)
    assert found is not None
    assert found.name == name


@pytest.mark.parametrize(
    "head",
    [
        pytest.param(b"#EXTM3U\n#EXT-X-VERSION:3\n", id="hls-playlist"),
        pytest.param(b"ffconcat version 1.0\n", id="concat-list"),
        pytest.param(b"%PDF-1.7\n", id="pdf"),
        pytest.param(b"<html><body>no</body></html>", id="html"),
        pytest.param(b"", id="empty"),
    ],
)
def test_sniff_names_nothing_for_other_bytes(head: bytes) -> None:
    assert formats.sniff(head) is None


def test_another_family_is_a_mismatch_that_says_what_to_declare() -> None:
    mp3 = formats.named("MP3")
    assert formats.mismatch("video/mp4", mp3) == (
        "the file is audio (MP3), declared video/mp4: upload it as audio/mpeg"
    )
    assert formats.mismatch("image/jpeg", formats.named("MP4")) is not None
    assert formats.mismatch("image/jpeg", formats.named("PNG")) is None  # the same family


@pytest.mark.parametrize(
    ("declared", "found", "result"),
    [
        pytest.param("image/jpeg", "PNG", "PNG", id="bytes-win-within-a-family"),
        pytest.param("image/x-nikon-nef", "TIFF", "NEF", id="tiff-structured-raw-keeps-its-name"),
        pytest.param("audio/mp4", "MP4", "M4A", id="an-mp4-declared-audio-is-audio"),
        pytest.param("video/3gpp", "3GP", "3GP", id="3gp-video"),
        pytest.param("audio/3gpp", "3GP", "3GPA", id="3gp-declared-audio"),
        pytest.param("audio/webm", "WEBM", "WEBA", id="webm-audio"),
        pytest.param("audio/x-ms-wma", "ASF", "WMA", id="an-asf-declared-wma-is-audio"),
        pytest.param("video/x-ms-asf", "ASF", "ASF", id="asf-video"),
    ],
)
def test_reconcile(declared: str, found: str, result: str) -> None:
    chosen = formats.reconcile(formats.by_media_type(declared), formats.named(found))
    assert chosen is not None
    assert chosen.name == result


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        pytest.param("clip.3gp", "video/3gpp", id="3gp-is-video"),
        pytest.param("broadcast.ts", "video/mp2t", id="ts-is-a-transport-stream"),
        pytest.param("00001.MTS", "video/vnd.dlna.mpeg-tts", id="avchd-mts"),
        pytest.param("IMG_0001.HEIC", "image/heic", id="heic"),
        pytest.param("photo.DNG", "image/x-adobe-dng", id="dng"),
        pytest.param("song.opus", "audio/opus", id="opus"),
        pytest.param("song.WMA", "audio/x-ms-wma", id="wma"),
        pytest.param("clip.wmv", "video/x-ms-asf", id="wmv"),
    ],
)
def test_extensions_give_our_media_types(name: str, media_type: str) -> None:
    found = formats.by_extension(name)
    assert found is not None
    assert found.media_type == media_type


def test_every_media_type_and_extension_names_one_format() -> None:
    types = [t for f in formats.FORMATS for t in f.media_types]
    extensions = [e for f in formats.FORMATS for e in f.extensions]
    assert len(types) == len(set(types))
    assert len(extensions) == len(set(extensions))
    assert all(t == t.lower() and "/" in t for t in types)


@pytest.mark.parametrize(
    ("name", "head", "media_type"),
    [
        pytest.param("clip.3gp", _ftyp(b"3gp4", b"3gp4"), "video/3gpp", id="3gp-goes-as-video"),
        pytest.param("news.ts", (b"\x47" + b"\x00" * 187) * 4, "video/mp2t", id="ts-not-a-qt-translation"),
        pytest.param(
            "00001.MTS", (b"\x00" * 4 + b"\x47" + b"\x00" * 187) * 4, "video/vnd.dlna.mpeg-tts", id="mts"
        ),
        pytest.param("photo.jpg", _png(b"IDAT"), "image/png", id="a-png-named-jpg-goes-as-png"),
        pytest.param(
            "track.mp4", b"ID3\x03\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x00", "audio/mpeg", id="mp3-named-mp4"
        ),
        pytest.param("no-extension", b"fLaC\x00\x00\x00\x22", "audio/flac", id="unknown-extension-sniffed"),
        pytest.param("notes.txt", b"just words", None, id="nothing-we-process"),
        pytest.param("song.wma", _ASF, "audio/x-ms-wma", id="wma-goes-as-audio"),
        pytest.param("no-extension", _ASF, "video/x-ms-asf", id="asf-by-its-bytes"),
    ],
)
def test_dam_upload_declares_what_the_file_is(
    tmp_path: Any, name: str, head: bytes, media_type: str | None
) -> None:
    from dam.client.upload import content_type_of

    path = tmp_path / name
    path.write_bytes(head)
    assert content_type_of(path) == media_type


@pytest.mark.parametrize(
    ("head", "content_type", "name"),
    [
        pytest.param(_ftyp(b"isom", b"isom", b"mp41"), "audio/mp4", "M4A", id="isom-declared-audio-mp4"),
        pytest.param(_ftyp(b"3gp4", b"3gp4"), "audio/3gpp", "3GPA", id="3gp-declared-audio"),
        pytest.param(
            b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "audio/webm", "WEBA", id="webm-audio"
        ),
        pytest.param(_ASF, "audio/x-ms-wma", "WMA", id="asf-declared-wma"),
    ],
)
def test_a_shared_container_declared_as_audio_is_not_a_mismatch(
    head: bytes, content_type: str, name: str
) -> None:
    import io

    from dam.media.pipeline import identify

    found = identify(io.BytesIO(head), content_type)
    assert found is not None
    assert found.name == name


@pytest.mark.parametrize(
    ("video", "audio"),
    [
        pytest.param("ASF", "WMA", id="asf"),
        pytest.param("MP4", "M4A", id="mp4"),
        pytest.param("3GP", "3GPA", id="3gp"),
        pytest.param("WEBM", "WEBA", id="webm"),
        pytest.param("OGV", "OGG", id="ogg"),
        pytest.param("AVI", None, id="avi-has-no-audio-variant"),
        pytest.param("MKV", None, id="matroska-audio-is-not-in-the-table"),
    ],
)
def test_a_video_container_of_sound_only_has_an_audio_format(video: str, audio: str | None) -> None:
    found = formats.audio_only(formats.named(video))
    assert (found.name if found else None) == audio
    assert found is None or found.kind == "audio"
