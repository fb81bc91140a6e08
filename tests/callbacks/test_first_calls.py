"""First phone callbacks (R11 phone first): creation, script, attempts, recontact and follow-ups."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from server.calendar.services import WorkCalendar
from server.callbacks import first_calls
from server.callbacks.models import PhoneCallback
from server.cases.models import ProblemCase
from server.extensions import db
from server.letters.models import LetterCallback
from server.tasks.models import VisitTask
from server.tasks.services import SHANGHAI, today
from tests.callbacks.conftest import answers_for
from tests.server.conftest import assert_error


def _taken(agent, callback_id):
    taken = agent.post("/api/v1/callbacks/next").json["callback"]
    assert taken is not None and taken["id"] == callback_id
    return taken


def _followups(policy_id):
    tasks = sorted((t.source, t.status) for t in db.session.query(VisitTask).filter_by(policy_id=policy_id))
    found = sorted((c.kind, c.category) for c in db.session.query(ProblemCase).filter_by(policy_id=policy_id))
    return tasks, found


def test_creation_is_idempotent_by_external_ref_and_due_by_r8(templates, supervisor, make_policy, app_ctx):
    policy = make_policy(institution="370102")
    grace_end = date(2026, 12, 1)
    body = {
        "items": [
            {
                "policy_id": policy.id,
                "item": "grace_period",
                "event_date": "2026-12-01",
                "external_ref": "G1",
            },
            {"policy_id": policy.id, "item": "lapse", "event_date": "2026-12-01", "external_ref": "L1"},
            {"policy_id": policy.id, "item": "surrender", "external_ref": "S1"},
        ]
    }
    first = supervisor.post("/api/v1/callbacks/first-calls", json=body)
    assert first.status_code == 200, first.json
    assert first.json["created"] == 3
    grace, lapse, surrender = first.json["items"]
    calendar = WorkCalendar.load()
    assert grace["due_date"] == calendar.add_workdays(grace_end, -15).isoformat()
    assert lapse["due_date"] == calendar.add_workdays(grace_end, 15).isoformat()
    assert surrender["due_date"] == calendar.add_workdays(today(), 10).isoformat()
    assert [c["questionnaire_code"] for c in first.json["items"]] == [
        "phone_grace_period",
        "phone_after_grace",
        "phone_surrender_claim",
    ]
    assert {c["kind"] for c in first.json["items"]} == {"first_call"}
    again = supervisor.post("/api/v1/callbacks/first-calls", json=body)
    assert again.json["created"] == 0
    assert [c["id"] for c in again.json["items"]] == [c["id"] for c in first.json["items"]]
    assert db.session.query(PhoneCallback).count() == 3


def test_out_of_scope_policies_and_other_roles_are_refused(templates, login_as, make_policy, app_ctx):
    policy = make_policy(institution="370102")
    other = login_as("supervisor", institution="3702")
    body = {"items": [{"policy_id": policy.id, "item": "new_business"}]}
    assert other.post("/api/v1/callbacks/first-calls", json=body).status_code == 404
    agent = login_as("phone_agent", institution="37")
    assert agent.post("/api/v1/callbacks/first-calls", json=body).status_code == 403


def test_the_script_is_the_phone_questionnaire_with_the_facts_filled_in(first_call, agent):
    policy, callback_id = first_call()
    taken = _taken(agent, callback_id)
    ids = [q["id"] for q in taken["script"]]
    assert ids[:2] == ["holder_present", "holder_id_check"]
    assert not any(q["type"] in ("signature", "photo") for q in taken["script"])
    assert "bank_insurer" not in ids  # an agency policy: the bank section is not relevant
    assert policy.holder_name in taken["script"][0]["text"]
    assert all("{" not in q["text"] for q in taken["script"])


def test_answered_without_problems_opens_nothing(first_call, agent):
    policy, callback_id = first_call()
    taken = _taken(agent, callback_id)
    answer = agent.post(
        f"/api/v1/callbacks/{callback_id}/attempts",
        json={"result": "reached", "answers": answers_for(taken["script"], policy)},
    )
    assert answer.status_code == 200, answer.json
    assert answer.json["status"] == "done" and answer.json["outcome"] == "answered"
    db.session.expire_all()
    assert _followups(policy.id) == ([], [])


def test_incomplete_answers_are_refused_by_the_engine(first_call, agent):
    policy, callback_id = first_call()
    taken = _taken(agent, callback_id)
    answers = answers_for(taken["script"], policy)
    del answers["read_terms"]
    answer = agent.post(
        f"/api/v1/callbacks/{callback_id}/attempts", json={"result": "reached", "answers": answers}
    )
    error = assert_error(answer, 422, "answers_invalid")
    assert [e["question_id"] for e in error["details"]["errors"]] == ["read_terms"], error
    wrong = agent.post(
        f"/api/v1/callbacks/{callback_id}/attempts",
        json={"result": "reached", "answers": {**answers, "read_terms": True, "holder_id_check": "0000"}},
    )
    assert_error(wrong, 422, "answers_invalid")


def test_problems_in_the_answers_open_cases_by_category(first_call, agent):
    policy, callback_id = first_call()
    taken = _taken(agent, callback_id)
    answers = answers_for(taken["script"], policy, extra_promises=True, liability="not_understood")
    answer = agent.post(
        f"/api/v1/callbacks/{callback_id}/attempts", json={"result": "reached", "answers": answers}
    )
    assert answer.status_code == 200, answer.json
    db.session.expire_all()
    # misleading_sale is reportable: a compliance case (R16); not_understood stays a problem case
    assert _followups(policy.id) == ([], [("compliance", "misleading_sale"), ("problem", "not_understood")])
    assert {c.callback_id for c in db.session.query(ProblemCase)} == {callback_id}


@pytest.mark.parametrize(
    ("outcome", "tasks", "found"),
    [
        ("wants_explanation", [("explanation", "unassigned")], []),
        ("unsigned_papers", [("re_sign", "unassigned")], [("re_sign", "proxy_signature")]),
        ("misconduct", [], [("compliance", "premium_misappropriated")]),
        ("phone_refused", [("phone_refused", "unassigned")], []),
        ("wants_letter", [("phone_refused", "to_letter")], []),
    ],
)
def test_each_outcome_opens_exactly_its_follow_up(first_call, agent, outcome, tasks, found):
    policy, callback_id = first_call()
    taken = _taken(agent, callback_id)
    partial = {k: v for k, v in answers_for(taken["script"], policy).items() if k == "holder_present"}
    answer = agent.post(
        f"/api/v1/callbacks/{callback_id}/attempts",
        json={"result": "reached", "outcome": outcome, "answers": partial},
    )
    assert answer.status_code == 200, answer.json
    assert answer.json["outcome"] == outcome and answer.json["status"] == "done"
    db.session.expire_all()
    assert _followups(policy.id) == (tasks, found)
    callback = db.session.get(PhoneCallback, callback_id)
    if tasks:
        task = db.session.get(VisitTask, callback.followup_task_id)
        assert task.policy_id == policy.id and f"#{callback_id}" in task.notes
    for case in db.session.query(ProblemCase):
        assert case.callback_id == callback_id
        if case.kind == "re_sign":
            assert case.followup_task_id == callback.followup_task_id
    assert (db.session.query(LetterCallback).count() == 1) == (outcome == "wants_letter")


def test_a_refused_call_is_a_phone_refused_visit(first_call, agent):
    policy, callback_id = first_call()
    _taken(agent, callback_id)
    answer = agent.post(f"/api/v1/callbacks/{callback_id}/attempts", json={"result": "refused"})
    assert answer.status_code == 200, answer.json
    assert answer.json["outcome"] == "phone_refused"
    db.session.expire_all()
    assert _followups(policy.id) == ([("phone_refused", "unassigned")], [])


def test_unreached_calls_retry_then_go_to_recontact_and_come_back(first_call, agent, supervisor, app):
    app.config["HUIFANG_CALLBACK_MAX_ATTEMPTS"] = 2
    policy, callback_id = first_call()
    _taken(agent, callback_id)
    first = agent.post(f"/api/v1/callbacks/{callback_id}/attempts", json={"result": "no_answer"})
    assert first.json["status"] == "pending" and first.json["attempts"] == 1
    retry = datetime.fromisoformat(first.json["next_attempt_at"]).astimezone(SHANGHAI)
    assert retry.date() > datetime.now(SHANGHAI).date()
    assert agent.post("/api/v1/callbacks/next").json == {"callback": None}  # not before its time
    callback = db.session.get(PhoneCallback, callback_id)
    callback.next_attempt_at = datetime(2000, 1, 1, tzinfo=UTC)
    db.session.commit()
    _taken(agent, callback_id)
    second = agent.post(f"/api/v1/callbacks/{callback_id}/attempts", json={"result": "busy"})
    assert second.json["status"] == "recontact" and second.json["next_attempt_at"] is None
    assert agent.post("/api/v1/callbacks/next").json == {"callback": None}
    back = supervisor.post(f"/api/v1/callbacks/{callback_id}/recontact", json={"phone": "13800001111"})
    assert back.status_code == 200, back.json
    assert back.json["status"] == "pending"
    db.session.expire_all()
    assert db.session.get(PhoneCallback, callback_id).attempts == 0
    assert db.session.get(type(policy), policy.id).holder_phone == "13800001111"
    assert _taken(agent, callback_id)["attempts"] == 0
    again = supervisor.post(f"/api/v1/callbacks/{callback_id}/recontact", json={"phone": "13800001111"})
    assert_error(again, 409, "callback_not_in_recontact")
    app.config["HUIFANG_CALLBACK_MAX_ATTEMPTS"] = 3


def test_a_wrong_number_goes_to_recontact_at_once(first_call, agent):
    _, callback_id = first_call()
    _taken(agent, callback_id)
    answer = agent.post(f"/api/v1/callbacks/{callback_id}/attempts", json={"result": "wrong_number"})
    assert answer.json["status"] == "recontact"


def test_retries_stay_inside_calling_hours_and_honour_the_preferred_time(app, app_ctx):
    app.config["HUIFANG_CALLING_HOURS"] = "08:00-21:00"
    callback = PhoneCallback(kind="first_call", attempts=0)
    after = datetime(2027, 6, 7, 2, 0, tzinfo=UTC)
    seen = set()
    for n in range(6):
        callback.attempts = n
        at = first_calls.next_attempt(callback, after).astimezone(SHANGHAI)
        assert time(8) <= at.time() < time(21)
        assert (at.date() > after.astimezone(SHANGHAI).date() and at.weekday() < 5) or at.date().year == 2027
        seen.add(at.time())
    assert len(seen) == 3  # morning, afternoon, evening in turn
    callback.preferred_time = time(19, 30)
    assert first_calls.next_attempt(callback, after).astimezone(SHANGHAI).time() == time(19, 30)
    callback.preferred_time = time(22, 30)  # outside the calling hours: ignored
    assert time(8) <= first_calls.next_attempt(callback, after).astimezone(SHANGHAI).time() < time(21)


def test_outside_calling_hours_no_first_call_is_offered(first_call, agent, app):
    first_call()
    app.config["HUIFANG_CALLING_HOURS"] = "00:00-00:01"
    assert agent.post("/api/v1/callbacks/next").json == {"callback": None}


def test_the_queue_puts_a_shared_phone_risk_first_on_the_same_due_date(first_call, agent, app_ctx):
    from server.risk.models import RiskAlert, RiskAlertPolicy

    _, plain = first_call()
    risky_policy, risky = first_call()
    alert = RiskAlert(
        kind="shared_phone", phone=risky_policy.holder_phone, institution_id=risky_policy.institution_id
    )
    db.session.add(alert)
    db.session.flush()
    db.session.add(RiskAlertPolicy(alert_id=alert.id, policy_id=risky_policy.id))
    db.session.commit()
    assert db.session.get(PhoneCallback, plain).due_date == db.session.get(PhoneCallback, risky).due_date
    assert _taken(agent, risky)["id"] == risky


def test_a_refusal_may_ask_for_a_letter(first_call, agent):
    policy, callback_id = first_call()
    answer = agent.post(
        f"/api/v1/callbacks/{callback_id}/attempts", json={"result": "refused", "outcome": "wants_letter"}
    )
    assert answer.status_code == 200, answer.json
    db.session.expire_all()
    assert _followups(policy.id) == ([("phone_refused", "to_letter")], [])


def test_outcomes_of_the_other_kind_are_refused(first_call, agent):
    _, callback_id = first_call()
    wrong = agent.post(
        f"/api/v1/callbacks/{callback_id}/attempts", json={"result": "reached", "outcome": "confirmed"}
    )
    assert_error(wrong, 422, "outcome_invalid")
    early = agent.post(
        f"/api/v1/callbacks/{callback_id}/attempts", json={"result": "busy", "outcome": "misconduct"}
    )
    assert_error(early, 422, "outcome_without_reach")
    listed = agent.get("/api/v1/callbacks", query_string={"kind": "first_call"}).json["items"]
    assert [c["id"] for c in listed] == [callback_id]
    assert agent.get("/api/v1/callbacks", query_string={"kind": "confirmation"}).json["items"] == []


def test_the_call_centre_reports_a_first_call_once_and_its_follow_up_is_made_once(
    first_call, app, monkeypatch
):
    """An external call centre (issue 9's integration) serves first calls too: its signed outcome
    records the answers through the same engine, and a replay of the event makes nothing twice."""
    from tests.review.test_callbacks import _signed

    secret = b"call-centre-shared-secret-0123456789"
    monkeypatch.setitem(app.config, "HUIFANG_INBOUND_SECRET", secret.decode())
    policy, callback_id = first_call()
    script = first_calls.script(db.session.get(PhoneCallback, callback_id))
    body = {
        "id": "cc-first-1",
        "callback_id": callback_id,
        "result": "reached",
        "outcome": "wants_explanation",
        "answers": answers_for(script, policy),
        "recording_ref": "CC-REC-0001",
    }
    first = _signed(app, body, secret, event_id="cc-first-1")
    assert first.status_code == 200, first.get_json()
    assert (first.get_json()["status"], first.get_json()["outcome"]) == ("done", "wants_explanation")
    again = _signed(app, body, secret, event_id="cc-first-1")
    assert again.status_code == 200 and again.get_json() == first.get_json()
    db.session.expire_all()
    assert _followups(policy.id) == ([("explanation", "unassigned")], [])
    callback = db.session.get(PhoneCallback, callback_id)
    assert callback.recording_ref == "CC-REC-0001" and callback.attempts == 1
    # answers the engine refuses are refused for the call centre too, and change nothing
    _, other_id = first_call()
    bad = {**body, "id": "cc-first-2", "callback_id": other_id, "outcome": "answered"}
    bad["answers"] = {"holder_present": True}
    assert_error(_signed(app, bad, secret, event_id="cc-first-2"), 422, "answers_invalid")
    assert db.session.get(PhoneCallback, other_id).status == "pending"
