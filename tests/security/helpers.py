"""Module-wide worlds for the matrix tests: records made once and shared by hundreds of cases.

The suite empties every table after each test (tests/conftest.py); a matrix module turns that off for
its own tests (``_empty_tables`` overridden) and empties the tables once, when the module is done.
"""

from __future__ import annotations

import time
import uuid

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from server import demo
from server.auth.passwords import hash_password
from server.extensions import db
from server.users.models import User, UserRole
from tests.server.conftest import PASSWORD, Caller, login


def truncate_all(app) -> None:
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        for attempt in range(5):
            try:
                with db.engine.begin() as conn:
                    if db.engine.dialect.name == "postgresql":
                        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
                    else:
                        for table in tables:
                            conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - our metadata
                break
            except OperationalError:
                if attempt == 4:
                    raise
                time.sleep(0.5)


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
