"""Demo data: Shandong with two cities and two counties each, and one user per role.

Idempotent: rows are found by code or username and left as they are when present, so `make run`
may load it every time. Refused when HUIFANG_ENV=production (its password is public).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from server.auth.passwords import DEMO_PASSWORD, hash_password
from server.extensions import db
from server.institutions.models import Institution
from server.users import roles
from server.users.models import User, UserRole

# (code, name, children); codes are the administrative division codes (GB/T 2260).
TREE = (
    "37",
    "山东省",
    [
        ("3701", "济南市", [("370102", "历下区", []), ("370103", "市中区", [])]),
        ("3702", "青岛市", [("370202", "市南区", []), ("370211", "黄岛区", [])]),
    ],
)


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    institution_code: str
    roles: tuple[str, ...]


USERS = (
    DemoUser("admin", "系统管理员", "37", (roles.ADMIN,)),
    DemoUser("reviewer1", "李审核", "37", (roles.REVIEWER,)),
    DemoUser("agent1", "赵坐席", "37", (roles.PHONE_AGENT,)),
    DemoUser("designer1", "孙设计", "37", (roles.DESIGNER,)),
    DemoUser("compliance1", "周合规", "37", (roles.COMPLIANCE_OFFICER,)),
    DemoUser("supervisor1", "陈主管", "3701", (roles.SUPERVISOR,)),
    DemoUser("specialist1", "王专员", "370102", (roles.SPECIALIST,)),
    DemoUser("specialist2", "刘专员", "370202", (roles.SPECIALIST,)),
)


def _institution(code: str, name: str, level: str, parent: Institution | None) -> Institution:
    inst = db.session.scalars(select(Institution).where(Institution.code == code)).first()
    if inst is None:
        inst = Institution(code=code, name=name, level=level, parent_id=parent.id if parent else None)
        db.session.add(inst)
        db.session.flush()
        inst.path = f"{parent.path if parent else '/'}{inst.id}/"
    return inst


def load_tree() -> dict[str, Institution]:
    """The demo institutions by code (created when missing)."""
    code, name, cities = TREE
    province = _institution(code, name, "province", None)
    found = {code: province}
    for city_code, city_name, counties in cities:
        city = found[city_code] = _institution(city_code, city_name, "city", province)
        for county_code, county_name, _ in counties:
            found[county_code] = _institution(county_code, county_name, "county", city)
    db.session.flush()
    return found


def load() -> list[DemoUser]:
    load_tree()
    password_hash = hash_password(DEMO_PASSWORD)
    for demo in USERS:
        if db.session.scalars(select(User).where(User.username == demo.username)).first():
            continue
        inst = db.session.scalars(select(Institution).where(Institution.code == demo.institution_code)).one()
        db.session.add(
            User(
                username=demo.username,
                display_name=demo.display_name,
                institution_id=inst.id,
                password_hash=password_hash,
                role_rows=[UserRole(role=role) for role in demo.roles],
            )
        )
    db.session.commit()
    # The built-in province questionnaires, published (idempotent).
    from server.questionnaires.services import load_templates

    load_templates()
    return list(USERS)
