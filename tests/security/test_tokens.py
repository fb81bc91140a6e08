"""Access tokens: HS256 only, our key only, exp and iat required; key rotation with previous keys."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from server import config as settings
from tests.server.conftest import assert_error

OLD_KEY = "the-key-before-the-rotation-of-november-2026!"
OTHER_KEY = "somebody-elses-key-that-is-also-long-enough!!"


@pytest.fixture
def caller(login_as):
    return login_as("specialist", institution="370102")


def claims_of(caller) -> dict:
    return jwt.decode(caller.tokens["access_token"], options={"verify_signature": False})


def me(client, token: str):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_genuine_token_works(client, caller):
    assert me(client, caller.tokens["access_token"]).status_code == 200


def test_alg_none_is_refused(client, caller):
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(claims_of(caller)).encode())
    for token in (f"{header}.{payload}.", f"{header}.{payload}"):
        assert_error(me(client, token), 401, "token_invalid")


@pytest.mark.filterwarnings("ignore:The HMAC key is")  # PyJWT's advice for HS384/512 keys: beside the point
@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_other_algorithms_are_refused_even_with_our_key(app, client, caller, algorithm):
    token = jwt.encode(claims_of(caller), app.config["SECRET_KEY"], algorithm=algorithm)
    assert_error(me(client, token), 401, "token_invalid")


def test_a_token_signed_with_another_key_is_refused(client, caller):
    token = jwt.encode(claims_of(caller), OTHER_KEY, algorithm="HS256")
    assert_error(me(client, token), 401, "token_invalid")


@pytest.mark.parametrize("claim", ["exp", "iat", "sub", "dev", "typ"])
def test_required_claims(app, client, caller, claim):
    claims = claims_of(caller)
    del claims[claim]
    token = jwt.encode(claims, app.config["SECRET_KEY"], algorithm="HS256")
    assert_error(me(client, token), 401, "token_invalid")


def test_a_tampered_payload_is_refused(client, caller):
    header, _, signature = caller.tokens["access_token"].split(".")
    claims = claims_of(caller) | {"sub": "1"}
    forged = f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"
    assert_error(me(client, forged), 401, "token_invalid")


def test_tokens_of_the_previous_key_stay_valid_after_a_rotation(app, client, caller, monkeypatch):
    claims = claims_of(caller)
    old_token = jwt.encode(claims, OLD_KEY, algorithm="HS256")
    assert_error(me(client, old_token), 401, "token_invalid")  # before: an unknown key

    monkeypatch.setitem(app.config, "HUIFANG_SECRET_KEY_PREVIOUS", [OTHER_KEY, OLD_KEY])
    assert me(client, old_token).status_code == 200
    assert me(client, caller.tokens["access_token"]).status_code == 200  # the current key, of course
    # New tokens are signed with the current key, never a previous one.
    fresh = caller.client.post(
        "/api/v1/auth/refresh",
        json={"refresh_token": caller.tokens["refresh_token"], "device_id": caller.device_id},
    ).get_json()["access_token"]
    jwt.decode(fresh, app.config["SECRET_KEY"], algorithms=["HS256"], issuer="huifang")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(fresh, OLD_KEY, algorithms=["HS256"], issuer="huifang")

    expired = jwt.encode(claims | {"exp": int(time.time()) - 60}, OLD_KEY, algorithm="HS256")
    assert_error(me(client, expired), 401, "token_expired")  # a previous key does not extend a life

    monkeypatch.setitem(app.config, "HUIFANG_SECRET_KEY_PREVIOUS", [])
    assert_error(me(client, old_token), 401, "token_invalid")  # the old key retired: its tokens too


def test_previous_keys_setting(monkeypatch):
    monkeypatch.setenv("HUIFANG_SECRET_KEY_PREVIOUS", f" {OLD_KEY} ,{OTHER_KEY},")
    assert settings.from_environment()["HUIFANG_SECRET_KEY_PREVIOUS"] == [OLD_KEY, OTHER_KEY]
    monkeypatch.setenv("HUIFANG_SECRET_KEY_PREVIOUS", "short")
    with pytest.raises(settings.ConfigError, match="at least 32 bytes"):
        settings.from_environment()
    monkeypatch.delenv("HUIFANG_SECRET_KEY_PREVIOUS")
    assert settings.from_environment()["HUIFANG_SECRET_KEY_PREVIOUS"] == []
