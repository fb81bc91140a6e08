"""Sign-in hardening: rate limits per address and per account (Flask-Limiter), and account lockout.

The suite turns rate limiting off (tests/conftest.py); these tests use an app of their own with it
on, over the same database. No test waits: the limiter's clock and the lockout's are moved instead.
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import timedelta

import limits.storage.memory
import pytest
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.auth import passwords
from server.dbtypes import utcnow
from server.extensions import db
from server.security import lockout
from server.security.ratelimit import EXTENSION
from server.users.models import User
from tests.conftest import IN_CI, make_app
from tests.server.conftest import PASSWORD, assert_error, login

REDIS_URL = os.environ.get("HUIFANG_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def limited_app(app, **overrides):
    """An app like the suite's, over the same database, with the sign-in limits on."""
    config = {"RATELIMIT_ENABLED": True, **overrides}
    return make_app(app.config["SQLALCHEMY_DATABASE_URI"], **config)


@pytest.fixture(scope="module")
def _limited_app(app):
    return limited_app(app)  # building an app takes a second: one for the module


@pytest.fixture
def limited(_limited_app):
    _limited_app.extensions[EXTENSION].reset()  # every test starts with no counts
    return _limited_app


def from_address(application, address: str):
    client = application.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


class _Clock:
    """Stands in for the ``time`` module inside limits' memory storage."""

    def __init__(self):
        self.offset = 0.0

    def time(self):
        return time.time() + self.offset


# --- Rate limits ---------------------------------------------------------------------------------


def test_sign_ins_per_username_are_limited_with_retry_after(limited, make_user):
    make_user("specialist", username="busy")
    make_user("specialist", username="other")
    client = from_address(limited, "10.1.0.1")
    for _ in range(5):
        assert login(client, "busy").status_code == 200
    refused = login(client, "BUSY ")  # the same account however it is typed
    body = assert_error(refused, 429, "rate_limited")
    assert 1 <= int(refused.headers["Retry-After"]) <= 61
    assert body["details"]["retry_after"] == int(refused.headers["Retry-After"])
    # Another account from the same address, and the same account from another, are not affected
    # by the per-account count... but the per-account count is the account's wherever it comes from.
    assert login(client, "other").status_code == 200
    assert_error(login(from_address(limited, "10.1.0.2"), "busy"), 429, "rate_limited")


def test_failed_sign_ins_per_address_are_limited_successes_are_not(limited, make_user):
    for n in range(12):
        make_user("specialist", username=f"office{n}")
    office = from_address(limited, "10.2.0.1")
    # Twelve tablets behind one NAT address signing in at 8:30: nobody is throttled.
    assert all(login(office, f"office{n}").status_code == 200 for n in range(12))

    guesser = from_address(limited, "10.2.0.9")
    for n in range(10):  # one guess at each of ten accounts: no account is locked
        assert_error(login(guesser, f"office{n}", "guess"), 401, "invalid_credentials")
    # The eleventh attempt from that address is refused before the password is even looked at.
    assert_error(login(guesser, "office0"), 429, "rate_limited")
    assert login(from_address(limited, "10.2.0.10"), "office1").status_code == 200


def test_behind_our_proxy_the_forwarded_address_counts(app, make_user):
    for n in range(11):
        make_user("specialist", username=f"desk{n}")
    proxied = limited_app(app, HUIFANG_PROXY_HOPS=1)
    balancer = from_address(proxied, "10.0.0.2")  # every request arrives from the load balancer

    def attempt(username, client_address, password="guess"):
        body = {"username": username, "password": password, "device_id": str(uuid.uuid4())}
        return balancer.post("/api/v1/auth/login", json=body, headers={"X-Forwarded-For": client_address})

    for n in range(10):
        assert_error(attempt(f"desk{n}", "198.51.100.7"), 401, "invalid_credentials")
    assert_error(attempt("desk10", "198.51.100.7", PASSWORD), 429, "rate_limited")
    assert attempt("desk10", "198.51.100.8", PASSWORD).status_code == 200  # another client, same balancer


def test_the_limit_lifts_when_its_window_has_passed(limited, make_user, monkeypatch):
    make_user("specialist", username="patient")
    client = from_address(limited, "10.3.0.1")
    for _ in range(5):
        login(client, "patient")
    refused = login(client, "patient")
    assert_error(refused, 429, "rate_limited")
    clock = _Clock()
    monkeypatch.setattr(limits.storage.memory, "time", clock)
    clock.offset = int(refused.headers["Retry-After"]) + 1
    assert login(client, "patient").status_code == 200


def test_refreshes_per_device_are_limited(limited, make_user):
    make_user("specialist", username="refresher")
    client = from_address(limited, "10.4.0.1")
    device_id = str(uuid.uuid4())
    token = login(client, "refresher", device_id=device_id).get_json()["refresh_token"]
    for _ in range(5):
        answer = client.post("/api/v1/auth/refresh", json={"refresh_token": token, "device_id": device_id})
        assert answer.status_code == 200, answer.get_json()
        token = answer.get_json()["refresh_token"]
    refused = client.post("/api/v1/auth/refresh", json={"refresh_token": token, "device_id": device_id})
    assert_error(refused, 429, "rate_limited")
    assert "Retry-After" in refused.headers


def test_limits_are_off_when_the_switch_is(app, make_user):
    make_user("specialist", username="tester")
    client = from_address(app, "10.5.0.1")  # the suite's app: RATELIMIT_ENABLED is False
    assert all(login(client, "tester").status_code == 200 for _ in range(8))


def test_counters_live_in_redis_when_configured(app, make_user):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError as exc:
        reason = f"Redis at {REDIS_URL} is not reachable: {exc}"
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: a missing service is a failure, not a skip)", pytrace=False)
        pytest.skip(reason)
    make_user("specialist", username="shared")
    # Two app servers sharing one Redis: the second sees the first one's count.
    first = limited_app(app, RATELIMIT_STORAGE_URI=REDIS_URL)
    second = limited_app(app, RATELIMIT_STORAGE_URI=REDIS_URL)
    first.extensions[EXTENSION].reset()
    try:
        assert first.extensions[EXTENSION].storage.check()
        for _ in range(3):
            assert login(from_address(first, "10.6.0.1"), "shared").status_code == 200
        for _ in range(2):
            assert login(from_address(second, "10.6.0.2"), "shared").status_code == 200
        assert_error(login(from_address(second, "10.6.0.3"), "shared"), 429, "rate_limited")
        keys = redis.Redis.from_url(REDIS_URL).keys("LIMITS*")
        assert keys and any(b"shared" in key for key in keys)
    finally:
        first.extensions[EXTENSION].reset()


# --- Lockout --------------------------------------------------------------------------------------


@pytest.fixture
def frozen(monkeypatch):
    """The lockout's clock, held still and moved by hand."""
    state = {"now": utcnow()}
    monkeypatch.setattr(lockout, "now", lambda: state["now"])
    return state


def _reload(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def test_five_wrong_passwords_lock_the_account_and_it_is_audited(client, make_user, frozen, app_ctx):
    user = make_user("specialist", username="forgetful")
    for _ in range(4):
        assert_error(login(client, "forgetful", "wrong-password"), 401, "invalid_credentials")
    locked = login(client, "forgetful", "wrong-password")
    body = assert_error(locked, 423, "account_locked")
    assert locked.headers["Retry-After"] == "900" == str(body["details"]["retry_after"])
    assert _reload(user.id).locked_until == frozen["now"] + timedelta(minutes=15)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "account_locked")).all()
    assert [(e.target_type, e.target_id) for e in events] == [("user_account", str(user.id))]
    assert events[0].data["failed_logins"] == 5


def test_a_locked_account_answers_the_same_whether_the_password_is_right(client, make_user, frozen):
    make_user("specialist", username="target")
    for _ in range(5):
        login(client, "target", "wrong-password")
    frozen["now"] += timedelta(minutes=3)
    right, wrong = login(client, "target", PASSWORD), login(client, "target", "still-wrong")
    assert right.status_code == wrong.status_code == 423
    assert right.get_json() == wrong.get_json()
    assert right.headers["Retry-After"] == wrong.headers["Retry-After"] == str(12 * 60)


def test_the_lock_ends_after_its_minutes_and_success_resets_the_count(client, make_user, frozen, app_ctx):
    user = make_user("specialist", username="returning")
    for _ in range(5):
        login(client, "returning", "wrong-password")
    frozen["now"] += timedelta(minutes=15, seconds=1)
    assert login(client, "returning").status_code == 200
    assert _reload(user.id).failed_logins == 0 and _reload(user.id).locked_until is None


def test_a_right_password_starts_the_count_again(client, make_user, frozen, app_ctx):
    user = make_user("specialist", username="typo")
    for _ in range(4):
        login(client, "typo", "wrong-password")
    assert _reload(user.id).failed_logins == 4
    assert login(client, "typo").status_code == 200
    for _ in range(4):
        assert_error(login(client, "typo", "wrong-password"), 401, "invalid_credentials")
    assert login(client, "typo").status_code == 200


def test_unknown_usernames_answer_as_before(client, org, monkeypatch):
    # The timing equaliser hashes at production cost; a cheap one keeps the test fast.
    monkeypatch.setattr(passwords, "_DUMMY_HASH", passwords.hash_password("timing-equaliser"))
    for _ in range(7):
        assert_error(login(client, "ghost", "wrong-password"), 401, "invalid_credentials")


def test_lockout_threshold_and_minutes_are_settings(app, client, make_user, frozen, monkeypatch, app_ctx):
    monkeypatch.setitem(app.config, "HUIFANG_LOCKOUT_THRESHOLD", 2)
    monkeypatch.setitem(app.config, "HUIFANG_LOCKOUT_MINUTES", 1)
    make_user("specialist", username="strict")
    login(client, "strict", "wrong-password")
    assert_error(login(client, "strict", "wrong-password"), 423, "account_locked")
    frozen["now"] += timedelta(seconds=61)
    assert login(client, "strict").status_code == 200

    monkeypatch.setitem(app.config, "HUIFANG_LOCKOUT_THRESHOLD", 0)  # off
    for _ in range(8):
        assert_error(login(client, "strict", "wrong-password"), 401, "invalid_credentials")


def test_an_administrators_password_reset_unlocks_the_account(client, make_user, login_as, frozen, app_ctx):
    user = make_user("specialist", username="locked_out", institution="370102")
    for _ in range(5):
        login(client, "locked_out", "wrong-password")
    assert _reload(user.id).locked_until is not None
    admin = login_as("admin")
    reset = admin.post(f"/api/v1/users/{user.id}/password", json={"password": "a-new-long-passphrase-2026"})
    assert reset.status_code in (200, 204), reset.get_json()
    unlocked = _reload(user.id)
    assert unlocked.locked_until is None and unlocked.failed_logins == 0
    assert login(client, "locked_out", "a-new-long-passphrase-2026").status_code == 200
