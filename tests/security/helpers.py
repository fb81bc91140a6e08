"""Module-wide worlds for the matrix tests: records made once and shared by hundreds of cases.

The suite empties every table after each test (tests/conftest.py); a matrix module turns that off for
its own tests (``_empty_tables`` overridden) and empties the tables once, when the module is done.
"""

from __future__ import annotations

import uuid

from server import demo
from server.auth.passwords import hash_password
from server.extensions import db
from server.users.models import User, UserRole
from tests.conftest import empty_all_tables
from tests.server.conftest import PASSWORD, Caller, login

truncate_all = empty_all_tables  # the module-wide worlds empty the tables once, when done


def load_org() -> dict[str, int]:
    tree = demo.load_tree()
    db.session.commit()
    return {code: inst.id for code, inst in tree.items()}


def new_user(org: dict[str, int], username: str, roles, institution: str) -> User:
    user = User(
        username=username,
        display_name="矩阵测试",
        institution_id=org[institution],
        password_hash=hash_password(PASSWORD),
        role_rows=[UserRole(role=role) for role in roles],
    )
    db.session.add(user)
    db.session.commit()
    return user


def sign_in(app, user: User) -> Caller:
    client = app.test_client()
    device_id = str(uuid.uuid4())
    response = login(client, user.username, device_id=device_id)
    assert response.status_code == 200, response.get_json()
    return Caller(client, user, device_id, response.get_json())
