"""Content credentials end to end: photos made by Pillow and signed at test time by c2pa-python's
Builder with a throw-away certificate chain (an ES256 CA and a signer with the key usages C2PA
requires, made with ``cryptography``), uploaded, processed, then read back by the enrich queue's
worker from the original; what they say is read through the API and found through search."""

from __future__ import annotations

import contextlib
import datetime
import http.server
import io
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import c2pa
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier
from litestar.testing import AsyncTestClient
from PIL import Image, ImageDraw
from types_aiobotocore_s3 import S3Client

from dam.domain.steps import Queue
from dam.domain.validation import storage_key
from dam.jobs.steps import SMALL_ORIGINAL
from dam.media.enrich import credentials
from dam.settings import Settings
from tests.support.enrichment import enriched
from tests.support.flows import ingest, json_of
from tests.support.media import audio_file, noisy_mp4

pytestmark = pytest.mark.integration
IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
CAPTURED = {"action": "c2pa.created", "digitalSourceType": IPTC + "digitalCapture"}
GENERATED = {"action": "c2pa.created", "digitalSourceType": IPTC + "trainedAlgorithmicMedia"}
EDITED = {"action": "c2pa.edited"}
SIGNER = "Harbour Photo Desk"  # the signing certificate's organisation
CLAIM_SIGNING = ObjectIdentifier("1.3.6.1.4.1.62558.2.1")  # c2pa-kp-claimSigning


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """This module's tests run the credentials step alone."""
    return make_settings(DAM_ENRICH="credentials")


class Chain(NamedTuple):
    """A signer's certificate chain (the signer's, then its CA's, PEM) and its private key (PEM)."""

    certificates: bytes
    key: bytes


def _name(common: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PT"),
        ]
    )


def _usage(*, sign: bool = False, certify: bool = False) -> x509.KeyUsage:
    unused = dict.fromkeys(
        ("content_commitment", "key_encipherment", "data_encipherment", "key_agreement", "encipher_only"),
        False,
    )
    return x509.KeyUsage(
        digital_signature=sign, key_cert_sign=certify, crl_sign=certify, decipher_only=False, **unused
    )


@pytest.fixture(scope="module")
def chain() -> Chain:
    """A CA and a signer it certifies, both ES256 (P-256), valid for a day around now."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("DAM test CA", "DAM tests")

    def certificate(subject: x509.Name, public: Any) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(ca_name)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        )

    ca = (
        certificate(ca_name, ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(certify=True), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    # C2PA's signer profile: not a CA, digital signatures, an extended key usage of claim signing
    # (never "any"), and the authority key id linking it to its CA.
    signer = (
        certificate(_name("DAM test signer", SIGNER), key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(sign=True), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([CLAIM_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    private = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return Chain(certificates=signer.public_bytes(pem) + ca.public_bytes(pem), key=private)


def photo(shade: int = 0) -> bytes:
    """A small photo-like JPEG: a gradient sky, a sun and a horizon."""
    picture = Image.linear_gradient("L").resize((640, 480)).convert("RGB")
    draw = ImageDraw.Draw(picture)
    draw.ellipse((420 + shade, 60, 520 + shade, 160), fill=(250, 210, 90))
    draw.rectangle((0, 330, 640, 480), fill=(40, 90 + shade, 60))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def signed(
    data: bytes,
    chain: Chain,
    *actions: dict[str, Any],
    media_type: str = "image/jpeg",
    remote: str | None = None,
) -> bytes:
    """``data`` with a C2PA manifest of ``actions`` signed by ``chain`` (no time stamp: that needs a
    time-stamp authority on the network); ``remote``: the manifest is not embedded, only its URL."""
    manifest = {
        "claim_generator_info": [{"name": "dam-tests", "version": "1"}],
        "title": "signed",
        "format": media_type,
        "assertions": [{"label": "c2pa.actions", "data": {"actions": list(actions)}}],
    }
    info = c2pa.C2paSignerInfo(alg=b"es256", sign_cert=chain.certificates, private_key=chain.key, ta_url=None)
    out = io.BytesIO()
    with c2pa.Signer.from_info(info) as signer, c2pa.Builder(manifest) as builder:
        if remote is not None:
            builder.set_no_embed()
            builder.set_remote_url(remote)
        builder.sign(signer, media_type, io.BytesIO(data), out)
    return out.getvalue()


def _segments(data: bytes) -> Iterator[tuple[int, int, int]]:
    """A JPEG's marker segments up to its scan: (marker, offset, length)."""
    at = 2
    while at < len(data):
        marker, length = data[at + 1], int.from_bytes(data[at + 2 : at + 4], "big")
        yield marker, at, length
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            return
        at += 2 + length


def changed_pixel_byte(data: bytes) -> bytes:
    """The JPEG with one byte of its entropy-coded image data changed (its lowest bit flipped),
    never making or breaking a marker: what still decodes, but is not what was signed."""
    marker, at, length = list(_segments(data))[-1]
    assert marker == 0xDA
    scan, end = at + 2 + length, len(data) - 2
    changed = bytearray(data)
    for where in range((scan + end) // 2, end):
        old, new = changed[where], changed[where] ^ 0x01
        if 0xFF not in (old, new, changed[where - 1]):
            changed[where] = new
            return bytes(changed)
    raise AssertionError("no byte of image data to change")


def broken_manifest(data: bytes) -> bytes:
    """The signed JPEG with its manifest store's first description box renamed: c2pa finds the
    store (an APP11 segment) but cannot decode it."""
    app11 = next(at for marker, at, _ in _segments(data) if marker == 0xEB)
    where = data.index(b"jumd", app11)
    return data[:where] + b"jumx" + data[where + 4 :]


def credentials_of(asset: dict[str, Any]) -> dict[str, Any]:
    """The asset's credentials step: done, by c2pa; its result."""
    found = asset["enrichment"]["credentials"]
    assert found["state"] == "done", found
    assert found["model"] == "c2pa"
    assert found["model_version"].startswith("c2pa-python 0.38.1, c2pa-rs ")
    result: dict[str, Any] = found["result"]
    return result


async def has(api: AsyncTestClient[Any], flag: str) -> set[str]:
    """The ids ``GET /search?has=flag`` finds."""
    return {hit["id"] for hit in json_of(await api.get("/search", params={"has": flag}))["items"]}


async def test_signed_photos_show_their_credentials_and_a_changed_pixel_breaks_them(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any, settings: Settings, chain: Chain
) -> None:
    original = signed(photo(), chain, CAPTURED, EDITED)
    changed = changed_pixel_byte(original)
    first = await ingest(api, http, original, "harbour.jpg", "image/jpeg")
    second = await ingest(api, http, changed, "harbour-changed.jpg", "image/jpeg")
    plain = await ingest(api, http, photo(shade=20), "plain.jpg", "image/jpeg")
    asset = await enriched(api, run_jobs, settings, first)
    assert asset["status"] == "ready"
    # Signature and hard binding hold; the signer is who its certificate says, but no trust anchor
    # vouches for a chain made a moment ago: valid, not trusted, and the problems say so.
    assert credentials_of(asset) == {
        "present": True,
        "signer": SIGNER,
        "signed_at": None,  # signed without a time-stamp authority
        "actions": ["c2pa.created", "c2pa.edited"],
        "ai_generated": False,
        "valid": True,
        "trusted": False,
        "problems": ["signingCredential.untrusted: signing certificate untrusted"],
    }
    # One byte of pixels changed after signing: the credentials are there, but no longer hold.
    other = json_of(await api.get(f"/assets/{second}"))
    assert other["status"] == "ready"  # the picture still decodes: renditions were made
    broken = credentials_of(other)
    assert broken["present"] is True
    assert broken["valid"] is False
    assert broken["signer"] == SIGNER
    assert any(p.startswith("assertion.dataHash.mismatch") for p in broken["problems"]), broken
    # A photo without a manifest has none.
    without = credentials_of(json_of(await api.get(f"/assets/{plain}")))
    assert without == {
        "present": False, "signer": None, "signed_at": None, "actions": [], "ai_generated": False,
        "valid": False, "trusted": False, "problems": [],
    }  # fmt: skip
    # has=credentials finds the signed photos (valid or not), never the plain one.
    assert await has(api, "credentials") == {first, second}
    assert await has(api, "ai_generated") == set()


async def test_a_generated_image_is_found_as_ai_generated(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any, settings: Settings, chain: Chain
) -> None:
    made = await ingest(api, http, signed(photo(), chain, GENERATED), "render.jpg", "image/jpeg")
    taken = await ingest(api, http, signed(photo(shade=30), chain, CAPTURED), "taken.jpg", "image/jpeg")
    found = credentials_of(await enriched(api, run_jobs, settings, made))
    assert found["ai_generated"] is True
    assert found["actions"] == ["c2pa.created"]
    assert found["valid"] is True
    assert credentials_of(json_of(await api.get(f"/assets/{taken}")))["ai_generated"] is False
    assert await has(api, "ai_generated") == {made}
    assert await has(api, "credentials") == {made, taken}
    both = json_of(await api.get("/search", params=[("has", "credentials"), ("has", "ai_generated")]))
    assert [hit["id"] for hit in both["items"]] == [made]


async def test_signed_video_and_sound_show_their_credentials(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any, settings: Settings, chain: Chain
) -> None:
    # A video larger than what a job reads whole: c2pa hashes it through ranged reads.
    video = signed(noisy_mp4(frames=12), chain, CAPTURED, media_type="video/mp4")
    assert len(video) > SMALL_ORIGINAL
    sound = signed(audio_file("wav", "pcm_s16le", seconds=1.0), chain, CAPTURED, media_type="audio/wav")
    clip = await ingest(api, http, video, "clip.mp4", "video/mp4")
    take = await ingest(api, http, sound, "take.wav", "audio/wav")
    await run_jobs(settings=settings)
    await run_jobs(settings=settings, queue=Queue.ENRICH)
    for asset_id in (clip, take):
        found = credentials_of(json_of(await api.get(f"/assets/{asset_id}")))
        assert (found["present"], found["valid"], found["signer"]) == (True, True, SIGNER), found
        assert found["actions"] == ["c2pa.created"]
    assert await has(api, "credentials") == {clip, take}


async def test_a_manifest_that_cannot_be_decoded_is_present_and_invalid(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any, settings: Settings, chain: Chain
) -> None:
    damaged = broken_manifest(signed(photo(), chain, CAPTURED))
    asset_id = await ingest(api, http, damaged, "damaged.jpg", "image/jpeg")
    asset = await enriched(api, run_jobs, settings, asset_id)
    assert asset["status"] == "ready"
    found = credentials_of(asset)  # the step finished: the file's fault is its verdict, not a crash
    assert (found["present"], found["valid"], found["signer"], found["actions"]) == (True, False, None, [])
    assert len(found["problems"]) == 1
    assert found["problems"][0].startswith("Verify: "), found
    assert "JUMD" in found["problems"][0]
    assert await has(api, "credentials") == {asset_id}


class Listener:
    """An HTTP server on 127.0.0.1 that records every request it gets (and answers 404)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        seen = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append(self.path)
                self.send_error(404)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    try:
        yield server
    finally:
        server.close()


def read_with_c2pa(data: bytes, settings: dict[str, Any] | None = None) -> None:
    """Read ``data`` with c2pa, its default settings (which fetch remote manifests) or ``settings``;
    its error ignored."""
    context = c2pa.Context.from_dict(settings) if settings is not None else None
    with contextlib.suppress(c2pa.C2paError):
        c2pa.Reader("image/jpeg", io.BytesIO(data), context=context).close()


async def test_a_remote_manifest_is_never_fetched(
    api: AsyncTestClient[Any],
    http: httpx.AsyncClient,
    run_jobs: Any,
    settings: Settings,
    chain: Chain,
    listener: Listener,
) -> None:
    where = f"{listener.url}/manifests/{uuid.uuid4()}.c2pa"
    referring = signed(photo(), chain, CAPTURED, remote=where)
    asset_id = await ingest(api, http, referring, "remote.jpg", "image/jpeg")
    found = credentials_of(await enriched(api, run_jobs, settings, asset_id))
    # An upload never makes the worker send a request: the credentials are said to be elsewhere,
    # so they are present, not checked, and not valid.
    assert listener.requests == []
    assert (found["present"], found["valid"]) == (True, False)
    assert found["problems"] == [f"Remote: must fetch remote manifests from url {where}"]
    # Each of the settings that stop it does so alone (c2pa ignores a setting name it does not
    # know: a renamed one would fail here), and c2pa's defaults do send the request.
    for section, name in (("verify", "remote_manifest_fetch"), ("core", "allowed_network_hosts")):
        read_with_c2pa(referring, {"version": 1, section: {name: credentials.OFFLINE[section][name]}})
        assert listener.requests == [], name
    read_with_c2pa(referring)
    assert listener.requests == [where.removeprefix(listener.url)]


async def test_an_original_gone_from_storage_fails_the_step_and_the_asset_stays_ready(
    api: AsyncTestClient[Any],
    http: httpx.AsyncClient,
    run_jobs: Any,
    settings: Settings,
    chain: Chain,
    s3: S3Client,
) -> None:
    asset_id = await ingest(api, http, signed(photo(), chain, CAPTURED), "gone.jpg", "image/jpeg")
    await run_jobs(settings=settings)
    await s3.delete_object(Bucket=settings.s3.bucket, Key=storage_key(uuid.UUID(asset_id), "gone.jpg"))
    await run_jobs(settings=settings, queue=Queue.ENRICH)
    asset = json_of(await api.get(f"/assets/{asset_id}"))
    assert asset["status"] == "ready"
    found = asset["enrichment"]["credentials"]
    assert found["state"] == "failed", found
    assert found["result"] is None
    assert "missing from storage" in found["error"]
    assert await has(api, "credentials") == set()
