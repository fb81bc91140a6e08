"""Every failure answers in one shape, whatever raised it."""

from __future__ import annotations

import pytest

from server.errors import HuifangError
from tests.conftest import make_app
from tests.server.conftest import assert_error


def test_unknown_url_is_404_in_the_error_shape(client):
    assert_error(client.get("/api/v1/no-such-thing"), 404, "not_found")


def test_wrong_method_is_405_and_keeps_the_allow_header(client):
    response = client.delete("/api/v1/health")
    assert_error(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD"}


def test_missing_token_is_401_with_a_bearer_challenge(client):
    response = client.get("/api/v1/me")
    assert_error(response, 401, "token_missing")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_role_missing_is_403(login_as):
    caller = login_as("specialist")
    assert_error(caller.get("/api/v1/users"), 403, "forbidden")


def test_validation_failure_is_422_with_the_fields(client):
    response = client.post("/api/v1/auth/login", json={"username": 7, "device_id": "not-a-uuid", "extra": 1})
    body = assert_error(response, 422, "validation_error")
    fields = body["details"]["fields"]
    assert set(fields) == {"username", "password", "device_id", "extra"}
    # the same messages in Chinese, for the console's Chinese pages
    zh = body["details"]["fields_zh"]
    assert zh == {
        "username": ["应为文本"],
        "password": ["必填"],
        "device_id": ["不是有效的 UUID"],
        "extra": ["不认识的字段"],
    }, (fields, zh)


def test_body_that_is_not_json_is_a_clear_error(client):
    response = client.post("/api/v1/auth/login", data="{not json", content_type="application/json")
    assert response.status_code in (400, 422)
    assert_error(response, response.status_code, response.get_json()["code"])


def test_integer_ids_are_strict(login_as):
    # marshmallow's lenient Integer takes 2.6e-42 as 0 and "5" as 5; ids must be real integers.
    caller = login_as("admin")
    for bad in (2.6e-42, "5", 1.5, True):
        response = caller.post("/api/v1/institutions", json={"parent_id": bad, "code": "X1", "name": "测试"})
        assert_error(response, 422, "validation_error")


def test_conflict_is_409(login_as):
    caller = login_as("admin")
    body = {
        "username": "dup.user",
        "display_name": "甲",
        "institution_id": caller.user.institution_id,
        "roles": ["specialist"],
        "password": "long-enough-password",
    }
    assert caller.post("/api/v1/users", json=body).status_code == 201
    assert_error(caller.post("/api/v1/users", json={**body, "username": "DUP.user"}), 409, "username_taken")


def test_too_large_body_is_413(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    response = client.post("/api/v1/auth/login", data="x" * 4096, content_type="application/json")
    assert_error(response, 413, "payload_too_large")


def test_unexpected_exception_is_500_without_internals(fresh_database):
    crashing = make_app(fresh_database(), PROPAGATE_EXCEPTIONS=False, TESTING=False)

    from server.auth.access import public

    @crashing.route("/api/v1/_crash")
    @public
    def _crash():
        raise RuntimeError("secret internal detail")

    response = crashing.test_client().get("/api/v1/_crash")
    body = assert_error(response, 500, "internal_error")
    assert "secret" not in response.get_data(as_text=True)
    assert body["details"] == {}


@pytest.mark.parametrize("status", [400, 409, 422, 503])
def test_service_errors_keep_their_status_and_details(app, status):
    with app.test_request_context():
        err = HuifangError("some_rule", "规则不满足", "Rule not met", status, {"field": "x"})
        response = app.handle_user_exception(err)
    assert response.status_code == status
    assert response.get_json() == {
        "code": "some_rule",
        "message": "规则不满足",
        "message_en": "Rule not met",
        "details": {"field": "x"},
    }


def test_nul_characters_are_refused_at_the_door(login_as):
    # PostgreSQL refuses NUL in text columns deep in the driver; every endpoint refuses it first.
    caller = login_as("admin")
    assert_error(caller.get("/api/v1/users?q=a%00b"), 422, "nul_character")
    response = caller.client.post(
        "/api/v1/users",
        data='{"username": "a\\u0000b", "display_name": "x", "institution_id": 1, "roles": [], '
        '"password": "long-enough-password"}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {caller.tokens['access_token']}"},
    )
    assert_error(response, 422, "nul_character")
