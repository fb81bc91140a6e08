"""The returned paper's scan: judged by its content, bounded in size and in pixels (R13, R4)."""

from __future__ import annotations

import struct
import zlib

import pytest

from server.letters.services import MAX_SCAN_BYTES
from tests.server.conftest import assert_error

from .conftest import jpeg_bytes, mail, pdf_bytes, png_bytes, upload


@pytest.fixture
def mailed(issue):
    caller, letter = issue()
    assert mail(caller, letter["id"]).status_code == 200
    return caller, letter


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int = 30_000, height: int = 30_000) -> bytes:
    """A valid 1-bit PNG of 900 million white pixels that weighs about 100 KB."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", body) + _chunk(b"IEND", b"")


def test_a_text_file_named_pdf_is_refused(mailed):
    caller, letter = mailed
    text = "这不是扫描件，只是改了扩展名的文本。\n".encode() * 20
    response = upload(caller, letter["id"], text, name="回访函.pdf", mimetype="application/pdf")
    body = assert_error(response, 422, "scan_type_unsupported")
    assert body["details"]["fields"] == {"file": ["scan_type_unsupported"]}


def test_an_oversized_file_is_refused(mailed):
    caller, letter = mailed
    big = pdf_bytes() + b"%" + b"0" * (MAX_SCAN_BYTES + 10) + b"\n%%EOF\n"
    assert_error(upload(caller, letter["id"], big), 422, "scan_too_large")


def test_a_decompression_bomb_is_refused(mailed):
    caller, letter = mailed
    bomb = bomb_png()
    assert len(bomb) < 1_000_000
    assert_error(upload(caller, letter["id"], bomb, name="scan.png"), 422, "scan_image_too_large")


def test_an_image_over_the_pixel_limit_is_refused_before_it_is_decoded(mailed):
    caller, letter = mailed
    assert_error(
        upload(caller, letter["id"], bomb_png(8_000, 7_000), name="scan.png"), 422, "scan_image_too_large"
    )


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "scan_empty"),
        (png_bytes()[:-40], "scan_damaged"),  # truncated
        (jpeg_bytes()[:200], "scan_damaged"),
        (pdf_bytes()[:-200], "scan_damaged"),  # no end of file
        (b"GIF89a" + b"\x00" * 100, "scan_type_unsupported"),
    ],
)
def test_empty_damaged_and_other_files_are_refused(mailed, data, code):
    caller, letter = mailed
    assert_error(upload(caller, letter["id"], data, name="scan.png"), 422, code)


@pytest.mark.parametrize(
    ("data", "mime"),
    [(pdf_bytes(), "application/pdf"), (jpeg_bytes(), "image/jpeg"), (png_bytes(), "image/png")],
)
def test_pdf_jpeg_and_png_are_accepted_whatever_their_name(mailed, data, mime):
    caller, letter = mailed
    response = upload(caller, letter["id"], data, name="scan.txt", mimetype="text/plain")
    assert response.status_code == 200, response.json
    assert response.json["scan"]["mime"] == mime


def test_the_file_field_is_required(mailed):
    caller, letter = mailed
    response = caller.post(
        f"/api/v1/letters/{letter['id']}/scan", data={}, content_type="multipart/form-data"
    )
    assert_error(response, 422, "validation_error")
