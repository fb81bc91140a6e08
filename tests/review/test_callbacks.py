"""The confirming phone callback (R14): attempts, outcomes and exactly the follow-up each opens."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from server.callbacks import services as callbacks
from server.callbacks.models import CallbackAttempt
from server.cases.models import ProblemCase
from server.extensions import db
from server.outbox import signing
from server.tasks.models import VisitTask
from tests.server.conftest import assert_error

YES = {"visit_happened": True, "signature_own": True, "explanation_understood": True}


@pytest.fixture
def approved(synced_visit, reviewer, app_ctx):
    """A visit approved by head office, and its confirming callback."""
    record = synced_visit()
    answer = reviewer.post(f"/api/v1/review/visits/{record['uuid']}/decision", json={"decision": "approve"})
    assert answer.status_code == 200, answer.json
    return record, answer.json["callbacks"][0]["id"]


def _cases():
    return sorted((c.kind, c.category) for c in db.session.query(ProblemCase))


def _tasks_on(policy_id):
    return sorted(
        (t.source, t.status) for t in db.session.query(VisitTask).filter(VisitTask.policy_id == policy_id)
    )


def test_the_agent_takes_the_next_call_with_its_script_filled_in(approved, agent, assigned_task, specialist):
    record, callback_id = approved
    taken = agent.post("/api/v1/callbacks/next").json["callback"]
    assert taken["id"] == callback_id
    assert taken["policy"]["holder_phone"] == assigned_task.policy.holder_phone  # the agent dials it
    [happened, signature, understood] = taken["script"]
    assert assigned_task.policy.holder_name in signature["text"]
    assert specialist.user.display_name in happened["text"]
    assert assigned_task.policy.product_name in understood["text"]
    assert "{" not in happened["text"] and record["started_at"][:10] in happened["text"]
    # The same agent asking again gets the call they hold; another agent gets nothing.
    assert agent.post("/api/v1/callbacks/next").json["callback"]["id"] == callback_id


def test_another_agent_does_not_get_a_call_already_taken(approved, agent, login_as):
    agent.post("/api/v1/callbacks/next")
    other = login_as("phone_agent", institution="37")
    assert other.post("/api/v1/callbacks/next").json == {"callback": None}


def test_confirmed_closes_the_task_and_opens_nothing(approved, agent, assigned_task):
    _, callback_id = approved
    answer = agent.post(
        f"/api/v1/callbacks/{callback_id}/attempts", json={"result": "reached", "answers": YES}
    )
    assert answer.status_code == 200, answer.json
    assert answer.json["status"] == "done" and answer.json["outcome"] == "confirmed"
    db.session.expire_all()
    assert _cases() == []
    assert _tasks_on(assigned_task.policy_id) == [("no_phone", "closed")]
    again = agent.post(f"/api/v1/callbacks/{callback_id}/attempts", json={"result": "no_answer"})
    assert_error(again, 409, "callback_closed")


def test_not_visited_opens_a_compliance_case_and_reopens_the_task(approved, agent, assigned_task):
    _, callback_id = approved
    answers = {**YES, "visit_happened": False}
    answer = agent.post(
        f"/api/v1/callbacks/{callback_id}/attempts", json={"result": "reached", "answers": answers}
    )
    assert answer.json["outcome"] == "not_visited"
    db.session.expire_all()
    assert _cases() == [("compliance", "visit_not_confirmed")]
    assert _tasks_on(assigned_task.policy_id) == [("no_phone", "unassigned")]


def test_signature_not_genuine_opens_a_case_and_a_re_sign_case_with_its_visit_task(
    approved, agent, assigned_task, login_as
):
    _, callback_id = approved
    answer = agent.post(
        f"/api/v1/callbacks/{callback_id}/attempts",
        json={"result": "reached", "outcome": "signature_not_genuine", "recording_ref": "CC-2026-0001"},
    )
    assert (
        answer.json["outcome"] == "signature_not_genuine" and answer.json["recording_ref"] == "CC-2026-0001"
    )
    db.session.expire_all()
    assert _cases() == [("compliance", "signature_not_genuine"), ("re_sign", "proxy_signature")]
    assert _tasks_on(assigned_task.policy_id) == [("no_phone", "closed"), ("re_sign", "unassigned")]
    re_sign = db.session.query(ProblemCase).filter_by(kind="re_sign").one()
    follow = db.session.get(VisitTask, re_sign.followup_task_id)
    assert follow.source == "re_sign" and follow.questionnaire_code == "re_sign"
    # Compliance sees the case, with the salesperson's referral recorded (R16).
    compliance = login_as("compliance_officer", institution="37")
    listed = compliance.get("/api/v1/cases?kind=compliance").json["items"]
    assert [c["category"] for c in listed] == ["signature_not_genuine"]
    assert listed[0]["referred_compliance_at"] and listed[0]["callback_id"] == callback_id


def test_not_understood_opens_a_case_and_an_explanation_visit_task(approved, agent, assigned_task):
    _, callback_id = approved
    answers = {**YES, "explanation_understood": False}
    agent.post(f"/api/v1/callbacks/{callback_id}/attempts", json={"result": "reached", "answers": answers})
    db.session.expire_all()
    assert _cases() == [("problem", "not_understood")]
    assert _tasks_on(assigned_task.policy_id) == [("explanation", "unassigned"), ("no_phone", "closed")]


def test_a_chosen_outcome_must_agree_with_the_answers(approved, agent):
    _, callback_id = approved
    url = f"/api/v1/callbacks/{callback_id}/attempts"
    assert_error(agent.post(url, json={"result": "reached"}), 422, "outcome_required")
    assert_error(
        agent.post(url, json={"result": "reached", "answers": YES, "outcome": "not_visited"}),
        422,
        "outcome_contradicts_answers",
    )
    assert_error(
        agent.post(url, json={"result": "busy", "outcome": "confirmed"}), 422, "outcome_without_reach"
    )
    assert db.session.query(CallbackAttempt).count() == 0


def test_unreached_calls_are_retried_on_later_working_days_then_a_letter(approved, agent, assigned_task):
    _, callback_id = approved
    url = f"/api/v1/callbacks/{callback_id}/attempts"
    first = agent.post(url, json={"result": "no_answer"}).json
    assert first["status"] == "pending" and first["attempts"] == 1
    retry = datetime.fromisoformat(first["next_attempt_at"]).astimezone(callbacks.SHANGHAI)
    assert retry.date() > datetime.now(callbacks.SHANGHAI).date()
    from server.calendar.services import is_workday

    assert is_workday(retry.date())
    # Not due yet: the queue holds it back until then.
    assert agent.post("/api/v1/callbacks/next").json == {"callback": None}
    second = agent.post(url, json={"result": "busy"}).json
    assert second["attempts"] == 2
    assert (
        datetime.fromisoformat(second["next_attempt_at"]).astimezone(callbacks.SHANGHAI).time()
        != retry.time()
    )
    third = agent.post(url, json={"result": "no_answer"}).json
    assert third["status"] == "to_letter" and third["outcome"] == "unreachable"
    db.session.expire_all()
    assert db.session.get(VisitTask, assigned_task.id).status == "to_letter"
    assert _cases() == []


def test_a_refusal_goes_to_a_letter_at_once(approved, agent, assigned_task):
    _, callback_id = approved
    answer = agent.post(f"/api/v1/callbacks/{callback_id}/attempts", json={"result": "refused"}).json
    assert answer["status"] == "to_letter" and answer["attempts"] == 1


def test_a_recording_is_kept_with_the_callback_and_checked_by_content(approved, agent, reviewer):
    _, callback_id = approved
    url = f"/api/v1/callbacks/{callback_id}/recording"
    wav = b"RIFF" + b"\x00" * 4 + b"WAVEfmt " + bytes(64)
    assert_error(agent.put(url, data=b"<html>not audio</html>"), 422, "recording_type")
    assert_error(agent.put(url, data=b""), 422, "recording_empty")
    stored = agent.put(url, data=wav, content_type="application/octet-stream")
    assert stored.status_code == 200 and stored.json["recording_sha256"]
    played = reviewer.get(url)
    assert played.status_code == 200 and played.data == wav and played.mimetype == "audio/wav"


def _signed(app, body: dict, secret: bytes, *, event_id: str, when: int | None = None):
    raw = json.dumps(body).encode()
    ts = when or int(time.time())
    return app.test_client().post(
        "/api/v1/callbacks/outcomes",
        data=raw,
        content_type="application/json",
        headers={
            "X-Huifang-Timestamp": str(ts),
            "X-Huifang-Signature": signing.sign(secret, ts, raw),
            "X-Huifang-Event-Id": event_id,
        },
    )


def test_the_call_centre_reports_outcomes_signed_and_idempotently(approved, app, monkeypatch):
    _, callback_id = approved
    secret = b"call-centre-shared-secret-0123456789"
    monkeypatch.setitem(app.config, "HUIFANG_INBOUND_SECRET", secret.decode())
    body = {"id": "cc-evt-1", "callback_id": callback_id, "result": "reached", "answers": YES}
    first = _signed(app, body, secret, event_id="cc-evt-1")
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["outcome"] == "confirmed"
    again = _signed(app, body, secret, event_id="cc-evt-1")
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert db.session.query(CallbackAttempt).count() == 1  # the replay did nothing again
    assert db.session.query(CallbackAttempt).one().source == "call_centre"
    other = {**body, "result": "busy"}
    assert_error(_signed(app, other, secret, event_id="cc-evt-1"), 409, "event_id_reused")
    assert_error(
        _signed(app, body, b"wrong-secret-wrong-secret-wrong!!", event_id="cc-evt-2"),
        401,
        "signature_invalid",
    )
    stale = int(datetime.now(UTC).timestamp()) - 3600
    assert_error(
        _signed(app, {**body, "id": "cc-evt-3"}, secret, event_id="cc-evt-3", when=stale),
        401,
        "signature_expired",
    )


def test_the_call_centre_api_is_closed_until_a_secret_is_configured(approved, app, monkeypatch):
    _, callback_id = approved
    monkeypatch.setitem(app.config, "HUIFANG_INBOUND_SECRET", None)
    body = {"id": "e1", "callback_id": callback_id, "result": "no_answer"}
    assert_error(_signed(app, body, b"x" * 32, event_id="e1"), 503, "inbound_not_configured")
