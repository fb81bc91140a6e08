"""Devices of the caller's subtree, and revoking one (a lost or stolen tablet).

A device belongs to a user; it lies in the subtree of that user's institution (R2), so a supervisor
sees the tablets of their team and an administrator those of their part of the tree, exactly like
the users API. Revoking is final: the access check (server.auth.access) refuses every token of a
revoked device at once, its refresh tokens are revoked here, and sign-in from it is refused. The
field app, answered ``device_revoked``, wipes what it holds (pwa/src/field/logout.js).
"""

from __future__ import annotations

import base64
import binascii

from sqlalchemy import func, or_, select

from server.audit import services as audit
from server.audit.models import AuditEvent
from server.auth.models import Device
from server.auth.services import revoke_device_tokens
from server.dbtypes import utcnow
from server.errors import HuifangError, not_found
from server.extensions import db
from server.institutions.models import Institution
from server.scoping import Scope
from server.users.models import User
from server.visits.models import Visit


def _encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return int(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise HuifangError(
            "cursor_invalid", "分页游标无效", "The page cursor is invalid", 422, {"cursor": cursor}
        ) from exc


def _in_scope(scope: Scope):
    """Devices whose user sits in the scope's subtree."""
    return (
        select(Device)
        .join(User, User.id == Device.user_id)
        .where(User.institution_id.in_(scope.institution_ids()))
    )


def _views(devices: list[Device], current_id: int | None = None) -> list[dict]:
    """Each device with what the list shows beside it (computed, not stored)."""
    if not devices:
        return []
    ids = [d.id for d in devices]
    # "Last sync" is the arrival of the last visit the device pushed. A pull leaves no trace in
    # the database; the refresh that any sync needs every 15 minutes moves last_seen_at.
    last_sync = dict(
        db.session.execute(
            select(Visit.device_id, func.max(Visit.received_at))
            .where(Visit.device_id.in_(ids))
            .group_by(Visit.device_id)
        ).all()
    )
    revoked_ids = [str(d.id) for d in devices if d.revoked_at is not None]
    why: dict[str, tuple[str | None, str | None]] = {}
    if revoked_ids:
        events = db.session.execute(
            select(AuditEvent, User.display_name)
            .outerjoin(User, User.id == AuditEvent.actor_id)
            .where(
                AuditEvent.action == "device_revoked",
                AuditEvent.target_type == Device.__tablename__,
                AuditEvent.target_id.in_(revoked_ids),
            )
            .order_by(AuditEvent.id)
        ).all()
        for event, actor_name in events:
            why[event.target_id] = ((event.data or {}).get("reason"), actor_name)
    users = {
        u.id: u for u in db.session.scalars(select(User).where(User.id.in_({d.user_id for d in devices})))
    }
    views = []
    for d in devices:
        reason, by = why.get(str(d.id), (None, None))
        views.append(
            {
                "id": d.id,
                "name": d.name,
                "client": d.client,
                "user": users[d.user_id],
                "created_at": d.created_at,
                "last_seen_at": d.last_seen_at,
                "last_sync_at": last_sync.get(d.id),
                "revoked_at": d.revoked_at,
                "revoked_reason": reason,
                "revoked_by": by,
                "current": d.id == current_id,
            }
        )
    return views


def list_devices(scope: Scope, args: dict, current_id: int | None = None) -> tuple[list[dict], str | None]:
    """Devices of the scope's users, most recently registered first, keyset-paginated."""
    stmt = _in_scope(scope).order_by(Device.id.desc())
    if args.get("q"):
        like = f"%{args['q'].strip()}%"
        stmt = stmt.where(
            or_(User.username.ilike(like), User.display_name.ilike(like), Device.name.ilike(like))
        )
    if "user_id" in args:
        stmt = stmt.where(Device.user_id == args["user_id"])
    if "institution_id" in args:
        root = scope.get(Institution, args["institution_id"], "机构", "institution")
        stmt = stmt.where(User.institution_id.in_(Scope(root.path).institution_ids()))
    if "client" in args:
        stmt = stmt.where(Device.client == args["client"])
    if "revoked" in args:
        stmt = stmt.where(Device.revoked_at.is_not(None) if args["revoked"] else Device.revoked_at.is_(None))
    if args.get("cursor"):
        stmt = stmt.where(Device.id < _decode_cursor(args["cursor"]))
    limit = args["limit"]
    rows = list(db.session.scalars(stmt.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return _views(rows, current_id), _encode_cursor(rows[-1].id) if more else None


def get_device(scope: Scope, device_id: int) -> Device:
    device = db.session.scalars(_in_scope(scope).where(Device.id == device_id)).first()
    if device is None:
        raise not_found("设备", "device")  # outside the subtree answers exactly like missing
    return device


def revoke(scope: Scope, actor: User, current_device: Device | None, device_id: int, reason: str) -> dict:
    """Revoke a device: its tokens stop working now, its refresh tokens are revoked, sign-in from it
    is refused, and the field app wipes its local data at its next contact. Audited with the reason."""
    device = get_device(scope, device_id)
    reason = reason.strip()
    if not reason:
        raise HuifangError(
            "reason_required",
            "请填写停用原因",
            "Say why the device is revoked",
            422,
            {"fields": {"reason": ["required"]}},
        )
    if device.revoked_at is not None:
        raise HuifangError("device_already_revoked", "该设备已停用", "This device is already revoked", 409)
    if current_device is not None and device.id == current_device.id:
        raise HuifangError(
            "cannot_revoke_own_device",
            "不能停用您正在使用的设备，请退出登录",
            "You cannot revoke the device you are using; sign out instead",
            409,
        )
    owner = db.session.get(User, device.user_id)
    device.revoked_at = utcnow()
    tokens = revoke_device_tokens(device)
    audit.record(
        "device_revoked",
        target=device,
        actor=actor,
        institution_id=owner.institution_id,
        reason=reason,
        user_id=owner.id,
        username=owner.username,
        device_name=device.name,
        client=device.client,
        refresh_tokens_revoked=tokens,
    )
    db.session.commit()
    return _views([device])[0]
