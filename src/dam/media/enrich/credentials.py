"""C2PA content credentials, read from the original with c2pa-python (over c2pa-rs): who signed the
file, what was done to it, whether a generative model made it, and whether the credentials still
hold.

c2pa reads the manifest store through the file object it is given (the worker's ranged reader: the
original is never held whole; checking the hard binding hashes it once, front to back). Nothing is
fetched over the network: a manifest kept elsewhere (a remote manifest URL), OCSP, and every other
host c2pa might contact are refused (``OFFLINE``); an upload never makes the worker send a request.

``valid`` is c2pa's own verdict (``validation_state`` ``Valid`` or ``Trusted``): the manifest is
well formed, its claim signature verifies against the certificate it carries, its assertions match
their hashes, and its hard binding holds (the bytes are the ones that were signed; one pixel
changed after signing breaks it). ``trusted`` says more: the signer's certificate chains to a
configured trust anchor. None is configured (the C2PA trust list is not part of the package), so a
signed file is ``trusted: false`` and its ``problems`` name ``signingCredential.untrusted``: the
signer is who its certificate says, not someone this service vouches for.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from importlib.metadata import version
from typing import IO, Any, TypeVar

import msgspec

from dam.domain.media import MediaRejected

MODEL = "c2pa"
T = TypeVar("T")
# c2pa's settings: remote manifests and OCSP are not fetched, and no host is allowed should c2pa
# find another reason to connect. It ignores setting names it does not know: the tests check that
# each of the two that stop a remote manifest's fetch does so alone.
OFFLINE: dict[str, Any] = {
    "version": 1,
    "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
    "core": {"allowed_network_hosts": []},
}
_VALID = frozenset({"Valid", "Trusted"})
_ACTIONS = frozenset({"c2pa.actions", "c2pa.actions.v2"})
# IPTC digital source types (the last part of the term's URL) of media a generative model made.
_GENERATED = frozenset({"trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia"})
_IPTC = frozenset({"stds.iptc", "stds.iptc.photo-metadata"})
_MOST = 50  # actions and problems kept: the manifest is the uploader's text
_LONGEST = 300

# c2pa's errors start with their kind ("Verify: expected JUMD"). No manifest, or a format c2pa does
# not read: nothing to show. The file could not be read: the step fails. Any other kind of a
# manifest that was found but is broken (or kept elsewhere, which is not fetched): shown as invalid.
_ABSENT = frozenset({"ManifestNotFound", "NotSupported"})
_UNREADABLE = frozenset({"Io", "FileNotFound"})
_UNPARSED = "asset could not be parsed"  # an "Other" error: the container itself, not its manifest
_BROKEN = frozenset(
    {
        "Assertion",
        "AssertionNotFound",
        "Decoding",
        "Json",
        "Manifest",
        "ResourceNotFound",
        "Signature",
        "Verify",
        "Remote",
        "Other",
    }
)


class Credentials(msgspec.Struct, frozen=True, kw_only=True):
    """What the file's content credentials say (the module's docstring says what ``valid`` and
    ``trusted`` mean). Without a manifest: ``present`` false, nothing else set."""

    present: bool
    signer: str | None = None  # the signing certificate's organisation, else its common name
    signed_at: str | None = None  # ISO 8601, from a time-stamp authority's token; None without one
    actions: list[str] = msgspec.field(default_factory=list)  # the active manifest's, in order
    ai_generated: bool = False  # a manifest of the file's history declares a generative model's media
    valid: bool = False
    trusted: bool = False
    problems: list[str] = msgspec.field(default_factory=list)  # "code: explanation" of each failure

    @property
    def flags(self) -> list[str]:
        """What ``has=`` finds the asset by."""
        named = (("credentials", self.present), ("ai_generated", self.ai_generated))
        return [name for name, on in named if on]


class Verifier:
    """c2pa's reader with this service's settings; ``read`` may run in several threads at once."""

    def __init__(self) -> None:
        import c2pa  # imported here: only the enrich worker loads the native library

        self.version = f"c2pa-python {version('c2pa-python')}, c2pa-rs {c2pa.sdk_version()}"
        self._context = c2pa.Context.from_dict(OFFLINE)
        self._formats = frozenset(c2pa.Reader.get_supported_mime_types())

    def read(self, file: IO[bytes], content_type: str | None) -> Credentials:
        """The credentials in ``file`` (a seekable file of the given media type; c2pa checks the
        type against the bytes). MediaRejected when c2pa cannot read the file at all; an error the
        file object raised (storage unavailable) is raised as it was."""
        import c2pa

        watched = _Watched(file)
        hint = content_type if content_type in self._formats else None
        try:
            with c2pa.Reader(hint, watched, context=self._context) as reader:
                store = json.loads(reader.json())
        except c2pa.C2paError as exc:
            if watched.error is not None:
                raise watched.error from None
            return _failed(exc)
        return summarise(store)


def _failed(exc: Exception) -> Credentials:
    message = _clip(str(exc))
    kind, _, detail = message.partition(": ")
    if kind in _ABSENT:
        return Credentials(present=False)
    if kind in _UNREADABLE or (kind == "Other" and detail.startswith(_UNPARSED)):
        raise MediaRejected(f"c2pa could not read the file: {message}")
    if kind in _BROKEN:
        return Credentials(present=True, problems=[message])
    raise exc  # ours, not the file's (a misused handle...): the step fails with it


def summarise(store: Mapping[str, Any]) -> Credentials:
    """The credentials a manifest store shows, as c2pa's ``Reader.json()`` gives it."""
    manifests = _mapping(store.get("manifests"))
    active = _mapping(manifests.get(str(store.get("active_manifest"))))
    info = _mapping(active.get("signature_info"))
    state = _text(store.get("validation_state")) if active else ""
    problems = _problems(store) if active else ["the manifest store has no active manifest"]
    names = (_text(action.get("action")) for action in _actions(active))
    return Credentials(
        present=True,
        signer=_text(info.get("issuer")) or _text(info.get("common_name")) or None,
        signed_at=_instant(info.get("time")),
        actions=list(dict.fromkeys(name for name in names if name))[:_MOST],
        ai_generated=any(_generated(_mapping(manifest)) for manifest in manifests.values()),
        valid=state in _VALID,
        trusted=state == "Trusted",
        problems=problems,
    )


def _actions(manifest: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for assertion in _assertions(manifest):
        if _text(assertion.get("label")).split("__")[0] in _ACTIONS:
            for action in _list(_mapping(assertion.get("data")).get("actions")):
                yield _mapping(action)


def _assertions(manifest: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for assertion in _list(manifest.get("assertions")):
        yield _mapping(assertion)


def _generated(manifest: Mapping[str, Any]) -> bool:
    """Whether an action of the manifest (or its IPTC metadata, the older way) says a generative
    model made the media."""
    sources = [action.get("digitalSourceType") for action in _actions(manifest)]
    sources += [
        _mapping(assertion.get("data")).get("Iptc4xmpExt:DigitalSourceType")
        for assertion in _assertions(manifest)
        if _text(assertion.get("label")).split("__")[0] in _IPTC
    ]
    return any(_text(source).rstrip("/").rsplit("/", 1)[-1] in _GENERATED for source in sources)


def _problems(store: Mapping[str, Any]) -> list[str]:
    """Each failure c2pa found, of the active manifest and of its ingredients, once."""
    results = store.get("validation_results")
    if isinstance(results, Mapping):
        failures = list(_list(_mapping(results.get("activeManifest")).get("failure")))
        for delta in _list(results.get("ingredientDeltas")):
            failures += _list(_mapping(_mapping(delta).get("validationDeltas")).get("failure"))
    else:  # the older report: the list of failures alone
        failures = list(_list(store.get("validation_status")))
    said = (_said(_mapping(failure)) for failure in failures)
    return list(dict.fromkeys(text for text in said if text))[:_MOST]


def _said(status: Mapping[str, Any]) -> str:
    code, explanation = _text(status.get("code")), _text(status.get("explanation"))
    return _clip(f"{code}: {explanation}" if code and explanation else code or explanation)


def _instant(value: Any) -> str | None:
    try:
        return datetime.fromisoformat(value).isoformat() if isinstance(value, str) else None
    except ValueError:
        return None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return _clip(value) if isinstance(value, str) else ""


def _clip(text: str) -> str:
    return text[:_LONGEST]


class _Watched(io.RawIOBase):
    """The file as c2pa reads it, keeping the first error a read or a seek raised: c2pa turns every
    exception of its stream into a failed read, and storage that is down must stay a fault to
    retry, not become a broken manifest."""

    def __init__(self, file: IO[bytes]) -> None:
        super().__init__()
        self._file = file
        self.error: Exception | None = None

    def readable(self) -> bool:
        """Always."""
        return True

    def seekable(self) -> bool:
        """Always."""
        return True

    def tell(self) -> int:
        """The file's position."""
        return self._file.tell()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move the file's position."""
        return self._watch(self._file.seek, offset, whence)

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        """Fill ``buffer`` from the file."""
        data = self._watch(self._file.read, len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _watch(self, work: Callable[..., T], *args: Any) -> T:
        try:
            return work(*args)
        except Exception as exc:
            if self.error is None:
                self.error = exc
            raise
