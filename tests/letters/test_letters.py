"""Letter callbacks (R13): issue, mail, receive the signed paper, verify or reject; scope and roles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.cases.models import ProblemCase
from server.dbtypes import utcnow
from server.extensions import db
from server.letters import services
from server.letters.models import LetterCallback
from server.questionnaires.services import published_version
from server.tasks.models import TaskEvent, VisitTask
from tests.server.conftest import assert_error

from .conftest import ADDRESS, mail, pdf_bytes, png_bytes, upload


def _task(task_id: int) -> VisitTask:
    db.session.expire_all()
    return db.session.get(VisitTask, task_id)


def _actions(letter_json) -> list[str]:
    return [event["action"] for event in letter_json["history"]]


# ---------------------------------------------------------------- creation


def test_create_for_task_moves_the_task_and_is_idempotent(letter_task, make_user):
    task = letter_task()
    clerk = make_user("phone_agent")
    first = services.create_for_task(task, clerk, "确认回访多次未能联系")
    again = services.create_for_task(task, clerk, "再次")
    db.session.commit()
    assert again.id == first.id
    assert first.status == "created" and first.code == services.code_for(first.id)
    assert first.recipient_name == "王秀兰" and first.address == ADDRESS
    assert first.questionnaire_version_id == published_version(task.questionnaire_code).id
    assert _task(task.id).status == "to_letter"
    assert db.session.scalar(select(db.func.count()).select_from(LetterCallback)) == 1
    actions = list(
        db.session.scalars(
            select(TaskEvent.action).where(TaskEvent.task_id == task.id).order_by(TaskEvent.id)
        )
    )
    assert actions == ["created", "to_letter", "letter_created"]


def test_create_for_task_leaves_a_task_already_sent_to_letters_as_it_is(letter_task):
    task = letter_task()
    task.status = "to_letter"  # as the confirming callback leaves it (R14 → R13)
    letter = services.create_for_task(task, None, "确认回访 #7 多次未能联系")
    db.session.commit()
    assert letter.created_by is None and letter.reason == "确认回访 #7 多次未能联系"
    actions = list(
        db.session.scalars(
            select(TaskEvent.action).where(TaskEvent.task_id == task.id).order_by(TaskEvent.id)
        )
    )
    assert actions == ["created", "letter_created"]


def test_create_for_task_does_not_commit(letter_task):
    task = letter_task()
    services.create_for_task(task, None, "x")
    db.session.rollback()
    assert db.session.scalar(select(db.func.count()).select_from(LetterCallback)) == 0
    assert _task(task.id).status == "unassigned"


def test_posting_a_letter_twice_returns_the_open_one(issue):
    caller, letter = issue()
    again = caller.post("/api/v1/letters", json={"task_id": letter["task"]["id"], "reason": "再发"})
    assert again.status_code == 200
    assert again.json["id"] == letter["id"]
    assert letter["status"] == "created" and letter["task"]["status"] == "to_letter"
    assert letter["questionnaire"]["code"] == "new_business"
    assert _actions(letter) == ["created"]


@pytest.mark.parametrize("status", ["closed", "cancelled"])
def test_a_closed_or_cancelled_task_gets_no_letter(letter_task, login_as, status):
    task = letter_task()
    task.status = status
    db.session.commit()
    caller = login_as("supervisor")
    response = caller.post("/api/v1/letters", json={"task_id": task.id, "reason": "无电话"})
    assert_error(response, 409, "task_closed")


def test_a_task_under_review_gets_no_letter_from_the_console(letter_task, login_as):
    task = letter_task()
    task.status = "submitted"
    db.session.commit()
    response = login_as("supervisor").post("/api/v1/letters", json={"task_id": task.id, "reason": "无电话"})
    assert_error(response, 409, "task_in_review")


def test_a_task_of_another_city_is_not_found(letter_task, login_as):
    task = letter_task(institution="370202")  # Qingdao
    response = login_as("supervisor", institution="3701").post(
        "/api/v1/letters", json={"task_id": task.id, "reason": "无电话"}
    )
    assert_error(response, 404, "not_found")


# ---------------------------------------------------------------- reading


def test_list_filters_by_status_and_pages_newest_first(issue, login_as):
    _, first = issue()
    _, second = issue()
    caller, third = issue()
    assert mail(caller, third["id"]).status_code == 200
    reader = login_as("compliance_officer")
    page = reader.get("/api/v1/letters", query_string={"limit": 2}).json
    assert [item["id"] for item in page["items"]] == [third["id"], second["id"]]
    rest = reader.get("/api/v1/letters", query_string={"limit": 2, "cursor": page["next_cursor"]}).json
    assert [item["id"] for item in rest["items"]] == [first["id"]] and rest["next_cursor"] is None
    created = reader.get("/api/v1/letters", query_string={"status": "created"}).json
    assert {item["id"] for item in created["items"]} == {first["id"], second["id"]}
    by_code = reader.get("/api/v1/letters", query_string={"q": second["code"].lower()}).json
    assert [item["id"] for item in by_code["items"]] == [second["id"]]


def test_find_a_letter_by_the_code_on_the_returned_paper(issue, login_as):
    _, letter = issue()
    reader = login_as("reviewer")
    code = letter["code"]
    found = reader.get(f"/api/v1/letters/by-code/{code[:4]}-{code[4:].lower()}")
    assert found.status_code == 200 and found.json["id"] == letter["id"]
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    assert_error(reader.get(f"/api/v1/letters/by-code/{wrong}"), 422, "letter_code_invalid")
    assert_error(reader.get(f"/api/v1/letters/by-code/{services.code_for(99_999)}"), 404, "not_found")


def test_a_reviewer_of_another_city_sees_nothing(issue, login_as):
    _, letter = issue(institution="370102")  # Jinan
    qingdao = login_as("reviewer", institution="3702")
    assert_error(qingdao.get(f"/api/v1/letters/{letter['id']}"), 404, "not_found")
    assert_error(qingdao.get(f"/api/v1/letters/by-code/{letter['code']}"), 404, "not_found")
    assert_error(qingdao.get(f"/api/v1/letters/{letter['id']}/letter.pdf"), 404, "not_found")
    decision = qingdao.post(f"/api/v1/letters/{letter['id']}/decision", json={"decision": "verify"})
    assert_error(decision, 404, "not_found")
    assert qingdao.get("/api/v1/letters").json["items"] == []
    jinan = login_as("reviewer", institution="3701")
    assert jinan.get(f"/api/v1/letters/{letter['id']}").status_code == 200


@pytest.mark.parametrize(
    ("role", "method", "path", "body"),
    [
        ("specialist", "get", "", None),
        ("designer", "get", "/{id}", None),
        ("reviewer", "post", "/{id}/mailing", {"mailed_at": "2026-11-25T09:00:00+08:00", "carrier": "EMS"}),
        ("compliance_officer", "post", "/{id}/scan", None),
        ("supervisor", "post", "/{id}/decision", {"decision": "verify"}),
        ("phone_agent", "post", "/{id}/decision", {"decision": "verify"}),
        ("reviewer", "post", "/{id}/cancel", {"reason": "地址有误"}),
        ("reviewer", "post", "", {"task_id": 1, "reason": "x"}),
        ("specialist", "get", "/{id}/scan", None),
    ],
)
def test_roles_are_refused(issue, login_as, role, method, path, body):
    _, letter = issue()
    caller = login_as(role)
    url = "/api/v1/letters" + path.format(id=letter["id"])
    response = caller.post(url, json=body) if method == "post" else caller.get(url)
    assert_error(response, 403, "forbidden")


# ---------------------------------------------------------------- mailing


def test_recording_the_mailing(issue):
    caller, letter = issue()
    response = mail(caller, letter["id"], carrier="EMS", tracking_no="EA000000001CN")
    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "mailed" and body["carrier"] == "EMS" and body["tracking_no"] == "EA000000001CN"
    assert body["mailed_at"] is not None
    corrected = mail(caller, letter["id"], carrier="EMS", tracking_no="EA000000002CN").json
    assert corrected["tracking_no"] == "EA000000002CN"
    assert _actions(corrected) == ["created", "mailed", "mailing_corrected"]
    audited = db.session.scalars(select(AuditEvent.action).where(AuditEvent.target_type == "letter_callback"))
    assert list(audited).count("letter_mailed") == 2


def test_a_mailing_in_the_future_or_before_the_letter_is_refused(issue):
    caller, letter = issue()
    future = (utcnow() + timedelta(days=2)).isoformat()
    assert_error(mail(caller, letter["id"], mailed_at=future), 422, "mailed_at_future")
    past = (utcnow() - timedelta(days=3)).isoformat()
    assert_error(mail(caller, letter["id"], mailed_at=past), 422, "mailed_at_before_created")
    assert_error(
        mail(caller, letter["id"], mailed_at="2026-11-25T09:00:00"), 422, "validation_error"
    )  # naive
    assert_error(mail(caller, letter["id"], mailed_at="0001-01-01T00:00:00+14:00"), 422, "validation_error")


def test_a_policy_without_address_needs_the_address_the_letter_went_to(issue):
    caller, letter = issue(holder_address=None)
    assert letter["address"] is None
    assert_error(mail(caller, letter["id"]), 422, "address_required")
    body = mail(caller, letter["id"], address="济南市市中区经七路 1 号").json
    assert body["address"] == "济南市市中区经七路 1 号" and body["status"] == "mailed"


# ---------------------------------------------------------------- the scan


def test_a_scan_is_taken_once_the_letter_was_mailed(issue):
    caller, letter = issue()
    assert_error(upload(caller, letter["id"], pdf_bytes()), 409, "letter_not_mailed")
    mail(caller, letter["id"])
    response = upload(
        caller, letter["id"], pdf_bytes(), name="扫描件.bin", mimetype="application/octet-stream"
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "returned" and body["returned_at"] is not None
    assert body["scan"]["mime"] == "application/pdf" and body["scan"]["size"] == len(pdf_bytes())
    scan = caller.get(f"/api/v1/letters/{letter['id']}/scan")
    assert scan.status_code == 200 and scan.data == pdf_bytes() and scan.mimetype == "application/pdf"
    actions = list(
        db.session.scalars(select(AuditEvent.action).where(AuditEvent.target_id == str(letter["id"])))
    )
    assert "letter_scan_uploaded" in actions and "letter_scan_viewed" in actions


def test_a_clearer_scan_replaces_the_first_until_a_decision(issue):
    caller, letter = issue()
    mail(caller, letter["id"])
    upload(caller, letter["id"], png_bytes(color="gray"), name="p.png")
    body = upload(caller, letter["id"], png_bytes(color="white"), name="p.png").json
    assert body["scan"]["mime"] == "image/png"
    assert _actions(body)[-2:] == ["scan_uploaded", "scan_replaced"]


def test_the_whole_round_verify_closes_the_task(issue, login_as):
    caller, letter = issue()
    mail(caller, letter["id"])
    upload(caller, letter["id"], pdf_bytes())
    reviewer = login_as("reviewer", institution="3701")
    response = reviewer.post(
        f"/api/v1/letters/{letter['id']}/decision", json={"decision": "verify", "note": "签名清晰"}
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "verified" and body["reviewer"]["id"] == reviewer.user.id
    assert (
        body["task"]["status"] == "closed" and body["decision_reasons"] == [] and body["note"] == "签名清晰"
    )
    assert _actions(body) == ["created", "mailed", "scan_uploaded", "verified"]
    task = _task(letter["task"]["id"])
    assert task.status == "closed"
    last = db.session.scalars(
        select(TaskEvent).where(TaskEvent.task_id == task.id).order_by(TaskEvent.id.desc())
    ).first()
    assert (last.action, last.from_status, last.to_status) == ("letter_verified", "to_letter", "closed")
    again = reviewer.post(
        f"/api/v1/letters/{letter['id']}/decision", json={"decision": "reject", "reasons": ["other"]}
    )
    assert_error(again, 409, "letter_closed")
    assert_error(upload(caller, letter["id"], pdf_bytes()), 409, "letter_closed")


def test_reject_opens_a_problem_case_and_a_new_letter_can_follow(issue, login_as):
    caller, letter = issue()
    mail(caller, letter["id"])
    upload(caller, letter["id"], pdf_bytes())
    reviewer = login_as("reviewer")
    url = f"/api/v1/letters/{letter['id']}/decision"
    assert_error(reviewer.post(url, json={"decision": "reject"}), 422, "reasons_required")
    assert_error(reviewer.post(url, json={"decision": "reject", "reasons": ["other"]}), 422, "note_required")
    response = reviewer.post(
        url,
        json={"decision": "reject", "reasons": ["holder_signature_missing", "other"], "note": "第2页缺失"},
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "rejected" and body["decision_reasons"] == ["holder_signature_missing", "other"]
    assert body["task"]["status"] == "to_letter"
    [case] = body["cases"]
    assert case["category"] == "letter_rejected" and case["kind"] == "problem" and case["status"] == "open"
    stored = db.session.get(ProblemCase, case["id"])
    assert (
        stored.letter_id == letter["id"]
        and stored.source == "letter"
        and stored.task_id == letter["task"]["id"]
    )
    assert "缺少投保人亲笔签名" in stored.summary
    # The callback department issues a new letter with a new code; the rejected paper stays as it came.
    new = caller.post("/api/v1/letters", json={"task_id": letter["task"]["id"], "reason": "重新寄送"})
    assert new.status_code == 201 and new.json["code"] != letter["code"]


def test_only_a_returned_letter_is_decided(issue, login_as):
    _, letter = issue()
    response = login_as("reviewer").post(
        f"/api/v1/letters/{letter['id']}/decision", json={"decision": "verify"}
    )
    assert_error(response, 409, "letter_not_returned")


def test_cancel_withdraws_an_open_letter(issue, login_as):
    caller, letter = issue()
    response = caller.post(f"/api/v1/letters/{letter['id']}/cancel", json={"reason": "地址不详，邮件退回"})
    assert response.status_code == 200 and response.json["status"] == "cancelled"
    assert_error(mail(caller, letter["id"]), 409, "letter_closed")
    assert_error(
        caller.post(f"/api/v1/letters/{letter['id']}/cancel", json={"reason": "x"}), 409, "letter_closed"
    )
    assert _task(letter["task"]["id"]).status == "to_letter"


def test_reasons_are_listed_in_both_languages(login_as):
    items = login_as("reviewer").get("/api/v1/letters/reasons").json["items"]
    assert {"code": "other", "text": "其他（见说明）", "text_en": "Other (see the note)"} in items


def test_a_confirming_callback_that_never_reaches_the_customer_sends_a_letter(letter_task, make_user):
    """R14 → R13: server/callbacks calls create_for_task inside its own transaction."""
    from server.callbacks import services as callbacks
    from server.callbacks.models import PhoneCallback
    from server.scoping import Scope

    task = letter_task()
    task.status = "approved"  # head office approved the visit; the confirming call is due
    callback = PhoneCallback(
        kind="confirmation",
        status="pending",
        task_id=task.id,
        policy_id=task.policy_id,
        institution_id=task.institution_id,
        due_date=task.due_date,
        answers={},
    )
    db.session.add(callback)
    db.session.commit()
    agent = make_user("phone_agent")
    callbacks.record_attempt(Scope(agent.institution.path), agent, callback.id, {"result": "refused"})
    [letter] = db.session.scalars(select(LetterCallback).where(LetterCallback.task_id == task.id))
    assert letter.status == "created" and f"#{callback.id}" in letter.reason
    assert _task(task.id).status == "to_letter"
