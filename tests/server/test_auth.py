"""Login, access tokens, refresh rotation, reuse detection, logout."""

from __future__ import annotations

import uuid
from datetime import timedelta

import jwt
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.auth.models import RefreshToken
from server.dbtypes import utcnow
from server.extensions import db
from tests.server.conftest import PASSWORD, assert_error, login


def refresh(client, token, device_id):
    return client.post("/api/v1/auth/refresh", json={"refresh_token": token, "device_id": device_id})


def test_login_returns_tokens_and_me_describes_the_user(client, make_user):
    make_user("specialist", "reviewer", institution="370102", username="wang", display_name="王专员")
    response = login(client, "wang")
    assert response.status_code == 200
    body = response.json
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert body["user"]["username"] == "wang"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"}).json
    assert me["display_name"] == "王专员"
    assert me["roles"] == ["reviewer", "specialist"]
    assert [p["name"] for p in me["institution"]["path"]] == ["山东省", "济南市", "历下区"]


def test_username_is_case_insensitive(client, make_user):
    make_user("specialist", username="specialist9")
    assert login(client, "  Specialist9 ").status_code == 200


def test_wrong_password_and_unknown_user_answer_the_same(client, make_user, app_ctx):
    make_user("admin", username="boss")
    wrong = assert_error(login(client, "boss", "wrong-password"), 401, "invalid_credentials")
    unknown = assert_error(login(client, "nobody", "wrong-password"), 401, "invalid_credentials")
    assert wrong == unknown
    failed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login_failed")).all()
    assert {event.data["username"] for event in failed} == {"boss", "nobody"}


def test_disabled_user_cannot_sign_in(client, make_user):
    make_user("specialist", username="gone", active=False)
    assert_error(login(client, "gone"), 403, "user_inactive")


def test_demo_password_is_refused_in_production(app, client, make_user, monkeypatch):
    from server.auth.passwords import DEMO_PASSWORD, hash_password

    user = make_user("admin", username="demo")
    user.password_hash = hash_password(DEMO_PASSWORD)
    db.session.commit()
    monkeypatch.setitem(app.config, "HUIFANG_ENV", "production")
    assert_error(login(client, "demo", DEMO_PASSWORD), 403, "demo_password_refused")
    monkeypatch.setitem(app.config, "HUIFANG_ENV", "development")
    assert login(client, "demo", DEMO_PASSWORD).status_code == 200


def test_expired_access_token_is_refused(app, client, make_user, monkeypatch):
    make_user("specialist", username="late")
    monkeypatch.setitem(app.config, "HUIFANG_ACCESS_TOKEN_TTL", -1)
    token = login(client, "late").json["access_token"]
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert_error(response, 401, "token_expired")


def test_forged_and_wrong_type_tokens_are_refused(app, client, make_user):
    make_user("specialist", username="forger")
    grant = login(client, "forger").json
    claims = jwt.decode(grant["access_token"], options={"verify_signature": False})
    forged = jwt.encode(claims, "another-secret-key-that-is-32-bytes-long!!", algorithm="HS256")
    unsigned = jwt.encode(claims, None, algorithm="none")
    for token in (forged, unsigned, grant["refresh_token"], "garbage"):
        response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert_error(response, 401, "token_invalid")


def test_refresh_rotates_and_the_new_token_works(client, make_user):
    make_user("specialist", username="rot")
    device = str(uuid.uuid4())
    first = login(client, "rot", device_id=device).json
    second = refresh(client, first["refresh_token"], device).json
    assert second["refresh_token"] != first["refresh_token"]
    third = refresh(client, second["refresh_token"], device)
    assert third.status_code == 200
    assert (
        client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {third.json['access_token']}"}
        ).status_code
        == 200
    )


def test_reused_refresh_token_revokes_the_whole_family(app, client, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "HUIFANG_REFRESH_REUSE_GRACE", 0)
    make_user("specialist", username="victim")
    device = str(uuid.uuid4())
    stolen = login(client, "victim", device_id=device).json["refresh_token"]
    legit = refresh(client, stolen, device).json["refresh_token"]
    # The thief replays the old token: the family ends, including the legitimate user's new token.
    assert_error(refresh(client, stolen, device), 401, "refresh_token_reused")
    assert_error(refresh(client, legit, device), 401, "refresh_token_invalid")


def test_other_sign_ins_survive_a_revoked_family(app, client, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "HUIFANG_REFRESH_REUSE_GRACE", 0)
    make_user("specialist", username="twodev")
    tablet, laptop = str(uuid.uuid4()), str(uuid.uuid4())
    on_tablet = login(client, "twodev", device_id=tablet).json["refresh_token"]
    on_laptop = login(client, "twodev", device_id=laptop).json["refresh_token"]
    refresh(client, on_tablet, tablet)
    refresh(client, on_tablet, tablet)  # reuse: ends the tablet's family only
    assert refresh(client, on_laptop, laptop).status_code == 200


def test_retry_after_a_lost_answer_is_not_taken_for_theft(client, make_user, app_ctx):
    # Bad networks: the rotation succeeded but its answer never reached the tablet, which retries.
    make_user("specialist", username="village")
    device = str(uuid.uuid4())
    token = login(client, "village", device_id=device).json["refresh_token"]
    lost = refresh(client, token, device).json["refresh_token"]
    retried = refresh(client, token, device)
    assert retried.status_code == 200
    # The answer that was lost is now worthless; the retried one carries on.
    assert_error(refresh(client, lost, device), 401, "refresh_token_invalid")
    assert refresh(client, retried.json["refresh_token"], device).status_code == 200


def test_reuse_after_the_successor_was_used_is_theft_even_within_grace(client, make_user):
    make_user("specialist", username="quick")
    device = str(uuid.uuid4())
    token = login(client, "quick", device_id=device).json["refresh_token"]
    successor = refresh(client, token, device).json["refresh_token"]
    assert refresh(client, successor, device).status_code == 200
    assert_error(refresh(client, token, device), 401, "refresh_token_reused")


def test_refresh_token_is_bound_to_its_device(client, make_user):
    make_user("specialist", username="bound")
    device = str(uuid.uuid4())
    token = login(client, "bound", device_id=device).json["refresh_token"]
    assert_error(refresh(client, token, str(uuid.uuid4())), 401, "device_mismatch")
    # Presented from elsewhere means copied: the token is dead on its own device too.
    assert_error(refresh(client, token, device), 401, "refresh_token_invalid")


def test_expired_refresh_token_is_refused(client, make_user, app_ctx):
    make_user("specialist", username="old")
    device = str(uuid.uuid4())
    token = login(client, "old", device_id=device).json["refresh_token"]
    for row in db.session.scalars(select(RefreshToken)):
        row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert_error(refresh(client, token, device), 401, "refresh_token_expired")


def test_unknown_refresh_token_is_invalid(client):
    assert_error(refresh(client, "made-up", str(uuid.uuid4())), 401, "refresh_token_invalid")


def test_logout_ends_the_sign_in_and_is_idempotent(client, make_user):
    make_user("specialist", username="bye")
    device = str(uuid.uuid4())
    token = login(client, "bye", device_id=device).json["refresh_token"]
    assert client.post("/api/v1/auth/logout", json={"refresh_token": token}).status_code == 204
    assert client.post("/api/v1/auth/logout", json={"refresh_token": token}).status_code == 204
    assert_error(refresh(client, token, device), 401, "refresh_token_invalid")


def test_disabling_a_user_ends_access_and_refresh(login_as, client, make_user):
    admin = login_as("admin")
    target = make_user("specialist", username="leaver")
    device = str(uuid.uuid4())
    grant = login(client, "leaver", device_id=device).json
    assert admin.patch(f"/api/v1/users/{target.id}", json={"active": False}).status_code == 200
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {grant['access_token']}"})
    assert_error(me, 401, "user_inactive")
    assert_error(refresh(client, grant["refresh_token"], device), 401, "refresh_token_invalid")


def test_password_reset_ends_sign_ins_and_the_new_password_works(login_as, client, make_user):
    admin = login_as("admin")
    target = make_user("specialist", username="forgetful")
    device = str(uuid.uuid4())
    old = login(client, "forgetful", device_id=device).json["refresh_token"]
    response = admin.post(f"/api/v1/users/{target.id}/password", json={"password": "a-brand-new-password"})
    assert response.status_code == 204
    assert_error(refresh(client, old, device), 401, "refresh_token_invalid")
    assert_error(login(client, "forgetful", PASSWORD), 401, "invalid_credentials")
    assert login(client, "forgetful", "a-brand-new-password").status_code == 200
