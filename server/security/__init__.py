"""Hardening that applies to the whole app, installed by one call from ``create_app``.

- ``headers``: security headers and the Content-Security-Policy of every response.
- ``ratelimit``: Flask-Limiter on sign-in and token refresh (per client address and per account).
- ``lockout``: an account is locked for a while after too many wrong passwords in a row.
- ``limits``: the largest request body per endpoint, and Pillow's decompression-bomb threshold.

Who may call what is decided elsewhere (server.auth.access, server.scoping) and tested as a matrix
in tests/security/.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from server.security import headers, limits, ratelimit


def init_app(app: Flask) -> None:
    """Call after every blueprint is registered: the rate limits wrap views by endpoint name."""
    hops = app.config["HUIFANG_PROXY_HOPS"]
    if hops:
        # Behind a load balancer the client address is in X-Forwarded-For: trust exactly as many
        # hops as there are proxies of ours, or every client shares the balancer's address (and
        # its rate limit), or a client could forge its address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)
    limits.init_app(app)
    ratelimit.init_app(app)
    headers.init_app(app)
