"""The bench's vocabulary: real English words (with their inflections, so stemming matters) ranked
first, then generated pseudo-words, ~20,000 in all, drawn with a Zipf-Mandelbrot law.

Nothing is read from the machine (no /usr/share/dict here, none in a fresh clone): the same seed
gives the same words and the same ranks everywhere, so the runner can name the common, the
mid-frequency and the rare word without asking the database.
"""

from __future__ import annotations

import random

import numpy as np
import numpy.typing as npt


def _split(text: str) -> list[str]:
    return text.split()


SIZE = 20_000
# Zipf-Mandelbrot: p(rank k) ~ 1 / (k + Q) ** S (Q flattens the head, as real text does).
S = 1.05
Q = 2.7

NOUNS = _split("""
sunset sunrise beach mountain river forest lake ocean harbor island valley canyon desert meadow
garden park street bridge tower castle church temple market city village station airport road
trail cliff cave waterfall glacier volcano field farm vineyard orchard coast shore wave storm cloud
rain snow fog mist rainbow lightning thunder wind sky star moon planet galaxy comet eclipse horizon
portrait face smile child family wedding bride groom guest party concert festival parade crowd
dancer singer musician band guitar piano drum violin stage audience speaker interview meeting office
studio team product bottle glass cup plate table chair window door wall roof stair kitchen bedroom
house apartment building skyline neighborhood alley fountain statue monument museum gallery library
school student teacher class lesson book paper pencil camera lens tripod drone light shadow
reflection silhouette texture pattern color detail macro flower rose tulip daisy lily orchid tree
leaf branch root seed fruit apple orange lemon banana grape cherry berry vegetable tomato potato
carrot bread cake cookie coffee tea wine beer dinner lunch breakfast picnic restaurant chef recipe
dog cat horse cow sheep goat pig chicken duck bird eagle owl parrot swan fish shark whale dolphin
turtle frog butterfly bee spider insect lion tiger bear wolf fox deer rabbit squirrel monkey
elephant giraffe zebra car truck bus train tram bicycle motorcycle boat ship yacht plane helicopter
rocket engine wheel tire track race game match player coach ball goal score trophy medal athlete
runner swimmer climber skier surfer hiker tent campfire backpack map compass journey adventure
holiday vacation trip tour visitor tourist hotel room pool spa resort cabin lodge lighthouse pier
dock anchor sail net rope knot shell sand pebble rock stone crystal diamond gold silver copper iron
steel wood timber brick concrete marble glassware ceramic fabric leather cotton wool silk dress
shirt jacket coat hat shoe boot scarf glove ring necklace bracelet watch clock calendar schedule
poster banner logo brand campaign advert catalog brochure magazine newspaper article headline story
chapter scene shot frame clip footage trailer episode season series documentary film movie cinema
theater actor actress director producer editor writer author poet artist painter sculptor designer
architect engineer doctor nurse hospital patient soldier police firefighter worker farmer fisher
baker butcher tailor carpenter plumber mechanic pilot captain sailor driver passenger ticket
suitcase luggage passport border country nation capital province region county district
""")

VERBS = _split("""
walk run jump swim climb ride drive fly sail dance sing play paint draw cook bake eat drink laugh
cry smile wave hug kiss shout whisper talk speak listen watch look view shoot record film edit
print frame capture launch open close build create design plan travel explore discover visit
celebrate gather meet greet work train practice compete win lose finish start arrive leave return
rest sleep dream wake wander hike camp fish hunt plant grow harvest pick carry lift push pull throw
catch kick hit score cheer clap perform present announce interview report review publish share
""")

ADJECTIVES = _split("""
golden silver dark bright sunny cloudy rainy snowy foggy misty stormy windy calm quiet loud busy
empty crowded ancient modern old new young small large tiny huge tall short wide narrow deep
shallow warm cold hot frozen wet dry green blue red yellow purple pink brown black white grey
orange vibrant pale vivid soft sharp blurry candid formal casual urban rural wild tropical arctic
coastal alpine rustic vintage retro classic elegant minimal abstract colorful dramatic moody
peaceful festive romantic happy sad lonely proud curious playful serene majestic rugged lush
barren dusty muddy sandy rocky grassy leafy floral aerial underwater nocturnal seasonal annual
""")

PLACES = _split("""
Paris London Berlin Tokyo Kyoto Rome Venice Madrid Lisbon Porto Vienna Prague Budapest Oslo
Stockholm Helsinki Copenhagen Dublin Edinburgh Amsterdam Brussels Zurich Geneva Athens Istanbul
Cairo Marrakech Nairobi Lagos Seoul Shanghai Beijing Singapore Bangkok Hanoi Sydney Melbourne
Auckland Toronto Vancouver Montreal Chicago Boston Seattle Denver Austin Miami Havana Lima Bogota
Santiago Quito Mexico Iceland Norway Patagonia Alaska Hawaii Provence Tuscany Bavaria Andalusia
""")


def _plural(word: str) -> str:
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in set("aeiou"):
        return word[:-1] + "ies"
    return word + "s"


def _verb_forms(word: str) -> list[str]:
    stem = word[:-1] if word.endswith("e") and not word.endswith("ee") else word
    if word.endswith("y") and word[-2:-1] not in set("aeiou"):
        past = word[:-1] + "ied"
    elif word.endswith("e"):
        past = word + "d"
    else:
        past = word + "ed"
    return [word, _plural(word), stem + "ing", past]


def real_words() -> list[str]:
    """The English words and their forms (``sunset``/``sunsets``, ``walk``/``walking``/``walked``)."""
    words: list[str] = []
    for noun in NOUNS:
        words += [noun, _plural(noun)]
    for verb in VERBS:
        words += _verb_forms(verb)
    words += ADJECTIVES + [place.lower() for place in PLACES]
    return list(dict.fromkeys(words))


_ONSETS = _split(
    "b c d f g h j k l m n p r s t v w z bl br ch cl cr dr fl fr gl gr pl pr sh sk sl sp st str th tr"
)
_VOWELS = _split("a e i o u ai ea ee oa ou io")
_CODAS = ["", "", "", "n", "r", "l", "s", "t", "m", "nd", "rt", "st", "ng", "ck"]
_SUFFIXES = ["", "", "", "s", "ing", "ed", "er", "ers", "ly", "ness", "tion", "ment", "al"]


def vocabulary(seed: int) -> list[str]:
    """``SIZE`` words by rank: the real words first (in a seeded order), then pseudo-words."""
    rng = random.Random(seed)
    real = real_words()
    rng.shuffle(real)
    seen = set(real)
    words = list(real)
    while len(words) < SIZE:
        syllables = rng.choice((1, 2, 2, 2, 3))
        core = "".join(
            rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(syllables)
        )
        word = core + rng.choice(_SUFFIXES)
        if 4 <= len(word) <= 16 and word not in seen:
            seen.add(word)
            words.append(word)
    return words


def zipf(n: int) -> npt.NDArray[np.float64]:
    """Probabilities of ranks 0..n-1 under the bench's Zipf-Mandelbrot law."""
    weights: npt.NDArray[np.float64] = 1.0 / (np.arange(n, dtype=np.float64) + 1.0 + Q) ** S
    probabilities: npt.NDArray[np.float64] = weights / weights.sum()
    return probabilities


def place_names() -> list[str]:
    """Capitalised names, for tags and collection names as people write them."""
    return list(PLACES)
