"""Security headers on every response, and a Content-Security-Policy for each kind of page.

Three policies:

- the PWA (field app at /app/, console at /console/, the landing page, their assets and the service
  worker): scripts only from this server, never inline and never ``eval``; styles may be inline
  because Vant and Vue write ``style`` attributes (``v-show``, Vant's positioning of popups);
  images, photos and recordings may be ``blob:`` URLs (the field app's photos, the console's
  authenticated media); the service worker comes from this server.
- the API docs (Swagger UI and ReDoc pages): as strict, except that the one inline script of the
  Swagger UI page is allowed by its SHA-256 (computed from the page actually sent) and ReDoc runs
  its search in a ``blob:`` worker.
- everything else under /api/ (JSON, PDFs, images fetched by the PWA): nothing may run at all.

Nothing the browser loads comes from another origin (closed insurer networks), so no policy names
a host.
"""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, Response, request

DOCS_ENDPOINTS = frozenset({"api-docs.openapi_swagger_ui", "api-docs.openapi_redoc"})


def _policy(directives: dict[str, str]) -> str:
    return "; ".join(f"{name} {value}" for name, value in directives.items())


PWA_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data: blob:",
    "media-src": "'self' blob:",  # the console plays call recordings from blob: URLs
    "font-src": "'self' data:",
    "connect-src": "'self'",
    "worker-src": "'self'",
    "manifest-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
PWA_POLICY = _policy(PWA_DIRECTIVES)

API_POLICY = _policy(
    {"default-src": "'none'", "frame-ancestors": "'none'", "base-uri": "'none'", "form-action": "'none'"}
)

DOCS_DIRECTIVES = {
    **PWA_DIRECTIVES,
    "worker-src": "'self' blob:",  # ReDoc's search index runs in a worker made from a blob
}

# Camera and position for the field app (photos, where the visit took place), nothing else.
PERMISSIONS_POLICY = (
    "camera=(self), geolocation=(self), microphone=(), payment=(), usb=(), display-capture=(), "
    "fullscreen=(self)"
)
HSTS = "max-age=63072000; includeSubDomains"  # two years, HTTPS on every subdomain

_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def docs_policy(html: bytes) -> str:
    """The docs policy with the SHA-256 of each inline script of this very page."""
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    ]
    return _policy({**DOCS_DIRECTIVES, "script-src": " ".join(["'self'", *hashes])})


def content_security_policy(response: Response) -> str:
    if request.endpoint in DOCS_ENDPOINTS and response.mimetype == "text/html":
        return docs_policy(response.get_data())
    if request.path.startswith("/api/"):
        return API_POLICY
    return PWA_POLICY


def add_headers(response: Response, production: bool) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(response)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    if request.path.startswith("/api/") and "Cache-Control" not in headers:
        # Answers carry ID numbers and phones: no browser or proxy keeps a copy unless the
        # endpoint said otherwise (content-addressed media do).
        headers["Cache-Control"] = "no-store"
    if production:
        headers["Strict-Transport-Security"] = HSTS
    return response


def init_app(app: Flask) -> None:
    production = app.config["HUIFANG_ENV"] == "production"
    app.after_request(lambda response: add_headers(response, production))
