"""Passkeys end to end against the API, with a software authenticator (tests/auth/authenticator.py)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select, update

from server.audit.models import AuditEvent
from server.auth.models import Device, Passkey, PasskeyChallenge
from server.dbtypes import utcnow
from server.extensions import db
from server.users.models import User
from tests.auth.authenticator import UP, SoftAuthenticator, unb64url
from tests.conftest import make_app
from tests.server.conftest import PASSWORD, assert_error, login

BASE = "/api/v1/auth/passkeys"

AGAIN = {"password": PASSWORD}  # adding a passkey asks for the password again


def register(caller, authenticator: SoftAuthenticator, name: str | None = "王专员的手机", **create):
    options = caller.post(f"{BASE}/register/options", json=AGAIN)
    assert options.status_code == 200, options.get_json()
    body = {"credential": authenticator.create(options.get_json(), **create)}
    if name is not None:
        body["name"] = name
    return caller.post(f"{BASE}/register", json=body)


def registered(caller, authenticator=None) -> SoftAuthenticator:
    authenticator = authenticator or SoftAuthenticator()
    response = register(caller, authenticator)
    assert response.status_code == 201, response.get_json()
    return authenticator


def login_options(client, username: str | None = None) -> dict:
    response = client.post(f"{BASE}/login/options", json={} if username is None else {"username": username})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def passkey_login(client, credential: dict, device_id: str | None = None, client_kind: str = "field"):
    return client.post(
        f"{BASE}/login",
        json={
            "credential": credential,
            "device_id": device_id or str(uuid.uuid4()),
            "device_name": "Android · Chrome 131",
            "client": client_kind,
        },
    )


def audit_events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- Registration and the list ---------------------------------------------------------------------


def test_registration_options_ask_for_a_discoverable_verified_credential_of_this_host(login_as):
    caller = login_as("specialist", username="wang")
    options = caller.post(f"{BASE}/register/options", json=AGAIN).get_json()["publicKey"]
    assert options["rp"] == {"id": "localhost", "name": "回访通"}
    assert options["user"]["name"] == "wang"
    assert len(unb64url(options["user"]["id"])) == 32  # a random handle, not the username or the id
    assert len(unb64url(options["challenge"])) == 32
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert {"type": "public-key", "alg": -7} in options["pubKeyCredParams"]
    assert options["excludeCredentials"] == []


def test_a_user_registers_several_passkeys_lists_renames_and_removes_them_audited(app, login_as):
    caller = login_as("specialist")
    phone, tablet = SoftAuthenticator(), SoftAuthenticator()
    first = register(caller, phone, name="手机")
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["name"] == "手机"
    assert first.get_json()["last_used_at"] is None
    # The second registration excludes the first (the same authenticator would not make a copy)
    options = caller.post(f"{BASE}/register/options", json=AGAIN).get_json()["publicKey"]
    assert [c["id"] for c in options["excludeCredentials"]] == [phone.id]
    assert options["user"]["id"] == phone.user_handle  # one handle per user, reused
    second = caller.post(
        f"{BASE}/register", json={"credential": tablet.create({"publicKey": options}), "name": None}
    )
    assert second.status_code == 201, second.get_json()
    assert second.get_json()["name"] == "通行密钥 2"

    listed = caller.get(BASE).get_json()
    assert [p["name"] for p in listed] == ["手机", "通行密钥 2"]
    assert set(listed[0]) == {"id", "name", "created_at", "last_used_at", "backed_up"}

    renamed = caller.patch(f"{BASE}/{listed[1]['id']}", json={"name": "  办公室平板 "})
    assert renamed.status_code == 200, renamed.get_json()
    assert renamed.get_json()["name"] == "办公室平板"
    assert caller.delete(f"{BASE}/{listed[0]['id']}").status_code == 204
    assert [p["name"] for p in caller.get(BASE).get_json()] == ["办公室平板"]

    (added, again) = audit_events(app, "passkey_registered")
    assert added.actor_id == caller.user.id and added.data["name"] == "手机"
    assert again.data["passkey_id"] == listed[1]["id"]
    (renaming,) = audit_events(app, "passkey_renamed")
    assert renaming.data == {"passkey_id": listed[1]["id"], "before": "通行密钥 2", "after": "办公室平板"}
    (removal,) = audit_events(app, "passkey_removed")
    assert removal.data == {"passkey_id": listed[0]["id"], "name": "手机"}
    assert removal.institution_id == caller.user.institution_id


def test_the_same_credential_cannot_be_registered_twice(login_as):
    wang, liu = login_as("specialist"), login_as("specialist")
    authenticator = registered(wang)
    again = register(liu, authenticator)
    assert_error(again, 409, "passkey_exists")


def test_registration_from_another_origin_or_with_a_foreign_challenge_is_refused(app, login_as):
    caller, other = login_as("specialist"), login_as("supervisor")
    assert_error(
        register(caller, SoftAuthenticator(), origin="https://evil.example"), 400, "passkey_origin_invalid"
    )
    assert audit_events(app, "passkey_register_failed")[0].data["reason"] == "origin"
    # A challenge made for another user does not register anything for this one
    foreign = other.post(f"{BASE}/register/options", json=AGAIN).get_json()
    response = caller.post(f"{BASE}/register", json={"credential": SoftAuthenticator().create(foreign)})
    assert_error(response, 400, "passkey_challenge_invalid")
    # A challenge nobody issued
    options = caller.post(f"{BASE}/register/options", json=AGAIN).get_json()
    made_up = "A" * 43
    response = caller.post(
        f"{BASE}/register", json={"credential": SoftAuthenticator().create(options, challenge=made_up)}
    )
    assert_error(response, 400, "passkey_challenge_invalid")
    assert caller.get(BASE).get_json() == []


def test_registration_without_user_verification_is_refused(login_as):
    caller = login_as("specialist")
    response = register(caller, SoftAuthenticator(), flags=UP | 0x40)  # present, not verified
    body = assert_error(response, 400, "passkey_invalid")
    assert "verif" in body["details"]["reason"].lower()


def test_another_users_passkey_cannot_be_renamed_or_removed(login_as):
    wang, liu = login_as("specialist"), login_as("specialist")
    registered(wang)
    passkey_id = wang.get(BASE).get_json()[0]["id"]
    assert_error(liu.patch(f"{BASE}/{passkey_id}", json={"name": "我的"}), 404, "not_found")
    assert_error(liu.delete(f"{BASE}/{passkey_id}"), 404, "not_found")
    assert liu.get(BASE).get_json() == []
    assert wang.get(BASE).get_json()[0]["name"] == "王专员的手机"


def test_passkey_routes_need_a_sign_in(client):
    assert_error(client.get(BASE), 401, "token_missing")
    assert_error(client.post(f"{BASE}/register/options", json=AGAIN), 401, "token_missing")


# --- Sign-in -----------------------------------------------------------------------------------------


def test_passkey_sign_in_issues_the_tokens_of_a_password_sign_in(app, client, login_as):
    caller = login_as("specialist", username="wang")
    authenticator = registered(caller)
    options = login_options(client)["publicKey"]
    assert options["rpId"] == "localhost"
    assert options["allowCredentials"] == []  # discoverable: the person picks the account
    assert options["userVerification"] == "required"

    device_id = str(uuid.uuid4())
    response = passkey_login(client, authenticator.get({"publicKey": options}), device_id)
    assert response.status_code == 200, response.get_json()
    grant = response.get_json()
    password_grant = login(client, "wang").get_json()
    assert set(grant) == set(password_grant)
    assert grant["user"]["username"] == "wang"
    assert grant["token_type"] == "Bearer"

    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {grant['access_token']}"})
    assert me.status_code == 200 and me.get_json()["username"] == "wang"
    # The refresh token is bound to the device that signed in, and rotates as always
    refreshed = client.post(
        "/api/v1/auth/refresh", json={"refresh_token": grant["refresh_token"], "device_id": device_id}
    )
    assert refreshed.status_code == 200, refreshed.get_json()
    stolen = client.post(
        "/api/v1/auth/refresh",
        json={"refresh_token": refreshed.get_json()["refresh_token"], "device_id": str(uuid.uuid4())},
    )
    assert_error(stolen, 401, "device_mismatch")

    with app.app_context():
        device = db.session.scalars(select(Device).where(Device.device_uuid == device_id)).one()
        assert (device.client, device.name) == ("field", "Android · Chrome 131")
        passkey = db.session.scalars(select(Passkey)).one()
        assert passkey.sign_count == 1 and passkey.last_used_at is not None
    signed_in = [e for e in audit_events(app, "login") if e.data.get("method") == "passkey"]
    assert len(signed_in) == 1
    assert signed_in[0].actor_id == caller.user.id
    assert signed_in[0].data["passkey_id"] == passkey.id
    assert caller.get(BASE).get_json()[0]["last_used_at"] is not None


def test_username_first_sign_in_offers_only_that_users_passkeys(client, login_as):
    caller = login_as("specialist", username="wang")
    phone, tablet = registered(caller), registered(caller)
    options = login_options(client, " Wang ")
    assert sorted(c["id"] for c in options["publicKey"]["allowCredentials"]) == sorted([phone.id, tablet.id])
    response = passkey_login(client, tablet.get(options))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["user"]["username"] == "wang"


def test_an_unknown_username_gets_a_decoy_that_reveals_nothing(client, login_as):
    caller = login_as("specialist", username="wang")
    registered(caller)
    nobody = login_options(client, "nobody")["publicKey"]["allowCredentials"]
    assert len(nobody) == 1
    assert login_options(client, "nobody")["publicKey"]["allowCredentials"] == nobody  # stable
    assert login_options(client, "someone")["publicKey"]["allowCredentials"] != nobody


def test_another_users_passkey_does_not_answer_a_username_first_sign_in(app, client, login_as):
    wang, liu = login_as("specialist", username="wang"), login_as("specialist", username="liu")
    registered(wang)
    liu_key = registered(liu)
    options = login_options(client, "wang")
    response = passkey_login(client, liu_key.get(options))
    assert_error(response, 401, "passkey_user_mismatch")
    (refused,) = audit_events(app, "passkey_login_failed")
    assert refused.data["reason"] == "other_user" and refused.target_id == str(liu.user.id)
    # A user handle that is not the credential's is refused too
    response = passkey_login(client, liu_key.get(login_options(client), user_handle=wang_handle(wang)))
    assert_error(response, 401, "passkey_user_mismatch")


def wang_handle(caller) -> str:
    return caller.post(f"{BASE}/register/options", json=AGAIN).get_json()["publicKey"]["user"]["id"]


def test_a_wrong_origin_is_refused_and_audited(app, client, login_as):
    authenticator = registered(login_as("specialist"))
    response = passkey_login(client, authenticator.get(login_options(client), origin="https://evil.example"))
    body = assert_error(response, 401, "passkey_origin_invalid")
    assert body["details"]["origin"] == "https://evil.example"
    assert audit_events(app, "passkey_login_failed")[0].data["reason"] == "origin"
    # Another relying party (the right origin but the authenticator's key scoped to another site)
    response = passkey_login(client, authenticator.get(login_options(client), rp_id="evil.example"))
    assert_error(response, 401, "passkey_invalid")


def test_a_challenge_the_server_did_not_issue_is_refused(client, login_as):
    authenticator = registered(login_as("specialist"))
    login_options(client)
    forged = authenticator.get(login_options(client), challenge="A" * 43)
    assert_error(passkey_login(client, forged), 401, "passkey_challenge_invalid")


def test_a_replayed_answer_or_challenge_is_refused(client, login_as):
    authenticator = registered(login_as("specialist"))
    options = login_options(client)
    answer = authenticator.get(options)
    assert passkey_login(client, answer).status_code == 200
    assert_error(passkey_login(client, answer), 401, "passkey_challenge_invalid")
    # A fresh signature over the used challenge (higher counter) is no better
    assert_error(passkey_login(client, authenticator.get(options)), 401, "passkey_challenge_invalid")


def test_a_failed_answer_uses_up_its_challenge(client, login_as):
    authenticator = registered(login_as("specialist"))
    options = login_options(client)
    wrong = authenticator.get(options, signing_key=ec.generate_private_key(ec.SECP256R1()))
    assert_error(passkey_login(client, wrong), 401, "passkey_invalid")
    assert_error(passkey_login(client, authenticator.get(options)), 401, "passkey_challenge_invalid")


def test_an_expired_challenge_is_refused(app, client, login_as):
    authenticator = registered(login_as("specialist"))
    options = login_options(client)
    with app.app_context():
        db.session.execute(update(PasskeyChallenge).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert_error(passkey_login(client, authenticator.get(options)), 401, "passkey_challenge_invalid")


def test_a_counter_going_backwards_is_refused_as_a_clone_and_audited(app, client, login_as):
    caller = login_as("specialist")
    authenticator = registered(caller)
    assert passkey_login(client, authenticator.get(login_options(client), counter=5)).status_code == 200
    for stale in (5, 3):  # the same count again, then a lower one: a copy of the key signed
        response = passkey_login(client, authenticator.get(login_options(client), counter=stale))
        assert_error(response, 401, "passkey_counter_invalid")
    clones = audit_events(app, "passkey_clone_suspected")
    assert [(e.data["stored_count"], e.data["received_count"]) for e in clones] == [(5, 5), (5, 3)]
    assert clones[0].target_id == str(caller.user.id)
    with app.app_context():
        assert db.session.scalars(select(Passkey.sign_count)).one() == 5  # not lowered by the clone
    assert passkey_login(client, authenticator.get(login_options(client), counter=6)).status_code == 200


def test_an_authenticator_without_a_counter_may_keep_answering_zero(client, login_as):
    authenticator = registered(login_as("specialist"))
    for _ in range(2):
        response = passkey_login(client, authenticator.get(login_options(client), counter=0))
        assert response.status_code == 200, response.get_json()


def test_a_removed_passkey_no_longer_signs_in(app, client, login_as):
    caller = login_as("specialist")
    authenticator = registered(caller)
    passkey_id = caller.get(BASE).get_json()[0]["id"]
    assert caller.delete(f"{BASE}/{passkey_id}").status_code == 204
    assert_error(passkey_login(client, authenticator.get(login_options(client))), 401, "passkey_unknown")
    assert audit_events(app, "passkey_login_failed")[0].data["reason"] == "unknown_passkey"


def test_a_signature_by_another_key_or_without_user_verification_is_refused(client, login_as):
    authenticator = registered(login_as("specialist"))
    forged = authenticator.get(login_options(client), signing_key=ec.generate_private_key(ec.SECP256R1()))
    assert_error(passkey_login(client, forged), 401, "passkey_invalid")
    unverified = authenticator.get(login_options(client), flags=UP)
    assert_error(passkey_login(client, unverified), 401, "passkey_invalid")


@pytest.mark.parametrize(
    "credential",
    [
        {},
        {"id": "x", "rawId": "x", "type": "public-key", "response": {}},
        {"id": "x", "rawId": "x", "type": "public-key", "response": {"clientDataJSON": "not base64!"}},
        {"id": "x", "rawId": "x", "type": "public-key", "response": {"clientDataJSON": "e30"}},  # {}
    ],
)
def test_malformed_answers_are_refused_in_both_languages(client, credential):
    assert_error(passkey_login(client, credential), 401, "passkey_invalid")


def test_a_locked_or_disabled_account_is_refused_as_with_a_password(app, client, login_as):
    caller = login_as("specialist")
    authenticator = registered(caller)
    with app.app_context():
        user = db.session.get(User, caller.user.id)
        user.locked_until = utcnow() + timedelta(minutes=10)
        db.session.commit()
    assert_error(passkey_login(client, authenticator.get(login_options(client))), 423, "account_locked")
    with app.app_context():
        user = db.session.get(User, caller.user.id)
        user.locked_until, user.active = None, False
        db.session.commit()
    assert_error(passkey_login(client, authenticator.get(login_options(client))), 403, "user_inactive")


def test_a_revoked_device_cannot_sign_in_with_a_passkey(app, client, login_as):
    caller = login_as("specialist")
    authenticator = registered(caller)
    with app.app_context():
        device = db.session.scalars(select(Device).where(Device.device_uuid == caller.device_id)).one()
        device.revoked_at = utcnow()
        db.session.commit()
    response = passkey_login(client, authenticator.get(login_options(client)), caller.device_id)
    assert_error(response, 403, "device_revoked")


def test_the_challenge_lives_in_the_database_so_another_app_server_can_finish(app, client, login_as):
    authenticator = registered(login_as("specialist"))
    options = login_options(client)  # this server makes the challenge
    other_server = make_app(app.config["SQLALCHEMY_DATABASE_URI"]).test_client()
    response = passkey_login(other_server, authenticator.get(options))
    assert response.status_code == 200, response.get_json()


def test_relying_party_and_origins_come_from_the_configuration(app, client, login_as, monkeypatch):
    caller = login_as("specialist")
    monkeypatch.setitem(app.config, "HUIFANG_WEBAUTHN_RP_ID", "huifang.example.cn")
    monkeypatch.setitem(
        app.config, "HUIFANG_WEBAUTHN_ORIGINS", ["https://huifang.example.cn", "https://m.huifang.example.cn"]
    )
    authenticator = SoftAuthenticator()
    response = register(caller, authenticator, origin="https://m.huifang.example.cn")
    assert response.status_code == 201, response.get_json()
    options = login_options(client)
    assert options["publicKey"]["rpId"] == "huifang.example.cn"
    answer = authenticator.get(options, origin="https://huifang.example.cn")
    assert passkey_login(client, answer).status_code == 200
    # The request's own host is no longer trusted once origins are configured
    assert_error(
        passkey_login(client, authenticator.get(login_options(client), origin="http://localhost")),
        401,
        "passkey_origin_invalid",
    )


def test_configuration_refuses_a_relying_party_with_a_scheme_or_a_bad_origin(monkeypatch):
    from server import config

    monkeypatch.setenv("HUIFANG_WEBAUTHN_RP_ID", "https://huifang.example.cn")
    with pytest.raises(config.ConfigError, match="HUIFANG_WEBAUTHN_RP_ID"):
        config.from_environment()
    monkeypatch.setenv("HUIFANG_WEBAUTHN_RP_ID", "huifang.example.cn")
    monkeypatch.setenv("HUIFANG_WEBAUTHN_ORIGINS", "huifang.example.cn")
    with pytest.raises(config.ConfigError, match="HUIFANG_WEBAUTHN_ORIGINS"):
        config.from_environment()
    monkeypatch.setenv(
        "HUIFANG_WEBAUTHN_ORIGINS", "https://huifang.example.cn/, https://m.huifang.example.cn"
    )
    settings = config.from_environment()
    assert settings["HUIFANG_WEBAUTHN_RP_ID"] == "huifang.example.cn"
    assert settings["HUIFANG_WEBAUTHN_ORIGINS"] == [
        "https://huifang.example.cn",
        "https://m.huifang.example.cn",
    ]


def test_passkey_sign_ins_share_the_sign_in_rate_limits(app):
    limited = make_app(app.config["SQLALCHEMY_DATABASE_URI"], RATELIMIT_ENABLED=True).test_client()
    device_id = str(uuid.uuid4())
    for _ in range(5):  # HUIFANG_RATELIMIT_PER_ACCOUNT: 5 a minute per device
        assert_error(passkey_login(limited, {}, device_id), 401, "passkey_invalid")
    refused = assert_error(passkey_login(limited, {}, device_id), 429, "rate_limited")
    assert refused["details"]["retry_after"] > 0


def test_adding_a_passkey_asks_for_the_password_again(login_as):
    """A token alone (a stolen one, say) must not add a lasting way in; a wrong password counts
    towards the lockout like a failed sign-in."""
    caller = login_as("specialist")
    assert_error(caller.post(f"{BASE}/register/options", json={}), 422, "validation_error")
    wrong = caller.post(f"{BASE}/register/options", json={"password": "not-my-password"})
    assert_error(wrong, 403, "password_mismatch")
    assert db.session.scalar(select(PasskeyChallenge.id).limit(1)) is None  # no ceremony started
    db.session.expire_all()
    assert db.session.get(User, caller.user.id).failed_logins == 1
    assert caller.get("/api/v1/me").status_code == 200  # the session itself goes on
    assert caller.post(f"{BASE}/register/options", json=AGAIN).status_code == 200
