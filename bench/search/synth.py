"""Synthetic assets, tags and collections from one seed: pure functions, no database.

Rows come in chunks (numpy draws the random numbers of a whole chunk at once; Python only strings
them together), in the column order of ``ASSET_COLUMNS``, ready for ``copy_records_to_table``.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt

from bench.search import catalog as cat
from bench.search.vocab import place_names, vocabulary, zipf

ASSET_COLUMNS = (
    "id", "workspace_id", "created_by", "filename", "content_type", "size", "sha256", "storage_key",
    "status", "error", "metadata", "media", "created_at", "updated_at", "uploaded_at", "title",
    "description", "tags",
)  # fmt: skip
COLLECTION_COLUMNS = ("id", "workspace_id", "name", "parent_id", "created_by", "created_at")
MEMBER_COLUMNS = ("collection_id", "asset_id", "position", "added_at")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CREATED_FROM = datetime(2020, 1, 1, tzinfo=UTC).timestamp()
CREATED_TO = datetime(2026, 12, 1, tzinfo=UTC).timestamp()
TAKEN_FROM = datetime(2014, 1, 1, tzinfo=UTC).timestamp()
TAG_WORDS = 1200  # tags are drawn from the most frequent (real) words, places and a few phrases
PHRASES = ("golden hour", "behind the scenes", "street photography", "black and white", "long exposure",
           "social media", "press kit", "b-roll", "drone shot", "team photo")  # fmt: skip

Row = tuple[Any, ...]
_VIDEO_SIZES = ((1920, 1080), (3840, 2160), (1280, 720))


def _uuid(rng: np.random.Generator) -> uuid.UUID:
    return uuid.UUID(bytes=rng.bytes(16), version=4)


def _json(value: dict[str, Any]) -> str:
    return msgspec.json.encode(value).decode()


def _at(seconds: float) -> datetime:
    return EPOCH + timedelta(seconds=float(seconds))


@dataclass
class World:
    """Everything chosen once per data set: words, workspaces, users, collections."""

    seed: int
    words: list[str]
    word_p: npt.NDArray[np.float64]
    tags: list[str]
    tag_p: npt.NDArray[np.float64]
    workspaces: list[uuid.UUID]
    users: list[uuid.UUID]
    collections: list[list[uuid.UUID]]  # per workspace, in popularity order
    collection_rows: list[Row] = field(default_factory=list)


def make_world(seed: int) -> World:
    """Words, tags, the workspaces with one user each, and each workspace's collection tree."""
    rng = np.random.default_rng(seed)
    words = vocabulary(seed)
    # One spelling per tag key (a place is also a lower-case word): the workspace's tags are unique by key.
    tags = list({t.casefold(): t for t in (*words[:TAG_WORDS], *place_names(), *PHRASES)}.values())
    order = rng.permutation(len(tags))
    tags = [tags[i] for i in order]
    world = World(
        seed=seed, words=words, word_p=zipf(len(words)), tags=tags, tag_p=zipf(len(tags)),
        workspaces=[_uuid(rng) for _ in cat.WORKSPACES], users=[_uuid(rng) for _ in cat.WORKSPACES],
        collections=[[] for _ in cat.WORKSPACES],
    )  # fmt: skip
    for index, (_, _, share) in enumerate(cat.WORKSPACES):
        _collection_tree(world, rng, index, max(4, round(40 * share**0.5)))
    return world


def _collection_tree(world: World, rng: np.random.Generator, ws: int, tops: int) -> None:
    """Three levels: ``tops`` collections, ~3 children each, ~1.5 grandchildren per child."""

    def add(parent: uuid.UUID | None, depth: int) -> None:
        cid = _uuid(rng)
        picks = rng.choice(len(world.words), size=2, p=world.word_p)
        name = " ".join(world.words[int(i)] for i in picks).title()
        if depth == 0:
            name += f" {int(rng.integers(2016, 2027))}"
        created = _at(rng.uniform(CREATED_FROM, CREATED_TO))
        world.collection_rows.append((cid, world.workspaces[ws], name, parent, world.users[ws], created))
        world.collections[ws].append(cid)
        if depth < 2:
            for _ in range(int(rng.poisson(3.0 if depth == 0 else 1.5))):
                add(cid, depth + 1)

    for _ in range(tops):
        add(None, 0)
    rng.shuffle(world.collections[ws])  # popularity is independent of the depth


@dataclass
class Chunk:
    """One chunk of generated rows and what they add to the per-workspace tag counts."""

    assets: list[Row]
    members: list[Row]
    tag_counts: Counter[tuple[int, int]]


def _text(world: World, picks: list[int], capital: bool) -> str:
    text = " ".join(world.words[i] for i in picks)
    return text[:1].upper() + text[1:] if capital else text


class Synth:
    """Generates assets chunk by chunk; the same seed and chunk index give the same rows."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.positions: Counter[uuid.UUID] = Counter()
        shares = np.array([share for _, _, share in cat.WORKSPACES])
        self.ws_p = shares / shares.sum()
        self.camera_p = zipf(len(cat.CAMERAS))
        self.project_p = zipf(len(cat.PROJECTS))
        self.client_p = zipf(len(cat.CLIENTS))
        self.status_p = np.array([p for _, p in cat.STATUSES])
        self.collection_p = [zipf(len(c)) for c in world.collections]
        names = [f"{f} {last}" for f in cat.FIRST_NAMES for last in cat.LAST_NAMES]
        self.people = [names[i] for i in np.random.default_rng(world.seed).permutation(len(names))[:200]]
        self.people_p = zipf(len(self.people))

    def chunk(self, index: int, n: int) -> Chunk:
        """Rows ``index * n`` .. ``index * n + n - 1`` of the data set."""
        rng = np.random.default_rng([self.world.seed, index])
        draws = _Draws(rng, n, self)
        out = Chunk(assets=[], members=[], tag_counts=Counter())
        for i in range(n):
            out.assets.append(self._asset(rng, draws, i, out))
        return out

    def _asset(self, rng: np.random.Generator, d: _Draws, i: int, out: Chunk) -> Row:
        w = self.world
        ws = int(d.ws[i])
        aid = _uuid(rng)
        created = float(d.created[i])
        kind = ("image", "video", "audio")[int(d.kind[i])]
        camera = cat.CAMERAS[int(d.camera[i])] if d.has_camera[i] and kind != "audio" else None
        taken = _taken(d, i, created) if camera is not None or (kind == "image" and d.u[i, 0] < 0.3) else None
        filename, content_type = _filename(w, d, i, kind, camera, taken or _at(created))
        title = _text(w, d.words(i, "title"), True) if d.u[i, 1] < 0.6 else None
        description = _text(w, d.words(i, "description"), True) if d.u[i, 2] < 0.35 else None
        tags = list(dict.fromkeys(w.tags[t] for t in d.tag_picks(i)))
        for t in dict.fromkeys(d.tag_picks(i)):
            out.tag_counts[(ws, t)] += 1
        status = cat.STATUSES[int(d.status[i])][0]
        media = None if status == "failed" else _media(self, d, i, kind, camera, taken)
        meta = _metadata(self, d, i, taken)
        self._memberships(rng, ws, aid, created, d, i, out)
        stamp = _at(created)
        return (
            aid, w.workspaces[ws], w.users[ws], filename, content_type, int(d.size[i]),
            rng.bytes(32).hex() if status != "failed" else None, f"originals/{aid}/{filename}", status,
            "unsupported or corrupt media" if status == "failed" else None,
            _json(meta), None if media is None else _json(media), stamp, stamp, stamp, title, description,
            tags,
        )  # fmt: skip

    def _memberships(
        self, rng: np.random.Generator, ws: int, aid: uuid.UUID, created: float, d: _Draws, i: int, out: Chunk
    ) -> None:
        cols = self.world.collections[ws]
        count = 2 if d.u[i, 3] < 0.05 else 1 if d.u[i, 3] < 0.3 else 0
        for cid in dict.fromkeys(
            cols[int(c)] for c in rng.choice(len(cols), size=count, p=self.collection_p[ws])
        ):
            self.positions[cid] += 1
            out.members.append((cid, aid, self.positions[cid] * 1024, _at(created + 60)))


class _Draws:
    """The random numbers of one chunk, drawn at once."""

    def __init__(self, rng: np.random.Generator, n: int, s: Synth) -> None:
        w = s.world
        self.ws = rng.choice(len(s.ws_p), size=n, p=s.ws_p)
        self.kind = rng.choice(3, size=n, p=[0.75, 0.15, 0.10])
        self.camera = rng.choice(len(cat.CAMERAS), size=n, p=s.camera_p)
        self.has_camera = rng.random(n) < np.where(self.kind == 0, 0.85, 0.5)
        # Uploads grow over time: more of them recently.
        self.created = CREATED_FROM + (CREATED_TO - CREATED_FROM) * rng.random(n) ** 0.6
        self.delay = rng.exponential(120 * 86400, size=n)
        self.status = rng.choice(len(s.status_p), size=n, p=s.status_p)
        self.size = np.minimum(rng.lognormal(15.5, 1.2, size=n), 4e10).astype(np.int64) + 1
        self.duration = np.minimum(rng.lognormal(3.8, 1.3, size=n), 7200.0)
        self.u = rng.random((n, 18))
        self.n = rng.integers(1, 10000, size=n)
        self.project = rng.choice(len(cat.PROJECTS), size=n, p=s.project_p)
        self.client = rng.choice(len(cat.CLIENTS), size=n, p=s.client_p)
        self.person = rng.choice(len(s.people), size=(n, 2), p=s.people_p)
        self.people = s.people
        lengths = {
            "title": rng.integers(2, 7, size=n),
            "description": rng.integers(8, 41, size=n),
            "name": np.full(n, 2),
        }
        self.offsets: dict[str, npt.NDArray[np.int64]] = {}
        self.picks: dict[str, list[int]] = {}
        for key, length in lengths.items():
            self.offsets[key] = np.concatenate(([0], np.cumsum(length)))
            self.picks[key] = rng.choice(len(w.words), size=int(length.sum()), p=w.word_p).tolist()
        tag_n = np.minimum(rng.poisson(2.2, size=n), 12)
        self.tag_off = np.concatenate(([0], np.cumsum(tag_n)))
        self.tag_all: list[int] = rng.choice(len(w.tags), size=int(tag_n.sum()), p=w.tag_p).tolist()

    def words(self, i: int, key: str) -> list[int]:
        off = self.offsets[key]
        return self.picks[key][int(off[i]) : int(off[i + 1])]

    def tag_picks(self, i: int) -> list[int]:
        return self.tag_all[int(self.tag_off[i]) : int(self.tag_off[i + 1])]


def _taken(d: _Draws, i: int, created: float) -> datetime:
    if d.u[i, 4] < 0.2:  # an archive scanned or imported later: any time in the twelve years
        return _at(TAKEN_FROM + (created - TAKEN_FROM) * d.u[i, 5])
    return _at(max(TAKEN_FROM, created - float(d.delay[i])))


def _filename(
    w: World, d: _Draws, i: int, kind: str, camera: tuple[str, str, str, str | None] | None, when: datetime
) -> tuple[str, str]:
    n, t = int(d.n[i]), 1 + int(d.u[i, 6] * 5)
    w1, w2 = (w.words[j] for j in d.words(i, "name"))
    if kind == "audio":
        pattern, content_type = cat.AUDIO_FILES[int(d.u[i, 7] * len(cat.AUDIO_FILES))]
        return pattern.format(n=n, t=t, w1=w1, w2=w2, d=when), content_type
    if camera is None:
        named = [f for f in cat.NAMED_FILES if f[2] == kind]
        pattern, content_type, _ = named[int(d.u[i, 7] * len(named))]
        return pattern.format(n=n, t=t, w1=w1, w2=w2, d=when), content_type
    family, raw = camera[2], camera[3]
    if kind == "video":
        pattern, content_type = cat.VIDEO_NAMES.get(family, cat.DEFAULT_VIDEO)
        return pattern.format(n=n, d=when), content_type
    jpeg, raw_name = cat.STILL_NAMES.get(family, cat.DEFAULT_STILL)
    if family == "apple" and d.u[i, 7] < 0.6:
        return raw_name.format(n=n), "image/heic"
    if raw is not None and raw_name and d.u[i, 7] < 0.3:
        return f"{raw_name.format(n=n)}.{raw.upper()}", cat.RAW_TYPES[raw]
    return jpeg.format(n=n, d=when), "image/jpeg"


def _media(
    s: Synth,
    d: _Draws,
    i: int,
    kind: str,
    camera: tuple[str, str, str, str | None] | None,
    taken: datetime | None,
) -> dict[str, Any]:
    media: dict[str, Any] = {"kind": kind}
    if kind != "audio":
        sizes = ((6000, 4000), (4032, 3024), (8192, 5464), (2880, 1800)) if kind == "image" else _VIDEO_SIZES
        wide, high = sizes[int(d.u[i, 8] * len(sizes))]
        media["width"], media["height"] = (high, wide) if d.u[i, 9] < 0.25 else (wide, high)
    if kind != "image":
        media["duration"] = round(float(d.duration[i]), 3)
    if camera is not None:
        lenses = cat.LENSES.get(camera[2])
        media["camera"] = {"make": camera[0], "model": camera[1]}
        if lenses:
            media["camera"]["lens"] = lenses[int(d.u[i, 10] * len(lenses))]
    if taken is not None:
        media["captured_at"] = f"{taken:%Y-%m-%dT%H:%M:%S}"
    if kind == "audio" and d.u[i, 17] < 0.4:
        w = s.world
        song = _text(w, d.words(i, "title"), True)
        album = _text(w, d.words(i, "name"), True)
        artist, genre = d.people[int(d.person[i, 0])], cat.GENRES[int(d.u[i, 11] * len(cat.GENRES))]
        media["tags"] = {"title": song, "artist": artist, "album": album, "genre": genre}
    elif kind == "image" and d.u[i, 17] < 0.1:
        caption = _text(s.world, d.words(i, "description")[:8], True)
        media["description"] = {"caption": caption, "creator": d.people[int(d.person[i, 1])]}
    return media


def _metadata(s: Synth, d: _Draws, i: int, taken: datetime | None) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if d.u[i, 12] < 0.6:
        meta["project"] = cat.PROJECTS[int(d.project[i])]
    if d.u[i, 13] < 0.4:
        meta["client"] = cat.CLIENTS[int(d.client[i])]
    if d.u[i, 14] < 0.5:
        meta["rating"] = 1 + int(d.u[i, 15] * 5)
    if taken is not None and d.u[i, 16] < 0.3:
        meta["shot_on"] = f"{taken:%Y-%m-%d}"
    return meta
