"""HDR (PQ and HLG) video frames tone-mapped to an SDR sRGB picture, for posters.

The FFmpeg bundled with PyAV has ``tonemap`` but not ``zscale``, which it needs to linearise PQ or
HLG first, and its ``colorspace`` filter knows neither transfer. So this is done here, in numpy,
on the frame already scaled to poster size: the transfer's inverse to linear light (SMPTE ST 2084;
ARIB STD-B67 with the BT.2100 OOTF at 1000 cd/m2), SDR white at 203 cd/m2 (BT.2408), an extended
Reinhard curve up to the frame's peak, BT.2020 to BT.709 primaries, then sRGB's transfer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

SDR_WHITE = 203.0  # cd/m2, BT.2408's reference white
HLG_PEAK = 1000.0
# BT.2020 to BT.709 primaries, linear light (BT.2087).
_TO_709 = np.array(
    [[1.6605, -0.5876, -0.0728], [-0.1246, 1.1329, -0.0083], [-0.0182, -0.1006, 1.1187]], dtype=np.float32
)
_M1, _M2 = 2610 / 16384, 2523 / 4096 * 128
_C1, _C2, _C3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32


def to_sdr(rgb48: Any, transfer: str) -> Image.Image:
    """A 16-bit RGB frame (H x W x 3, BT.2020 primaries, ``transfer`` "PQ" or "HLG") as 8-bit sRGB."""
    signal = np.asarray(rgb48, dtype=np.float32) / 65535.0
    nits = _pq_to_nits(signal) if transfer == "PQ" else _hlg_to_nits(signal)
    linear = nits / SDR_WHITE
    luminance = linear @ np.array([0.2627, 0.6780, 0.0593], dtype=np.float32)
    peak = max(float(np.percentile(luminance, 99.9)), 1.0)
    mapped = luminance * (1 + luminance / (peak * peak)) / (1 + luminance)
    scale = np.divide(mapped, luminance, out=np.ones_like(luminance), where=luminance > 1e-6)
    display = np.clip((linear * scale[..., None]) @ _TO_709.T, 0.0, 1.0)
    encoded = np.where(display <= 0.0031308, display * 12.92, 1.055 * np.power(display, 1 / 2.4) - 0.055)
    return Image.fromarray(np.round(encoded * 255).astype(np.uint8), "RGB")


def _pq_to_nits(signal: Any) -> Any:
    power = np.power(signal, 1 / _M2)
    return 10000.0 * np.power(np.maximum(power - _C1, 0) / (_C2 - _C3 * power), 1 / _M1)


def _hlg_to_nits(signal: Any) -> Any:
    a, b, c = 0.17883277, 0.28466892, 0.55991073
    scene = np.where(signal <= 0.5, signal * signal / 3, (np.exp((signal - c) / a) + b) / 12)
    luminance = scene @ np.array([0.2627, 0.6780, 0.0593], dtype=np.float32)
    gamma = 1.2  # the system gamma at a 1000 cd/m2 display
    return HLG_PEAK * scene * np.power(np.maximum(luminance, 1e-6), gamma - 1)[..., None]
