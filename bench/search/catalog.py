"""What the synthetic assets are made of: cameras, file naming, content types, metadata values.

Lists are in popularity order (the generator draws them with a Zipf law, first = most common).
"""

from __future__ import annotations


def _split(text: str) -> list[str]:
    return text.split()


# (make as EXIF writes it, model, the file naming of its stills, its raw format or None)
CAMERAS: tuple[tuple[str, str, str, str | None], ...] = (
    ("Apple", "iPhone 13 Pro", "apple", None),
    ("Apple", "iPhone 14 Pro", "apple", None),
    ("Canon", "Canon EOS R5", "canon", "cr3"),
    ("SONY", "ILCE-7M3", "sony", "arw"),
    ("Apple", "iPhone 15 Pro Max", "apple", None),
    ("Canon", "Canon EOS 5D Mark IV", "canon", "cr2"),
    ("NIKON CORPORATION", "NIKON D850", "nikon", "nef"),
    ("samsung", "SM-S918B", "samsung", None),
    ("Google", "Pixel 7", "pixel", None),
    ("SONY", "ILCE-7M4", "sony", "arw"),
    ("FUJIFILM", "X-T4", "fuji", "raf"),
    ("Apple", "iPhone 12", "apple", None),
    ("Canon", "Canon EOS R6", "canon", "cr3"),
    ("NIKON CORPORATION", "NIKON Z 6_2", "nikon", "nef"),
    ("DJI", "FC3582", "dji", "dng"),
    ("SONY", "ILCE-7RM4", "sony", "arw"),
    ("FUJIFILM", "X-T5", "fuji", "raf"),
    ("Canon", "Canon EOS 90D", "canon", "cr2"),
    ("Google", "Pixel 8 Pro", "pixel", None),
    ("Panasonic", "DC-GH5", "panasonic", "dng"),
    ("SONY", "ILCE-6400", "sony", "arw"),
    ("NIKON CORPORATION", "NIKON D750", "nikon", "nef"),
    ("GoPro", "HERO11 Black", "gopro", None),
    ("FUJIFILM", "X100V", "fuji", "raf"),
    ("OLYMPUS CORPORATION", "E-M1MarkIII", "olympus", "dng"),
    ("Canon", "Canon EOS 6D", "canon", "cr2"),
    ("LEICA CAMERA AG", "LEICA Q2", "leica", "dng"),
    ("NIKON CORPORATION", "NIKON Z 7", "nikon", "nef"),
    ("SONY", "ILCE-1", "sony", "arw"),
    ("Panasonic", "DC-S5", "panasonic", "dng"),
    ("RICOH IMAGING COMPANY, LTD.", "RICOH GR III", "ricoh", "dng"),
    ("SONY", "DSC-RX100M7", "sony", "arw"),
    ("Canon", "Canon EOS M50", "canon", "cr3"),
    ("OM Digital Solutions", "OM-1", "olympus", "dng"),
    ("NIKON CORPORATION", "NIKON Z 8", "nikon", "nef"),
    ("FUJIFILM", "GFX100S", "fuji", "raf"),
    ("DJI", "L2D-20c", "dji", "dng"),
    ("LEICA CAMERA AG", "LEICA M11", "leica", "dng"),
    ("Hasselblad", "X2D 100C", "hasselblad", "dng"),
    ("Blackmagic Design", "Pocket Cinema Camera 6K", "blackmagic", None),
)

LENSES: dict[str, tuple[str, ...]] = {
    "canon": (
        "RF24-70mm F2.8 L IS USM",
        "EF50mm f/1.8 STM",
        "RF70-200mm F2.8 L IS USM",
        "EF24-105mm f/4L IS USM",
    ),
    "sony": ("FE 24-70mm F2.8 GM", "FE 85mm F1.8", "FE 16-35mm F4 ZA OSS", "E 18-135mm F3.5-5.6 OSS"),
    "nikon": ("NIKKOR Z 24-70mm f/4 S", "AF-S NIKKOR 50mm f/1.8G", "NIKKOR Z 70-200mm f/2.8 VR S"),
    "fuji": ("XF16-55mmF2.8 R LM WR", "XF35mmF1.4 R", "XF56mmF1.2 R"),
    "apple": ("iPhone back triple camera 5.7mm f/1.5", "iPhone back camera 4.2mm f/1.6"),
}

# The stills' naming per family: the JPEG's name and the raw's (a number is put in).
STILL_NAMES: dict[str, tuple[str, str]] = {
    "apple": ("IMG_{n:04d}.JPG", "IMG_{n:04d}.HEIC"),
    "canon": ("IMG_{n:04d}.JPG", "_MG_{n:04d}"),
    "sony": ("DSC{n:05d}.JPG", "DSC{n:05d}"),
    "nikon": ("DSC_{n:04d}.JPG", "DSC_{n:04d}"),
    "fuji": ("DSCF{n:04d}.JPG", "DSCF{n:04d}"),
    "dji": ("DJI_{n:04d}.JPG", "DJI_{n:04d}"),
    "samsung": ("{d:%Y%m%d_%H%M%S}.jpg", ""),
    "pixel": ("PXL_{d:%Y%m%d_%H%M%S}{n:03d}.jpg", ""),
    "gopro": ("GOPR{n:04d}.JPG", ""),
    "leica": ("L{n:07d}.JPG", "L{n:07d}"),
}
DEFAULT_STILL = ("P{n:07d}.JPG", "P{n:07d}")

RAW_TYPES = {
    "cr2": "image/x-canon-cr2",
    "cr3": "image/x-canon-cr3",
    "arw": "image/x-sony-arw",
    "nef": "image/x-nikon-nef",
    "raf": "image/x-fuji-raf",
    "dng": "image/x-adobe-dng",
}

# A video's naming per family, with its content type.
VIDEO_NAMES: dict[str, tuple[str, str]] = {
    "apple": ("IMG_{n:04d}.MOV", "video/quicktime"),
    "sony": ("C{n:04d}.MP4", "video/mp4"),
    "canon": ("MVI_{n:04d}.MP4", "video/mp4"),
    "gopro": ("GX01{n:04d}.MP4", "video/mp4"),
    "dji": ("DJI_{n:04d}.MP4", "video/mp4"),
    "pixel": ("PXL_{d:%Y%m%d_%H%M%S}{n:03d}.mp4", "video/mp4"),
    "samsung": ("{d:%Y%m%d_%H%M%S}.mp4", "video/mp4"),
}
DEFAULT_VIDEO = ("{n:05d}.MOV", "video/quicktime")

# Names people give files without a camera's numbering: (pattern, content type, kind).
NAMED_FILES: tuple[tuple[str, str, str], ...] = (
    ("{w1}-{w2}-{n:02d}.png", "image/png", "image"),
    ("{w1}_{w2}_{n:02d}.jpg", "image/jpeg", "image"),
    ("Screenshot {d:%Y-%m-%d} at {d:%H.%M.%S}.png", "image/png", "image"),
    ("{w1}-{w2}.webp", "image/webp", "image"),
    ("scan_{n:04d}.tif", "image/tiff", "image"),
    ("{w1}_take{t}.mp4", "video/mp4", "video"),
    ("{w1}-{w2}-final-v{t}.mp4", "video/mp4", "video"),
    ("screen-recording-{d:%Y-%m-%d}.webm", "video/webm", "video"),
    ("interview_{w1}_take{t}.mov", "video/quicktime", "video"),
)

AUDIO_FILES: tuple[tuple[str, str], ...] = (
    ("ZOOM{n:04d}.WAV", "audio/wav"),
    ("{w1}-{w2}.mp3", "audio/mpeg"),
    ("podcast-ep-{n:03d}.mp3", "audio/mpeg"),
    ("{t:02d} - {w1} {w2}.flac", "audio/flac"),
    ("voice-memo-{d:%Y-%m-%d}.m4a", "audio/mp4"),
)

GENRES = (
    "Ambient",
    "Jazz",
    "Classical",
    "Rock",
    "Electronic",
    "Folk",
    "Podcast",
    "Soundtrack",
    "Pop",
    "Spoken",
)

PROJECTS = _split(
    "apollo gemini mercury artemis voyager pioneer cassini juno galileo hubble kepler rosetta viking "
    "mariner horizon discovery endeavour atlantis columbia challenger orion dragon falcon phoenix "
    "odyssey magellan ulysses hermes athena zeus poseidon hera demeter hestia ares aphrodite dionysus "
    "nova aurora zenith eclipse solstice equinox meridian polaris sirius vega altair rigel deneb lyra "
    "cygnus draco pegasus andromeda perseus cassiopeia carina orionis taurus gemma"
)

CLIENTS = (
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark Industries",
    "Wayne Enterprises",
    "Wonka",
    "Soylent",
    "Tyrell",
    "Cyberdyne",
    "Aperture",
    "Black Mesa",
    "Vandelay",
    "Pied Piper",
    "Gringotts",
    "Oscorp",
    "Monarch",
    "Massive Dynamic",
    "Dunder Mifflin",
    "Sterling Cooper",
    "Prestige Worldwide",
    "Bluth Company",
    "Los Pollos",
    "Krusty Krab",
    "Nakatomi",
    "Weyland",
    "Virtucon",
    "Gekko",
    "Duff",
)

FIRST_NAMES = _split(
    "Ana Ben Chloe David Elena Farid Grace Hugo Ines Jonas Kenji Lena Marco Nadia Omar Paula Quinn "
    "Rosa Samir Tara Uma Victor Wei Ximena Yusuf Zoe"
)
LAST_NAMES = _split(
    "Almeida Brown Chen Dubois Eriksen Fischer Garcia Haddad Ito Jensen Kowalski Larsen Moreau Novak "
    "Okafor Petrov Quintero Rossi Schmidt Tanaka Ueda Varga Weber Yilmaz Zhang"
)

# (workspace slug, name, share of the assets)
WORKSPACES: tuple[tuple[str, str, float], ...] = (
    ("bench-studio", "Bench studio", 0.85),
    ("bench-agency", "Bench agency", 0.08),
    ("bench-archive", "Bench archive", 0.05),
    ("bench-small", "Bench small team", 0.02),
)

STATUSES = (("ready", 0.93), ("failed", 0.03), ("processing", 0.02), ("deleted", 0.02))
