"""Small real images for tests: the server checks that a photo is a JPEG by its content."""

from __future__ import annotations

import io
import os
import random

from PIL import Image


def noise_jpeg(rng: random.Random | None = None, side: int | None = None) -> bytes:
    """A JPEG of random pixels: a different hash every call (or every draw of a seeded ``rng``).
    Noise does not compress, so the size follows the side: about 1.2 bytes a pixel at this quality."""
    rng = rng or random.Random(os.urandom(16))
    side = side or rng.randint(68, 76)
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3)).save(out, "JPEG", quality=95)
    return out.getvalue()
