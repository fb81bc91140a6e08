"""Security headers on every response, the policy of each kind of page, and body and image limits."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import struct
import zlib

import pytest
from PIL import Image

from server import config as settings
from server.evidence.report import _is_image
from server.security import headers, limits
from tests.conftest import make_app
from tests.server.conftest import assert_error

COMMON = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def directives(policy: str) -> dict[str, str]:
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in policy.split("; ")}


def assert_common(response):
    for name, value in COMMON.items():
        assert response.headers[name] == value, name
    permissions = response.headers["Permissions-Policy"]
    assert "camera=(self)" in permissions and "geolocation=(self)" in permissions
    assert "microphone=()" in permissions
    assert "Strict-Transport-Security" not in response.headers  # only in production


@pytest.mark.parametrize(
    "path", ["/api/v1/health", "/api/v1/me", "/api/v1/no-such-thing", "/api/v1/openapi.json"]
)
def test_api_answers_forbid_everything_and_are_not_stored(client, path):
    response = client.get(path)
    assert_common(response)
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["default-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert response.headers["Cache-Control"] == "no-store"


def test_pwa_pages_get_the_strict_policy(client):
    for path in ("/", "/app/", "/console/", "/app/sw.js"):
        response = client.get(path)
        assert_common(response)
        policy = directives(response.headers["Content-Security-Policy"])
        assert policy["default-src"] == "'self'", path
        assert policy["script-src"] == "'self'", path  # no inline script, no eval
        assert policy["style-src"] == "'self' 'unsafe-inline'"
        assert policy["img-src"] == "'self' data: blob:"
        assert policy["worker-src"] == "'self'"
        assert policy["connect-src"] == "'self'"
        assert policy["object-src"] == "'none'"
        assert policy["base-uri"] == "'self'"
        assert policy["frame-ancestors"] == "'none'"
        assert not any("http" in value for value in policy.values()), "no other origin, ever"


def test_docs_pages_allow_exactly_their_own_inline_script(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    policy = directives(page.headers["Content-Security-Policy"])
    inline = re.findall(rb"<script>(.*?)</script>", page.get_data(), re.DOTALL)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0]).digest()).decode()
    assert policy["script-src"] == f"'self' 'sha256-{digest}'"
    assert "unsafe-inline" not in policy["script-src"] and "unsafe-eval" not in policy["script-src"]
    redoc = directives(client.get("/api/v1/redoc").headers["Content-Security-Policy"])
    assert redoc["script-src"] == "'self'" and redoc["worker-src"] == "'self' blob:"


def test_hsts_in_production_only(app):
    production = make_app(app.config["SQLALCHEMY_DATABASE_URI"], HUIFANG_ENV="production")
    response = production.test_client().get("/api/v1/health")
    assert response.headers["Strict-Transport-Security"] == headers.HSTS
    assert "max-age=63072000" in headers.HSTS


def test_media_keep_their_own_cache_rule():
    from flask import Flask, Response

    flask_app = Flask(__name__)
    with flask_app.test_request_context("/api/v1/visits/x/media/y"):
        response = Response(b"x", headers={"Cache-Control": "private, max-age=31536000, immutable"})
        headers.add_headers(response, production=False)
    assert response.headers["Cache-Control"] == "private, max-age=31536000, immutable"


# --- Request bodies ----------------------------------------------------------------------------------


def test_default_body_limits(monkeypatch):
    monkeypatch.delenv("HUIFANG_MAX_CONTENT_LENGTH", raising=False)
    monkeypatch.delenv("HUIFANG_MAX_UPLOAD_LENGTH", raising=False)
    config = settings.from_environment()
    assert config["MAX_CONTENT_LENGTH"] == 25 * 1024 * 1024  # a 20 MB letter scan, 256 KB sync chunks
    assert config["HUIFANG_MAX_UPLOAD_LENGTH"] == 64 * 1024 * 1024  # a 50 MB call recording


def test_large_body_endpoints_exist(app):
    assert set(app.view_functions) >= limits.LARGE_BODY_ENDPOINTS


def test_too_large_bodies_answer_413_in_our_shape(app, client, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    monkeypatch.setitem(app.config, "HUIFANG_MAX_UPLOAD_LENGTH", 5000)
    padding = "x" * 2000
    # Before sign-in too: the public sign-in endpoint reads no more than the limit.
    assert_error(
        client.post("/api/v1/auth/login", json={"username": padding, "password": "p"}),
        413,
        "payload_too_large",
    )
    admin = login_as("admin", "phone_agent")
    assert_error(admin.post("/api/v1/users", json={"display_name": padding}), 413, "payload_too_large")
    # A recording may be larger than a JSON body, up to the upload limit.
    recording = "/api/v1/callbacks/999999/recording"
    fits = admin.put(recording, data=b"RIFF" + b"\0" * 3000, content_type="application/octet-stream")
    assert fits.status_code != 413, fits.get_json()
    too_big = admin.put(recording, data=b"RIFF" + b"\0" * 6000, content_type="application/octet-stream")
    assert_error(too_big, 413, "payload_too_large")


# --- Images -------------------------------------------------------------------------------------------


def png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header claims ``width`` × ``height`` pixels (a decompression bomb's shape)."""
    raw = io.BytesIO()
    Image.new("1", (1, 1)).save(raw, "PNG")
    data = bytearray(raw.getvalue())
    ihdr = data.index(b"IHDR")
    data[ihdr + 4 : ihdr + 12] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr : ihdr + 17]))
    data[ihdr + 17 : ihdr + 21] = struct.pack(">I", crc)
    return bytes(data)


def test_pillow_threshold_is_set_at_start_up(app):
    assert Image.MAX_IMAGE_PIXELS == app.config["HUIFANG_MAX_IMAGE_PIXELS"] == 40_000_000


def test_the_evidence_report_never_decodes_a_bomb(app):
    photo = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 140, 180)).save(photo, "JPEG")
    assert _is_image(photo.getvalue())
    assert not _is_image(png_claiming(100_000, 100_000))  # Pillow refuses it outright
    with pytest.warns(Image.DecompressionBombWarning):
        assert not _is_image(png_claiming(8_000, 7_000))  # 56 MP: over the threshold, under twice it
