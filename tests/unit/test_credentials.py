"""Content credentials: the summary of a manifest store as c2pa's reader reports it, and how the
reader answers a file without credentials, a file it cannot read and a file object that fails."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from dam.domain.errors import MediaRejected
from dam.media.enrich.credentials import Credentials, Verifier, summarise

pytestmark = pytest.mark.unit
ACTIVE = "urn:c2pa:0b9e5c8a-active"
PARENT = "urn:c2pa:7d21f3c4-parent"
IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
UNTRUSTED = {"code": "signingCredential.untrusted", "explanation": "signing certificate untrusted"}
MISMATCH = {"code": "assertion.dataHash.mismatch", "explanation": "asset hash error"}


def manifest(*actions: dict[str, Any], **signature: str) -> dict[str, Any]:
    """A manifest as c2pa reports it: its actions assertion and its signature's details."""
    return {
        "claim_generator_info": [{"name": "Example Editor", "version": "3.1"}],
        "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": list(actions)}}],
        "signature_info": {"alg": "Es256", **signature},
    }


def store(
    active: dict[str, Any], state: str = "Valid", *failures: dict[str, str], **more: Any
) -> dict[str, Any]:
    """A manifest store whose active manifest is ``active``, validated to ``state``."""
    return {
        "active_manifest": ACTIVE,
        "manifests": {ACTIVE: active, **more.pop("others", {})},
        "validation_state": state,
        "validation_results": {"activeManifest": {"success": [], "failure": list(failures)}},
        **more,
    }


def test_a_signed_file_names_its_signer_time_and_actions() -> None:
    active = manifest(
        {"action": "c2pa.created", "digitalSourceType": IPTC + "digitalCapture"},
        {"action": "c2pa.edited"},
        {"action": "c2pa.color_adjustments"},
        {"action": "c2pa.edited"},
        issuer="Example News", common_name="Example News photo desk", time="2025-03-01T10:20:30Z",
    )  # fmt: skip
    found = summarise(store(active, "Valid", UNTRUSTED))
    assert found == Credentials(
        present=True,
        signer="Example News",
        signed_at="2025-03-01T10:20:30+00:00",
        actions=["c2pa.created", "c2pa.edited", "c2pa.color_adjustments"],
        ai_generated=False,
        valid=True,
        trusted=False,
        problems=["signingCredential.untrusted: signing certificate untrusted"],
    )
    assert found.flags == ["credentials"]


def test_a_trusted_signer_is_valid_and_trusted() -> None:
    found = summarise(store(manifest({"action": "c2pa.created"}, common_name="Camera 7"), "Trusted"))
    assert (found.valid, found.trusted, found.problems) == (True, True, [])
    assert found.signer == "Camera 7"  # no organisation: the certificate's common name
    assert found.signed_at is None  # no time-stamp token


@pytest.mark.parametrize(
    ("source", "generated"),
    [
        pytest.param(IPTC + "trainedAlgorithmicMedia", True, id="trained-algorithmic"),
        pytest.param(IPTC + "compositeWithTrainedAlgorithmicMedia", True, id="composite-with-trained"),
        pytest.param("trainedAlgorithmicMedia", True, id="bare-term"),
        pytest.param(IPTC + "algorithmicMedia", False, id="algorithmic-not-trained"),
        pytest.param(IPTC + "digitalCapture", False, id="camera"),
        pytest.param(None, False, id="none-said"),
    ],
)
def test_ai_generated_follows_the_digital_source_type(source: str | None, generated: bool) -> None:
    action = {"action": "c2pa.created", **({"digitalSourceType": source} if source else {})}
    found = summarise(store(manifest(action, issuer="Example Labs")))
    assert found.ai_generated is generated
    assert ("ai_generated" in found.flags) is generated


def test_an_edit_of_generated_media_is_ai_generated_through_its_history() -> None:
    parent = manifest({"action": "c2pa.created", "digitalSourceType": IPTC + "trainedAlgorithmicMedia"})
    found = summarise(
        store(manifest({"action": "c2pa.opened"}, {"action": "c2pa.cropped"}), others={PARENT: parent})
    )
    assert found.actions == ["c2pa.opened", "c2pa.cropped"]  # the active manifest's only
    assert found.ai_generated


def test_iptc_metadata_can_say_ai_generated_too() -> None:
    active = manifest({"action": "c2pa.created"})
    active["assertions"].append(
        {"label": "stds.iptc", "data": {"Iptc4xmpExt:DigitalSourceType": IPTC + "trainedAlgorithmicMedia"}}
    )
    assert summarise(store(active)).ai_generated


def test_a_changed_file_is_invalid_and_says_why() -> None:
    changed = store(manifest({"action": "c2pa.created"}), "Invalid", UNTRUSTED, MISMATCH, MISMATCH)
    ingredient = {"code": "assertion.hashedURI.mismatch", "explanation": "hash does not match"}
    changed["validation_results"]["ingredientDeltas"] = [
        {"ingredientAssertionURI": "self#jumbf=c2pa.assertions/c2pa.ingredient", "validationDeltas": {
            "failure": [ingredient]
        }}
    ]  # fmt: skip
    found = summarise(changed)
    assert found.present
    assert not found.valid
    assert found.problems == [
        "signingCredential.untrusted: signing certificate untrusted",
        "assertion.dataHash.mismatch: asset hash error",
        "assertion.hashedURI.mismatch: hash does not match",
    ]
    assert found.flags == ["credentials"]


def test_an_older_report_lists_its_failures_in_validation_status() -> None:
    older = {
        "active_manifest": ACTIVE,
        "manifests": {ACTIVE: manifest({"action": "c2pa.created"})},
        "validation_status": [MISMATCH],
        "validation_state": "Invalid",
    }
    assert summarise(older).problems == ["assertion.dataHash.mismatch: asset hash error"]


@pytest.mark.parametrize(
    "odd",
    [
        pytest.param({"manifests": {}}, id="no-active-manifest"),
        pytest.param({"active_manifest": "urn:c2pa:gone", "manifests": {ACTIVE: {}}}, id="active-missing"),
        pytest.param(
            {"active_manifest": ACTIVE, "manifests": [], "validation_state": "Valid"}, id="not-a-map"
        ),
    ],
)
def test_a_store_without_its_active_manifest_is_present_and_invalid(odd: dict[str, Any]) -> None:
    found = summarise(odd)
    assert (found.present, found.valid, found.signer, found.actions) == (True, False, None, [])
    assert found.problems == ["the manifest store has no active manifest"]


def test_an_unreadable_time_is_left_out() -> None:
    found = summarise(store(manifest({"action": "c2pa.created"}, time="last Tuesday")))
    assert found.signed_at is None


def test_what_the_uploader_wrote_is_capped() -> None:
    actions = [{"action": f"com.example.step{i}" + "x" * 1000} for i in range(80)]
    found = summarise(store(manifest(*actions, issuer="y" * 5000)))
    assert len(found.actions) == 50
    assert all(len(a) <= 300 for a in found.actions)
    assert found.signer is not None
    assert len(found.signer) == 300


@pytest.fixture(scope="module")
def verifier() -> Verifier:
    return Verifier()


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.linear_gradient("L").resize((64, 48)).convert("RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def test_the_verifier_names_c2pa_and_its_versions(verifier: Verifier) -> None:
    assert verifier.version.startswith("c2pa-python 0.38.1, c2pa-rs ")


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        pytest.param(jpeg(), "image/jpeg", id="jpeg-without-manifest"),
        pytest.param(jpeg(), "video/mp4", id="declared-as-another-type"),
        pytest.param(b"OggS" + bytes(200), "audio/ogg", id="format-c2pa-does-not-read"),
    ],
)
def test_a_file_without_credentials_shows_none(verifier: Verifier, data: bytes, content_type: str) -> None:
    found = verifier.read(io.BytesIO(data), content_type)
    assert found == Credentials(present=False)
    assert found.flags == []


def test_a_file_c2pa_cannot_parse_is_rejected(verifier: Verifier) -> None:
    with pytest.raises(MediaRejected, match="c2pa could not read the file"):
        verifier.read(io.BytesIO(b"\xff\xd8\xff\xe0 not really a JPEG"), "image/jpeg")


class Failing(io.BytesIO):
    """A file whose reads fail part way, as a ranged read does when storage goes away."""

    def read(self, size: int | None = -1) -> bytes:
        if self.tell() > 100:
            raise ConnectionResetError("storage went away")
        return super().read(size)


def test_an_error_of_the_file_object_is_raised_as_it_was(verifier: Verifier) -> None:
    # c2pa turns it into a failed read: the reader gives back the original (a retry, not a verdict).
    with pytest.raises(ConnectionResetError, match="storage went away"):
        verifier.read(Failing(jpeg()), "image/jpeg")
