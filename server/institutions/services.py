"""Changes to the institution tree (R2)."""

from __future__ import annotations

from sqlalchemy import func, select

from server.audit import services as audit
from server.errors import HuifangError
from server.extensions import db
from server.institutions.models import CHILD_LEVEL, Institution
from server.scoping import Scope
from server.users.models import User


def list_subtree(scope: Scope) -> list[Institution]:
    # Ordering by path length then path puts every parent before its children.
    stmt = scope.filter(select(Institution), Institution).order_by(
        func.length(Institution.path), Institution.path
    )
    return list(db.session.scalars(stmt))


def _code_free(code: str, except_id: int | None = None) -> None:
    stmt = select(Institution.id).where(Institution.code == code)
    taken = db.session.scalars(stmt).first()
    if taken is not None and taken != except_id:
        raise HuifangError(
            "institution_code_taken", f"机构代码 {code} 已被使用", f"Institution code {code} is taken", 409
        )


def add_root(code: str, name: str) -> Institution:
    """The province: the root of a deployment's tree (bootstrap and demo data only)."""
    _code_free(code)
    province = Institution(code=code, name=name, level="province")
    db.session.add(province)
    db.session.flush()
    province.path = f"/{province.id}/"
    return province


def create_child(scope: Scope, parent_id: int, code: str, name: str) -> Institution:
    parent = scope.get(Institution, parent_id, "上级机构", "parent institution")
    level = CHILD_LEVEL.get(parent.level)
    if level is None:
        raise HuifangError(
            "institution_level_invalid",
            "县级机构下不能再设下级机构",
            "A county-level institution cannot have children",
            422,
        )
    if not parent.active:
        raise HuifangError(
            "institution_inactive", "上级机构已停用", "The parent institution is deactivated", 422
        )
    _code_free(code)
    child = Institution(code=code, name=name.strip(), level=level, parent_id=parent.id)
    db.session.add(child)
    db.session.flush()
    child.path = f"{parent.path}{child.id}/"
    audit.record("institution_created", target=child, institution_id=child.id, code=code, name=name)
    db.session.commit()
    return child


def update(scope: Scope, institution_id: int, changes: dict) -> Institution:
    inst = scope.get(Institution, institution_id, "机构", "institution")
    if "code" in changes:
        _code_free(changes["code"], except_id=inst.id)
    if changes.get("active") is False and inst.active:
        _refuse_deactivation_with_users(inst)
    before = {key: getattr(inst, key) for key in changes}
    for key, value in changes.items():
        setattr(inst, key, value.strip() if isinstance(value, str) else value)
    audit.record("institution_updated", target=inst, institution_id=inst.id, before=before, after=changes)
    db.session.commit()
    return inst


def _refuse_deactivation_with_users(inst: Institution) -> None:
    count = db.session.scalar(
        select(func.count(User.id)).where(
            User.active.is_(True), User.institution_id.in_(Scope(inst.path).institution_ids())
        )
    )
    if count:
        raise HuifangError(
            "institution_has_active_users",
            f"该机构及其下级仍有 {count} 个在用账号，请先调整或停用这些账号",
            f"{count} active users still belong to this institution or below; move or disable them first",
            409,
            {"active_users": count},
        )
