"""Rate limits on sign-in and token refresh (Flask-Limiter).

Two limits on each of ``POST /auth/login``, ``POST /auth/refresh`` and ``POST /auth/passkeys/login``:

- per client address, counting only the attempts that failed (``HUIFANG_RATELIMIT_PER_ADDRESS``,
  10/minute): an office of thirty tablets behind one NAT address all signing in at 8:30 is not
  throttled, a password-guessing script from one address is;
- per account, counting every attempt (``HUIFANG_RATELIMIT_PER_ACCOUNT``, 5/minute): the username
  for a sign-in, the device for a refresh, so that spreading a guess over many addresses does not
  help either. The account lockout (server.security.lockout) is the slower, stored second line.

A refused call answers 429 ``rate_limited`` in the project's error shape with ``Retry-After``.
Counters live in ``HUIFANG_RATELIMIT_STORAGE_URI``: ``memory://`` for one process (the embedded
default), ``redis://...`` when several app servers must share them (ARCHITECTURE.md: nothing in
process memory that another server would need). If Redis goes away the limits fall back to
memory rather than turning sign-in into a 500.

The views are wrapped here, by endpoint name, so that the auth blueprint stays about auth; the
wrapper keeps the view's attributes (``@public``), so the authorization matrix still reads them.
"""

from __future__ import annotations

import math
import time

from flask import Flask, current_app, jsonify, request
from flask_limiter import Limiter, RateLimitExceeded

from server.errors import HuifangError

EXTENSION = "huifang_limiter"


def client_address() -> str:
    # The peer address, or the client's one behind our own proxies (HUIFANG_PROXY_HOPS, ProxyFix).
    return request.remote_addr or "unknown"


def _body_field(name: str) -> str:
    body = request.get_json(silent=True)
    value = body.get(name) if isinstance(body, dict) else None
    if not isinstance(value, str) or not value.strip():
        return "(none)"  # a malformed body: it will be refused by validation anyway
    return value.strip().lower()[:128]


def username_key() -> str:
    return "user:" + _body_field("username")


def device_key() -> str:
    return "device:" + _body_field("device_id")


def _failed(response) -> bool:
    # 429 itself is not an attempt: a client that waits for Retry-After gets its turn back.
    return response.status_code >= 400 and response.status_code != 429


# endpoint -> the key of its per-account limit
LIMITED_ENDPOINTS = {
    "auth.login": username_key,
    "auth.refresh": device_key,
    "passkeys.login": device_key,  # a passkey sign-in: per device, like a refresh
}


def rate_limited(retry_after: int) -> HuifangError:
    err = HuifangError(
        "rate_limited",
        "尝试次数过多，请稍后再试",
        "Too many attempts, please try again later",
        429,
        {"retry_after": retry_after},
    )
    err.headers["Retry-After"] = str(retry_after)
    return err


def _on_rate_limited(exc: RateLimitExceeded):
    limiter: Limiter = current_app.extensions[EXTENSION]
    current = limiter.current_limit
    retry_after = 60
    if current is not None:
        retry_after = max(1, math.ceil(current.reset_at - time.time()))
    err = rate_limited(retry_after)
    response = jsonify(err.to_dict())
    response.status_code = err.status
    response.headers.update(err.headers)
    return response


def init_app(app: Flask) -> None:
    limiter = Limiter(
        key_func=client_address,
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        strategy="moving-window",
        key_prefix="huifang",
        in_memory_fallback_enabled=True,
        headers_enabled=False,
    )
    limiter.init_app(app)  # does nothing more when RATELIMIT_ENABLED is off (the tests' default)
    app.extensions[EXTENSION] = limiter
    per_address = app.config["HUIFANG_RATELIMIT_PER_ADDRESS"]
    per_account = app.config["HUIFANG_RATELIMIT_PER_ACCOUNT"]
    for endpoint, account_key in LIMITED_ENDPOINTS.items():
        view = app.view_functions[endpoint]
        view = limiter.limit(per_address, key_func=client_address, deduct_when=_failed)(view)
        view = limiter.limit(per_account, key_func=account_key)(view)
        app.view_functions[endpoint] = view
    app.register_error_handler(RateLimitExceeded, _on_rate_limited)
