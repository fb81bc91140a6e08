"""Head office review of synced visits: the queue, the flags, and what each decision does."""

from __future__ import annotations

from server.audit.models import AuditEvent
from server.callbacks.models import PhoneCallback
from server.extensions import db
from server.tasks.models import VisitTask
from server.visits.models import Visit
from tests.server.conftest import assert_error


def _pulled_task(device, task_id):
    device.sync()
    return device.tasks.get(task_id) if hasattr(device, "tasks") else None


def test_a_synced_visit_waits_in_the_queue_and_approval_requests_the_confirming_callback(
    synced_visit, reviewer, assigned_task, app_ctx
):
    record = synced_visit()
    queue = reviewer.get("/api/v1/review/queue").json
    assert [v["uuid"] for v in queue["items"]] == [record["uuid"]] and queue["total"] == 1
    assert queue["items"][0]["review_state"] == "pending"

    detail = reviewer.get(f"/api/v1/review/visits/{record['uuid']}").json
    assert detail["record"] == record and detail["decisions"] == [] and detail["callbacks"] == []
    assert set(detail["similarity"]) == {"holder", "specialist"}

    answer = reviewer.post(f"/api/v1/review/visits/{record['uuid']}/decision", json={"decision": "approve"})
    assert answer.status_code == 200, answer.json
    assert answer.json["review_state"] == "approved"
    assert [d["decision"] for d in answer.json["decisions"]] == ["approve"]
    [callback] = answer.json["callbacks"]
    assert callback["status"] == "pending" and callback["kind"] == "confirmation"

    db.session.expire_all()
    assert db.session.get(VisitTask, assigned_task.id).status == "approved"
    assert reviewer.get("/api/v1/review/queue").json["items"] == []
    audit = db.session.query(AuditEvent).filter_by(action="visit_approved").one()
    assert audit.actor_id == reviewer.user.id and audit.data["visit"] == record["uuid"]


def test_a_decided_visit_cannot_be_decided_again(synced_visit, reviewer, app_ctx):
    record = synced_visit()
    url = f"/api/v1/review/visits/{record['uuid']}/decision"
    assert reviewer.post(url, json={"decision": "approve"}).status_code == 200
    assert_error(
        reviewer.post(url, json={"decision": "reject", "reasons": ["other"], "note": "x"}),
        409,
        "visit_not_reviewable",
    )
    assert db.session.query(PhoneCallback).count() == 1


def test_returning_needs_reasons_and_sends_them_to_the_tablet(
    synced_visit, reviewer, device, assigned_task, visit_for, app_ctx
):
    record = synced_visit()
    url = f"/api/v1/review/visits/{record['uuid']}/decision"
    assert_error(reviewer.post(url, json={"decision": "return"}), 422, "reasons_required")
    assert_error(reviewer.post(url, json={"decision": "return", "reasons": ["other"]}), 422, "note_required")
    assert_error(
        reviewer.post(url, json={"decision": "return", "reasons": ["no_such_reason"]}),
        422,
        "validation_error",
    )
    answer = reviewer.post(
        url, json={"decision": "return", "reasons": ["signature_unclear"], "note": "投保人签名只有姓"}
    )
    assert answer.status_code == 200 and answer.json["review_state"] == "returned"

    # The tablet pulls the task again, returned, with the reasons in both languages.
    before = device.cursor if hasattr(device, "cursor") else None
    pulled = device.pull() if hasattr(device, "pull") else None
    del before, pulled
    task = reviewer.get(f"/api/v1/tasks/{assigned_task.id}").json
    assert task["status"] == "returned"
    assert task["review"]["decision"] == "return"
    assert task["review"]["reasons"] == [
        {
            "code": "signature_unclear",
            "text": "签名不清晰或不完整",
            "text_en": "The signature is unclear or incomplete",
        }
    ]
    assert task["review"]["note"] == "投保人签名只有姓"

    # A new visit for the returned task is expected, not flagged as a second visit.
    again, media = visit_for(assigned_task)
    device.add(again, media)
    device.sync()
    db.session.expire_all()
    assert "second_visit_for_task" not in db.session.get(Visit, again["uuid"]).flags
    assert db.session.get(Visit, again["uuid"]).review_state == "pending"
    assert db.session.get(VisitTask, assigned_task.id).status == "submitted"


def test_rejecting_opens_a_problem_case_and_reopens_the_task(synced_visit, reviewer, assigned_task, app_ctx):
    record = synced_visit()
    answer = reviewer.post(
        f"/api/v1/review/visits/{record['uuid']}/decision",
        json={"decision": "reject", "reasons": ["identity_not_verified"]},
    )
    assert answer.status_code == 200
    [case] = answer.json["cases"]
    assert case["category"] == "visit_rejected" and case["kind"] == "problem" and case["source"] == "review"
    db.session.expire_all()
    task = db.session.get(VisitTask, assigned_task.id)
    assert task.status == "unassigned" and task.assignee_id is None
    assert db.session.query(PhoneCallback).count() == 0


def test_the_queue_is_scoped_and_only_reviewers_decide(synced_visit, login_as, app_ctx):
    record = synced_visit()
    qingdao = login_as("reviewer", institution="3702")
    assert qingdao.get("/api/v1/review/queue").json["items"] == []
    assert_error(qingdao.get(f"/api/v1/review/visits/{record['uuid']}"), 404, "not_found")
    assert_error(
        qingdao.post(f"/api/v1/review/visits/{record['uuid']}/decision", json={"decision": "approve"}),
        404,
        "not_found",
    )
    supervisor = login_as("supervisor", institution="3701")
    assert [v["uuid"] for v in supervisor.get("/api/v1/review/queue").json["items"]] == [record["uuid"]]
    assert_error(
        supervisor.post(f"/api/v1/review/visits/{record['uuid']}/decision", json={"decision": "approve"}),
        403,
        "forbidden",
    )
    specialist = login_as("specialist", institution="370102")
    assert_error(specialist.get("/api/v1/review/queue"), 403, "forbidden")


def test_the_riskiest_visit_comes_first_then_the_oldest(
    synced_visit, reviewer, make_task, specialist, app_ctx
):
    from server.sync import changes

    tasks = []
    for _ in range(3):
        task = make_task()
        task.assignee_id, task.status = specialist.user.id, "assigned"
        changes.task_moved(task, None)
        tasks.append(task)
    db.session.commit()
    plain_old = synced_visit(tasks[0])
    plain_new = synced_visit(tasks[1])
    # Visited at 22:30 Beijing time: outside working hours.
    late_night = synced_visit(
        tasks[2], started_at="2026-11-25T22:00:00+08:00", finished_at="2026-11-25T22:30:00+08:00"
    )
    items = reviewer.get("/api/v1/review/queue").json["items"]
    assert [v["uuid"] for v in items] == [late_night["uuid"], plain_old["uuid"], plain_new["uuid"]]
    assert "outside_working_hours" in items[0]["flags"]
    assert items[1]["review_priority"] == items[2]["review_priority"] == 0
    flagged = reviewer.get("/api/v1/review/queue?flagged=true").json["items"]
    assert [v["uuid"] for v in flagged] == [late_night["uuid"]]
    page = reviewer.get("/api/v1/review/queue?limit=2").json
    rest = reviewer.get(f"/api/v1/review/queue?limit=2&cursor={page['next_cursor']}").json
    assert [v["uuid"] for v in page["items"] + rest["items"]] == [v["uuid"] for v in items]
    assert rest["next_cursor"] is None
    assert_error(reviewer.get("/api/v1/review/queue?cursor=%%%"), 422, "cursor_invalid")


def test_flags_late_quick_and_far_from_the_address_carry_their_details(
    synced_visit, reviewer, assigned_task, app_ctx
):
    from datetime import date

    assigned_task.due_date = date(2026, 11, 20)
    assigned_task.policy.holder_address_lat, assigned_task.policy.holder_address_lon = 36.6512, 117.1201
    db.session.commit()
    record = synced_visit(
        started_at="2026-11-25T10:00:00+08:00",
        finished_at="2026-11-25T10:00:05+08:00",
        place={"lat": 36.0671, "lon": 120.3826, "accuracy_m": 15, "at": "2026-11-25T10:00:00+08:00"},
        place_status="ok",
    )
    detail = reviewer.get(f"/api/v1/review/visits/{record['uuid']}").json
    assert {"late", "quick_visit", "far_from_address"} <= set(detail["flags"])
    assert detail["flag_details"]["late"]["due_date"] == "2026-11-20"
    assert detail["flag_details"]["quick_visit"]["seconds"] == 5
    assert detail["flag_details"]["quick_visit"]["minimum_seconds"] > 5
    assert detail["flag_details"]["far_from_address"]["metres"] > 290_000  # Jinan to Qingdao
    assert detail["review_priority"] >= 11


def test_answers_that_signal_problems_open_cases_at_approval_and_a_reportable_one_goes_to_compliance(
    synced_visit, reviewer, assigned_task, make_salesperson, app_ctx, monkeypatch
):
    from server.review import services as review

    seller = make_salesperson("13900000001")
    assigned_task.policy.salesperson_id = seller.id
    db.session.commit()
    found = [{"question_id": "q_premium", "category": "premium_misappropriated"}]
    monkeypatch.setattr(review, "problems_found", lambda version, facts, answers: found)
    record = synced_visit()
    answer = reviewer.post(f"/api/v1/review/visits/{record['uuid']}/decision", json={"decision": "approve"})
    [case] = answer.json["cases"]
    assert case["kind"] == "compliance" and case["category"] == "premium_misappropriated"
    assert case["salesperson"]["id"] == seller.id
    assert case["referred_sales_at"] and case["referred_compliance_at"]
    assert case["question_id"] == "q_premium"
