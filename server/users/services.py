"""Users and roles (R3): the administrator's changes, always within the caller's subtree."""

from __future__ import annotations

import base64
import binascii

from sqlalchemy import or_, select

from server.audit import services as audit
from server.auth.passwords import check_strength, hash_password
from server.auth.services import revoke_user_tokens
from server.dbtypes import utcnow
from server.errors import HuifangError
from server.extensions import db
from server.institutions.models import Institution
from server.policies.models import Salesperson
from server.policies.phones import normalise_phone
from server.scoping import Scope
from server.users.models import User, UserRole
from server.users.roles import ADMIN, SPECIALIST


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


def list_users(scope: Scope, args: dict) -> tuple[list[User], str | None]:
    """Users in scope, newest id last, keyset-paginated (stable under inserts)."""
    stmt = scope.filter(select(User), User).order_by(User.id)
    if args.get("q"):
        like = f"%{args['q'].strip()}%"
        stmt = stmt.where(
            or_(User.username.ilike(like), User.display_name.ilike(like), User.phone.like(like))
        )
    if "institution_id" in args:
        root = scope.get(Institution, args["institution_id"], "机构", "institution")
        stmt = stmt.where(User.institution_id.in_(Scope(root.path).institution_ids()))
    if "role" in args:
        stmt = stmt.where(User.role_rows.any(UserRole.role == args["role"]))
    if "active" in args:
        stmt = stmt.where(User.active.is_(args["active"]))
    if args.get("cursor"):
        stmt = stmt.where(User.id > _decode_cursor(args["cursor"]))
    limit = args["limit"]
    rows = list(db.session.scalars(stmt.limit(limit + 1)).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, _encode_cursor(rows[-1].id) if more else None


def _institution_for_user(scope: Scope, institution_id: int) -> Institution:
    inst = db.session.get(Institution, institution_id)
    if inst is None:
        raise HuifangError(
            "institution_not_found",
            "机构不存在",
            "No such institution",
            422,
            {"institution_id": institution_id},
        )
    scope.require(inst)
    if not inst.active:
        raise HuifangError("institution_inactive", "该机构已停用", "That institution is deactivated", 422)
    return inst


def _refuse_salesperson_specialist(phone: str | None, roles: list[str]) -> None:
    """R13: a specialist is never a salesperson. The registry knows salespersons by phone."""
    if not phone or SPECIALIST not in roles:
        return
    seller = db.session.scalars(
        select(Salesperson).where(Salesperson.phone == phone, Salesperson.active.is_(True))
    ).first()
    if seller is not None:
        raise HuifangError(
            "specialist_is_salesperson",
            f"该手机号属于销售人员 {seller.name}（{seller.code}），销售人员不能担任客户服务专员",
            f"This phone belongs to salesperson {seller.code}; a salesperson cannot be a specialist",
            409,
            {"salesperson_code": seller.code},
        )


def _set_roles(user: User, roles: list[str]) -> None:
    wanted = sorted(set(roles))
    user.role_rows = [row for row in user.role_rows if row.role in wanted]
    have = {row.role for row in user.role_rows}
    user.role_rows.extend(UserRole(role=role) for role in wanted if role not in have)


def create(scope: Scope, data: dict) -> User:
    username = data["username"].strip().lower()
    if db.session.scalars(select(User.id).where(User.username == username)).first() is not None:
        raise HuifangError(
            "username_taken", f"用户名 {username} 已存在", f"Username {username} is taken", 409
        )
    inst = _institution_for_user(scope, data["institution_id"])
    check_strength(data["password"], username)
    phone = normalise_phone(data.get("phone"))
    _refuse_salesperson_specialist(phone, data["roles"])
    user = User(
        username=username,
        display_name=data["display_name"].strip(),
        phone=phone,
        institution_id=inst.id,
        password_hash=hash_password(data["password"]),
    )
    _set_roles(user, data["roles"])
    db.session.add(user)
    db.session.flush()
    audit.record("user_created", target=user, institution_id=inst.id, roles=user.roles)
    db.session.commit()
    return user


def update(scope: Scope, actor: User, user_id: int, changes: dict) -> User:
    user = scope.get(User, user_id, "用户", "user")
    # An administrator cannot lock themselves out: someone else must demote or disable them.
    demoted = changes.get("active") is False or ("roles" in changes and ADMIN not in changes["roles"])
    if user.id == actor.id and demoted:
        raise HuifangError(
            "cannot_demote_self",
            "不能停用自己的账号或取消自己的管理员角色",
            "You cannot disable your own account or remove your own administrator role",
            409,
        )
    if "phone" in changes:
        changes = {**changes, "phone": normalise_phone(changes["phone"])}
    _refuse_salesperson_specialist(changes.get("phone", user.phone), changes.get("roles", user.roles))
    before = {"institution_id": user.institution_id, "roles": user.roles, "active": user.active}
    if "institution_id" in changes:
        user.institution_id = _institution_for_user(scope, changes["institution_id"]).id
    if "roles" in changes:
        _set_roles(user, changes["roles"])
    for key in ("display_name", "phone", "active"):
        if key in changes:
            value = changes[key]
            setattr(user, key, value.strip() if isinstance(value, str) else value)
    if changes.get("active") is False:
        revoke_user_tokens(user, reason="deactivated")
    after = {"institution_id": user.institution_id, "roles": user.roles, "active": user.active}
    audit.record("user_updated", target=user, institution_id=user.institution_id, before=before, after=after)
    db.session.commit()
    db.session.refresh(user)
    return user


def set_password(scope: Scope, user_id: int, password: str) -> None:
    user = scope.get(User, user_id, "用户", "user")
    check_strength(password, user.username)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.failed_logins, user.locked_until = 0, None  # a reset by an administrator also unlocks
    revoke_user_tokens(user, reason="password_reset")
    audit.record("user_password_reset", target=user, institution_id=user.institution_id)
    db.session.commit()
