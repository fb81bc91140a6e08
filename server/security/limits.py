"""How much a request may send, and how large an image the server agrees to decode.

Every body is capped by ``HUIFANG_MAX_CONTENT_LENGTH`` (25 MB by default): JSON, a letter's scan
(at most 20 MB, server.letters), a chunk of a photo from the tablet (256 KB, sync). The endpoints
below take a whole file as their body and may send up to ``HUIFANG_MAX_UPLOAD_LENGTH`` (64 MB):
a call recording (at most 50 MB, server.callbacks) and an intake file (streamed to disk; larger
ones go through the CLI). Too large answers 413 in the project's error shape (server.errors).

Pillow refuses to open an image of more than twice ``Image.MAX_IMAGE_PIXELS`` (a decompression
bomb: a few KB of PNG that decode to gigabytes); the threshold is set here at start-up rather than
left to the library's default, and each place that opens images turns the refusal into a 422.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from PIL import Image

# Endpoints whose body is one uploaded file (each checks its own, smaller, limit too).
LARGE_BODY_ENDPOINTS = frozenset({"callbacks.put_recording", "intake.upload_file"})


def _allow_large_bodies() -> None:
    if request.endpoint in LARGE_BODY_ENDPOINTS:
        request.max_content_length = current_app.config["HUIFANG_MAX_UPLOAD_LENGTH"]


def init_app(app: Flask) -> None:
    Image.MAX_IMAGE_PIXELS = app.config["HUIFANG_MAX_IMAGE_PIXELS"]
    # First of all hooks: nothing may read the body before its limit is known.
    app.before_request_funcs.setdefault(None, []).insert(0, _allow_large_bodies)
