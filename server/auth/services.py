"""Sign-in and the token lifecycle.

Access tokens are short-lived HS256 JWTs (15 minutes). Refresh tokens are opaque random strings,
stored only as SHA-256, bound to the device they were issued to, and rotated at every use: each use
returns a new token and marks the old one used. A used token presented again means someone holds a
copy, so the whole family (every token descended from that sign-in) is revoked (OAuth 2.0 Security
BCP, refresh token rotation). One exception keeps bad networks from signing specialists out: the
same device retrying within a few seconds, because the answer to its first try was lost, gets a
fresh token instead, and the successor it never received is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

import jwt
from flask import current_app
from sqlalchemy import select, update

from server.audit import services as audit
from server.auth.models import Device, RefreshToken
from server.auth.passwords import DEMO_PASSWORD, hash_password, needs_rehash, verify_password
from server.dbtypes import utcnow
from server.errors import HuifangError
from server.extensions import db
from server.security import lockout
from server.users.models import User


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _refresh_error(code: str, zh: str, en: str) -> HuifangError:
    return HuifangError(code, zh, en, 401)


def invalid_credentials() -> HuifangError:
    return HuifangError("invalid_credentials", "用户名或密码错误", "Wrong username or password", 401)


def authenticate_password(username: str, password: str) -> User:
    username = username.strip().lower()
    user = db.session.scalars(select(User).where(User.username == username)).first()
    lockout.refuse_if_locked(user)  # before the password is checked: the answer reveals nothing
    ok = verify_password(user.password_hash if user else None, password)
    if not ok:
        audit.record("login_failed", target=user, username=username)
        locked = user is not None and lockout.record_failure(user)
        db.session.commit()
        raise lockout.account_locked(user.locked_until) if locked else invalid_credentials()
    lockout.record_success(user)
    if current_app.config["HUIFANG_ENV"] == "production" and password == DEMO_PASSWORD:
        raise HuifangError(
            "demo_password_refused",
            "生产环境不允许使用演示密码，请联系管理员重置密码",
            "The demo password is not accepted in production; ask an administrator to reset it",
            403,
        )
    if not user.active:
        raise HuifangError("user_inactive", "账号已停用", "This account is disabled", 403)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _device_for(user: User, device_uuid: str, name: str | None, client: str) -> Device:
    device = db.session.scalars(
        select(Device).where(Device.user_id == user.id, Device.device_uuid == device_uuid)
    ).first()
    if device is None:
        device = Device(user_id=user.id, device_uuid=device_uuid, name=name, client=client)
        db.session.add(device)
        db.session.flush()
        audit.record("device_registered", target=device, actor=user, client=client, name=name)
    elif device.revoked_at is not None:
        raise HuifangError("device_revoked", "此设备已被停用", "This device has been revoked", 403)
    device.last_seen_at = utcnow()
    if name:
        device.name = name
    return device


def access_token(user: User, device: Device) -> tuple[str, int]:
    ttl = current_app.config["HUIFANG_ACCESS_TOKEN_TTL"]
    now = utcnow()
    claims = {
        "iss": "huifang",
        "typ": "access",
        "sub": str(user.id),
        "dev": device.id,
        "iat": now,
        "exp": now + timedelta(seconds=ttl),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, current_app.config["SECRET_KEY"], algorithm="HS256"), ttl


def _new_refresh(user: User, device: Device, family_id: str) -> tuple[RefreshToken, str]:
    token = secrets.token_urlsafe(32)
    ttl = current_app.config["HUIFANG_REFRESH_TOKEN_TTL"]
    row = RefreshToken(
        token_hash=_token_hash(token),
        family_id=family_id,
        user_id=user.id,
        device_id=device.id,
        expires_at=utcnow() + timedelta(seconds=ttl),
    )
    db.session.add(row)
    db.session.flush()
    return row, token


def _grant(user: User, device: Device, refresh: str) -> dict:
    access, ttl = access_token(user, device)
    return {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": ttl,
        "refresh_token": refresh,
        "refresh_expires_in": current_app.config["HUIFANG_REFRESH_TOKEN_TTL"],
        "user": user,
    }


def login(username: str, password: str, device_uuid: str, device_name: str | None, client: str) -> dict:
    user = authenticate_password(username, password)
    return sign_in(user, device_uuid, device_name, client)


def sign_in(user: User, device_uuid: str, device_name: str | None, client: str, **audited) -> dict:
    """The tokens of a user who proved who they are (password or passkey), on this device: a new
    refresh-token family bound to the device, and the access token. Commits."""
    device = _device_for(user, device_uuid, device_name, client)
    _, refresh = _new_refresh(user, device, family_id=str(uuid.uuid4()))
    audit.record("login", target=user, actor=user, device_id=device.id, client=client, **audited)
    grant = _grant(user, device, refresh)
    db.session.commit()
    return grant


def refresh(token: str, device_uuid: str) -> dict:
    now = utcnow()
    row = db.session.scalars(
        select(RefreshToken).where(RefreshToken.token_hash == _token_hash(token))
    ).first()
    if row is not None and row.device.revoked_at is not None and row.device.device_uuid == device_uuid:
        # Before the token's own state: revoking a device revokes its tokens too, and the field app
        # must hear "revoked" (it wipes itself), not just "sign in again".
        raise _refresh_error("device_revoked", "此设备已被停用", "This device has been revoked")
    if row is None or row.revoked_at is not None:
        raise _refresh_error(
            "refresh_token_invalid", "登录凭证无效，请重新登录", "The refresh token is invalid"
        )
    if row.device.device_uuid != device_uuid:
        # A token presented from another device was copied: end the whole family.
        revoke_family(row.family_id, reason="device_mismatch")
        db.session.commit()
        raise _refresh_error(
            "device_mismatch", "登录凭证与设备不符，请重新登录", "The token belongs to another device"
        )
    if row.expires_at <= now:
        raise _refresh_error(
            "refresh_token_expired", "登录已过期，请重新登录", "The refresh token has expired"
        )
    user = db.session.get(User, row.user_id)
    if not user.active:
        raise HuifangError("user_inactive", "账号已停用", "This account is disabled", 401)
    if row.device.revoked_at is not None:
        raise _refresh_error("device_revoked", "此设备已被停用", "This device has been revoked")

    # Mark used only if nobody did before us: two racing requests cannot both rotate the same link.
    claimed = db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed and not _retry_within_grace(row, now):
        revoke_family(row.family_id, reason="reuse")
        db.session.commit()
        raise _refresh_error(
            "refresh_token_reused",
            "登录凭证已被使用过，为安全起见已退出所有相关登录，请重新登录",
            "The refresh token was already used; its sign-in was ended for safety. Please sign in again",
        )
    successor, new_token = _new_refresh(user, row.device, row.family_id)
    db.session.execute(
        update(RefreshToken).where(RefreshToken.id == row.id).values(replaced_by_id=successor.id)
    )
    row.device.last_seen_at = now
    grant = _grant(user, row.device, new_token)
    db.session.commit()
    return grant


def _retry_within_grace(row: RefreshToken, now) -> bool:
    """The same device asking again right after a rotation whose answer it never received.

    Allowed only while the successor it was given has not been used: then that successor is
    revoked (nobody can hold it but a thief) and the caller gets a new one.
    """
    db.session.refresh(row)
    grace = current_app.config["HUIFANG_REFRESH_REUSE_GRACE"]
    if grace <= 0 or row.used_at is None or (now - row.used_at).total_seconds() > grace:
        return False
    if row.replaced_by_id is None:
        return False
    revoked = db.session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.id == row.replaced_by_id,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    return bool(revoked)


def revoke_family(family_id: str, reason: str) -> None:
    rows = db.session.scalars(select(RefreshToken).where(RefreshToken.family_id == family_id)).all()
    now = utcnow()
    for row in rows:
        if row.revoked_at is None:
            row.revoked_at = now
    if rows:
        audit.record(
            "refresh_family_revoked",
            target=db.session.get(User, rows[0].user_id),
            family_id=family_id,
            reason=reason,
        )


def revoke_user_tokens(user: User, reason: str) -> None:
    db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    audit.record("user_tokens_revoked", target=user, reason=reason)


def revoke_device_tokens(device: Device) -> int:
    """Revoke every refresh token issued to this device; the number revoked. The caller audits."""
    return db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.device_id == device.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount


def logout(token: str) -> None:
    """End the sign-in that this refresh token belongs to. Unknown tokens are ignored (idempotent)."""
    row = db.session.scalars(
        select(RefreshToken).where(RefreshToken.token_hash == _token_hash(token))
    ).first()
    if row is not None:
        revoke_family(row.family_id, reason="logout")
        db.session.commit()
