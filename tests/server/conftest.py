"""Fixtures for API tests: the demo tree, user factories and ``login_as``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pytest

from server import demo
from server.auth.passwords import hash_password
from server.extensions import db
from server.users.models import User, UserRole

PASSWORD = "correct-horse-battery"


@pytest.fixture
def org(app_ctx):
    """The demo tree: 37 山东省 > 3701 济南市 (370102 历下区, 370103 市中区), 3702 青岛市 (...)."""
    tree = demo.load_tree()
    db.session.commit()
    return {code: inst.id for code, inst in tree.items()}


@pytest.fixture
def make_user(org):
    counter = iter(range(1, 10_000))

    def make(*roles: str, institution: str = "37", username: str | None = None, active: bool = True, **extra):
        user = User(
            username=username or f"user{next(counter)}",
            display_name=extra.pop("display_name", "测试用户"),
            institution_id=org[institution],
            password_hash=hash_password(PASSWORD),
            active=active,
            role_rows=[UserRole(role=role) for role in roles],
            **extra,
        )
        db.session.add(user)
        db.session.commit()
        return user

    return make


@dataclass
class Caller:
    """A signed-in test client: ``caller.get('/api/v1/me')`` sends its bearer token."""

    client: object
    user: User
    device_id: str
    tokens: dict = field(default_factory=dict)

    def _call(self, method, url, **kwargs):
        headers = kwargs.pop("headers", {})
        headers.setdefault("Authorization", f"Bearer {self.tokens['access_token']}")
        return getattr(self.client, method)(url, headers=headers, **kwargs)

    def get(self, url, **kw):
        return self._call("get", url, **kw)

    def post(self, url, **kw):
        return self._call("post", url, **kw)

    def patch(self, url, **kw):
        return self._call("patch", url, **kw)

    def put(self, url, **kw):
        return self._call("put", url, **kw)

    def delete(self, url, **kw):
        return self._call("delete", url, **kw)


def login(client, username: str, password: str = PASSWORD, device_id: str | None = None):
    return client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": password, "device_id": device_id or str(uuid.uuid4())},
    )


@pytest.fixture
def login_as(app, make_user):
    """Make a user with these roles in this institution (by code) and sign it in."""

    def sign_in(*roles: str, institution: str = "37", **extra) -> Caller:
        user = make_user(*roles, institution=institution, **extra)
        device_id = str(uuid.uuid4())
        client = app.test_client()
        response = login(client, user.username, device_id=device_id)
        assert response.status_code == 200, response.json
        return Caller(client, user, device_id, response.json)

    return sign_in


def assert_error(response, status: int, code: str):
    """The one error shape: code, Chinese message, English message, details."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert set(body) == {"code", "message", "message_en", "details"}, body
    assert body["code"] == code, body
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"]), body["message"]
    assert body["message_en"] and body["message_en"].isascii(), body["message_en"]
    assert isinstance(body["details"], dict)
    return body
