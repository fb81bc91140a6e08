"""Signed inbound calls from the call centre: refused unless signed, answered once per event id."""

from __future__ import annotations

import json
import threading
import time

import pytest
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.auth.access import rule_of
from server.errors import HuifangError
from server.extensions import db
from server.outbox import inbound, signing
from server.outbox.inbound import once, respond_once, signed_inbound
from server.outbox.models import InboundEvent
from tests.conftest import make_app
from tests.server.conftest import assert_error

INBOUND_SECRET = "call-centre-signs-with-this-secret"
COMPUTED: list[str] = []

blp = Blueprint("inbound_test", __name__, url_prefix="/api/v1/test-inbound")


class ResultArgs(Schema):
    id = fields.String(required=True)
    event = fields.String(required=True)
    created_at = fields.String()
    data = fields.Dict(required=True)


class AnswerSchema(Schema):
    accepted = fields.Boolean()
    n = fields.Integer()


@blp.route("/results", methods=["POST"])
@signed_inbound
@blp.arguments(ResultArgs)
@blp.response(201, AnswerSchema)
def results(args):
    """A call centre reports a callback's result (a stand-in for the real inbound views)."""

    def compute():
        COMPUTED.append(args["id"])
        db.session.add(AuditEvent(action="callback_result_received", data=args["data"]))
        if args["data"].get("policy") == "unknown":
            db.session.flush()
            raise HuifangError("policy_unknown", "保单不存在", "No such policy", 422, {"policy": "unknown"})
        return {"accepted": True, "n": len(COMPUTED)}, 201

    return respond_once("call_centre", compute)


@pytest.fixture(scope="module")
def inbound_app(app):
    application = make_app(app.config["SQLALCHEMY_DATABASE_URI"], HUIFANG_INBOUND_SECRET=INBOUND_SECRET)
    application.extensions["huifang_api"].register_blueprint(blp)
    return application


@pytest.fixture
def call(inbound_app):
    COMPUTED.clear()
    client = inbound_app.test_client()

    def send(body: dict | bytes, *, event_id="evt_1", secret=INBOUND_SECRET, timestamp=None, signature=None):
        raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        ts = int(time.time()) if timestamp is None else timestamp
        headers = {"Content-Type": "application/json", "X-Huifang-Timestamp": str(ts)}
        if event_id is not None:
            headers["X-Huifang-Event-Id"] = event_id
        headers["X-Huifang-Signature"] = (
            signing.sign(secret.encode(), ts, raw) if signature is None else signature
        )
        return client.post("/api/v1/test-inbound/results", data=raw, headers=headers)

    return send


def _result(event_id="evt_1", **data):
    return {"id": event_id, "event": "callback.result", "data": data or {"outcome": "reached"}}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_signed_call_is_answered_without_a_user_login(call):
    response = call(_result())
    assert response.status_code == 201, response.json
    assert response.json == {"accepted": True, "n": 1}
    assert "X-Huifang-Replay" not in response.headers


def test_an_unsigned_call_is_refused_before_its_body_is_even_read(call):
    response = call(b'{"not": "valid for the schema"}', signature="")
    assert_error(response, 401, "signature_missing")
    assert COMPUTED == []


def test_a_call_signed_with_another_secret_is_refused(call):
    assert_error(call(_result(), secret="not-the-shared-secret"), 401, "signature_invalid")


def test_a_call_with_a_tampered_body_is_refused(call):
    ts = int(time.time())
    signature = signing.sign(INBOUND_SECRET.encode(), ts, json.dumps(_result()).encode())
    assert_error(
        call(_result(outcome="refused"), timestamp=ts, signature=signature), 401, "signature_invalid"
    )


def test_an_old_signed_call_is_refused_as_expired(call):
    response = assert_error(call(_result(), timestamp=int(time.time()) - 3600), 401, "signature_expired")
    assert response["message"] and response["message_en"]


def test_without_an_inbound_secret_signed_calls_are_refused_as_not_configured(call, inbound_app, monkeypatch):
    monkeypatch.setitem(inbound_app.config, "HUIFANG_INBOUND_SECRET", None)
    assert_error(call(_result()), 503, "inbound_not_configured")
    # An unsigned call could never pass: it is told so, configured or not (and is never a 5xx).
    assert_error(call(_result(), signature=""), 401, "signature_missing")
    assert COMPUTED == []


def test_a_repeated_call_gets_the_stored_answer_and_runs_once(call, app_ctx):
    first = call(_result())
    again = call(_result())
    assert again.status_code == 201
    assert again.json == first.json == {"accepted": True, "n": 1}
    assert again.headers["X-Huifang-Replay"] == "true"
    assert COMPUTED == ["evt_1"]
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "callback_result_received")) == 1
    stored = db.session.scalars(select(InboundEvent)).one()
    assert (stored.source, stored.event_id, stored.status_code) == ("call_centre", "evt_1", 201)


def test_a_reused_event_id_with_another_body_is_409(call):
    call(_result(outcome="reached"))
    body = assert_error(call(_result(outcome="refused")), 409, "event_id_reused")
    assert body["details"] == {"event_id": "evt_1"}
    assert COMPUTED == ["evt_1"]


def test_a_deliberate_refusal_is_stored_and_replayed_and_its_writes_undone(call, app_ctx):
    first = assert_error(call(_result(policy="unknown")), 422, "policy_unknown")
    again = assert_error(call(_result(policy="unknown")), 422, "policy_unknown")
    assert first == again
    assert COMPUTED == ["evt_1"]
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "callback_result_received")) == 0


def test_the_event_id_header_is_required_and_must_match_the_signed_body(call):
    assert_error(call(_result(), event_id=None), 422, "event_id_missing")
    assert_error(call(_result(), event_id="x" * 129), 422, "event_id_missing")
    assert_error(call(_result("evt_1"), event_id="evt_2"), 422, "event_id_mismatch")
    assert COMPUTED == []


def test_signed_inbound_views_are_public_and_documented_as_signed(inbound_app):
    view = inbound_app.view_functions["inbound_test.results"]
    assert rule_of(view, "inbound_test") == "public"
    operation = (
        inbound_app.test_client()
        .get("/api/v1/openapi.json")
        .json["paths"]["/api/v1/test-inbound/results"]["post"]
    )
    assert operation["security"] == []
    assert {"201", "401", "503"} <= set(operation["responses"])


def test_once_runs_compute_the_first_time_only(app_ctx):
    calls = []

    def compute():
        calls.append(1)
        return {"ok": True}, 200

    assert once("pbx", "e1", "a" * 64, compute) == ({"ok": True}, 200)
    assert once("pbx", "e1", "a" * 64, compute) == ({"ok": True}, 200)
    assert once("other-source", "e1", "a" * 64, compute) == ({"ok": True}, 200)  # ids are per source
    assert len(calls) == 2
    with pytest.raises(HuifangError) as raised:
        once("pbx", "e1", "b" * 64, compute)
    assert (raised.value.code, raised.value.status) == ("event_id_reused", 409)


def test_once_stores_nothing_when_compute_fails_unexpectedly(app_ctx):
    def broken():
        db.session.add(AuditEvent(action="half_done", data={}))
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError):
        once("pbx", "e2", "a" * 64, broken)
    db.session.rollback()
    assert _count(InboundEvent) == 0
    assert once("pbx", "e2", "a" * 64, lambda: ({"second": "try"}, 200)) == ({"second": "try"}, 200)
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "half_done")) == 0


def test_concurrent_duplicates_run_compute_once(app):
    started, release = threading.Event(), threading.Event()
    calls, answers, errors = [], [], []

    def slow():
        calls.append(1)
        started.set()
        release.wait(5)
        return {"n": len(calls)}, 200

    def deliver(compute):
        try:
            with app.app_context():
                answers.append(once("pbx", "dup", "c" * 64, compute))
                db.session.remove()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    first = threading.Thread(target=deliver, args=(slow,))
    first.start()
    assert started.wait(5)
    second = threading.Thread(target=deliver, args=(slow,))
    second.start()
    time.sleep(0.2)  # the duplicate is now waiting on the unique constraint
    release.set()
    first.join(10)
    second.join(10)
    assert errors == []
    assert len(calls) == 1
    assert answers == [({"n": 1}, 200), ({"n": 1}, 200)]


def test_a_duplicate_of_an_event_still_being_answered_is_told_to_retry(app_ctx):
    db.session.add(InboundEvent(source="pbx", event_id="busy", body_sha256="d" * 64))
    db.session.commit()
    with pytest.raises(HuifangError) as raised:
        once("pbx", "busy", "d" * 64, lambda: ({}, 200))
    assert raised.value.code == "event_in_progress"


def test_messages_exist_in_both_languages_for_every_signature_code():
    assert set(inbound.MESSAGES) == set(signing.SignatureError.CODES)


def test_once_still_stores_the_answer_when_compute_commits_by_itself(app_ctx):
    def commits():
        db.session.add(AuditEvent(action="committed_early", data={}))
        db.session.commit()
        return {"ok": 1}, 200

    assert once("pbx", "e3", "a" * 64, commits) == ({"ok": 1}, 200)
    db.session.remove()
    assert once("pbx", "e3", "a" * 64, commits) == ({"ok": 1}, 200)
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "committed_early")) == 1
