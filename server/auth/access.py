"""Who may call what: the one place that decides.

Default deny. Every view needs a valid access token unless it is marked ``@public``; a view marked
``@roles_required(...)`` also needs one of those roles. The check runs in ``before_request``, before
any argument is parsed, so an unauthorised caller learns nothing from validation errors.

The marks are plain attributes on the view functions, so a test can read the whole URL map and
prove that every endpoint has the rule it should (the authorization matrix).
"""

from __future__ import annotations

from collections.abc import Callable

import jwt
from flask import Flask, current_app, g, request

from server.auth.models import Device
from server.errors import HuifangError, forbidden
from server.extensions import db
from server.users.models import User

PUBLIC = "_huifang_public"
ROLES = "_huifang_roles"
# flask-smorest's own blueprint (the OpenAPI JSON and the docs pages) is public by design.
PUBLIC_BLUEPRINTS = frozenset({"api-docs"})


def public(view: Callable) -> Callable:
    setattr(view, PUBLIC, True)
    return view


def roles_required(*roles: str) -> Callable[[Callable], Callable]:
    def mark(view: Callable) -> Callable:
        setattr(view, ROLES, frozenset(roles))
        return view

    return mark


def rule_of(view: Callable, blueprint: str | None) -> str | frozenset[str]:
    """'public', 'authenticated', or the set of roles that may call the view."""
    if blueprint in PUBLIC_BLUEPRINTS or getattr(view, PUBLIC, False):
        return "public"
    return getattr(view, ROLES, None) or "authenticated"


def current_user() -> User:
    return g.user


def _unauthorised(code: str, zh: str, en: str) -> HuifangError:
    err = HuifangError(code, zh, en, 401)
    err.headers["WWW-Authenticate"] = f'Bearer error="invalid_token", error_description="{code}"'
    return err


TOKEN_MISSING = ("token_missing", "请先登录", "Sign-in required: no access token")
TOKEN_EXPIRED = ("token_expired", "登录已过期，请重新登录", "The access token has expired")
TOKEN_INVALID = ("token_invalid", "登录凭证无效，请重新登录", "The access token is invalid")


def decode_access_token(token: str) -> dict:
    """The claims of a token signed with the current key or one of the previous ones (key rotation:
    HUIFANG_SECRET_KEY_PREVIOUS keeps tokens issued before a change valid until they expire).
    HS256 only: ``alg: none`` and every other algorithm are refused."""
    *previous, last = [current_app.config["SECRET_KEY"], *current_app.config["HUIFANG_SECRET_KEY_PREVIOUS"]]
    options = {
        "algorithms": ["HS256"],
        "issuer": "huifang",
        "options": {"require": ["exp", "iat", "sub", "dev", "typ"]},
    }
    for key in previous:
        try:
            return jwt.decode(token, key, **options)
        except jwt.InvalidSignatureError:
            continue
    return jwt.decode(token, last, **options)


def authenticate(token: str) -> tuple[User, Device]:
    """The user and device of a valid access token, or a 401 HuifangError."""
    try:
        claims = decode_access_token(token)
    except jwt.ExpiredSignatureError as exc:
        raise _unauthorised(*TOKEN_EXPIRED) from exc
    except jwt.PyJWTError as exc:
        raise _unauthorised(*TOKEN_INVALID) from exc
    if claims.get("typ") != "access":
        raise _unauthorised(*TOKEN_INVALID)
    try:
        user = db.session.get(User, int(claims["sub"]))
        device = db.session.get(Device, int(claims["dev"]))
    except (TypeError, ValueError) as exc:
        raise _unauthorised(*TOKEN_INVALID) from exc
    if user is None or device is None or device.user_id != user.id:
        raise _unauthorised(*TOKEN_INVALID)
    if not user.active:
        raise _unauthorised("user_inactive", "账号已停用", "This account is disabled")
    if device.revoked_at is not None:
        raise _unauthorised("device_revoked", "此设备已被停用", "This device has been revoked")
    return user, device


def _check_request() -> None:
    endpoint = request.endpoint
    if endpoint is None:  # no route matched: let routing answer 404/405
        return
    view = current_app.view_functions[endpoint]
    rule = rule_of(view, request.blueprint)
    if rule == "public":
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorised(*TOKEN_MISSING)
    g.user, g.device = authenticate(token.strip())
    if rule != "authenticated" and not g.user.has_role(*rule):
        raise forbidden()


def init_app(app: Flask) -> None:
    app.before_request(_check_request)
