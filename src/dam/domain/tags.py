"""Tags: short names a workspace gives its assets, matched case-insensitively and kept as first
written (pure rules; ``db/tags.py`` stores them, ``services/edits.py`` and ``services/tags.py`` use
them).

A tag's ``key`` is its case-folded name: two names with the same key are the same tag, and the
workspace's tag keeps the spelling it was first written with. An asset carries at most
``MAX_PER_ASSET`` tags of at most ``MAX_LENGTH`` characters each, surrounding whitespace trimmed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Literal

from dam.domain.errors import InvalidInput
from dam.domain.media import MediaInfo

MAX_PER_ASSET = 100
MAX_LENGTH = 100


# Whose tags a listing, filter or facet means: people's (the default), the models' (enrichment's
# model tags, rejected ones aside) or either.
TagSource = Literal["people", "model", "any"]


def key_of(name: str) -> str:
    """The key two spellings of one tag share (``Beach`` and ``BEACH``: ``beach``)."""
    return name.casefold()


def clean(name: str) -> str:
    """A tag as written, trimmed; ``InvalidInput`` when it is empty, too long or holds control
    characters."""
    text = name.strip()
    if not text:
        raise InvalidInput("a tag must not be empty (or only whitespace)")
    if len(text) > MAX_LENGTH:
        raise InvalidInput(f"tag {text[:40]!r}... is longer than {MAX_LENGTH} characters")
    if any(unicodedata.category(c) in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"} for c in text):
        raise InvalidInput(f"tag {text[:40]!r} must not contain control or unassigned characters")
    return text


def clean_list(names: Iterable[str]) -> list[str]:
    """An asset's tags: each cleaned, case-insensitive duplicates collapsed to the first written,
    at most ``MAX_PER_ASSET``."""
    found = distinct(clean(name) for name in names)
    if len(found) > MAX_PER_ASSET:
        raise InvalidInput(f"an asset has at most {MAX_PER_ASSET} tags, not {len(found)}")
    return found


def distinct(names: Iterable[str]) -> list[str]:
    """``names`` without case-insensitive repeats, the first of each kept, in order."""
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(key_of(name), name)
    return list(seen.values())


def merged(current: list[str], found: Iterable[str]) -> list[str]:
    """An asset's tags with keywords ``found`` in its file added after them (never removing one;
    beyond ``MAX_PER_ASSET`` the rest is left out)."""
    return distinct([*current, *found])[: max(MAX_PER_ASSET, len(current))]


def keywords(info: MediaInfo) -> list[str]:
    """The keywords a file carries that become tags: IPTC/XMP keywords of a photo, the genre of
    an audio file's tags (a file's own words: trimmed, cut to ``MAX_LENGTH``, unusable ones left
    out)."""
    words: list[str] = []
    if info.description is not None and info.description.keywords:
        words.extend(info.description.keywords)
    if info.tags is not None and info.tags.genre:
        words.extend(info.tags.genre.replace("\x00", ";").split(";"))
    usable = []
    for word in words:
        try:
            usable.append(clean(word.strip()[:MAX_LENGTH]))
        except InvalidInput:
            continue
    return distinct(usable)[:MAX_PER_ASSET]
