"""Task creation, assignment (never the salesperson), R12 re-contact, lists and scoping."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from server.extensions import db
from server.policies.models import PolicyChange
from server.tasks.models import TaskEvent, VisitTask
from server.tasks.services import TaskSpec, create_tasks
from tests.server.conftest import assert_error


def events(task_id):
    return [
        e.action
        for e in db.session.scalars(
            select(TaskEvent).where(TaskEvent.task_id == task_id).order_by(TaskEvent.id)
        )
    ]


def test_created_tasks_get_questionnaire_due_date_status_and_history(app_ctx, make_policy):
    grace = make_policy(grace_end=date(2026, 10, 20))
    failed = make_policy(product_type="unit_linked")
    ids = create_tasks(
        [
            TaskSpec(
                policy_id=grace.id,
                item="grace_period",
                source="no_phone",
                institution_id=grace.institution_id,
            ),
            TaskSpec(
                policy_id=failed.id,
                item="new_business",
                source="phone_failed",
                institution_id=failed.institution_id,
                external_ref="PS-1",
            ),
        ],
        actor_id=None,
        batch_id=7,
    )
    db.session.commit()
    first, second = (db.session.get(VisitTask, i) for i in ids)
    assert (first.questionnaire_code, first.status, first.due_date) == (
        "grace_period",
        "unassigned",
        date(2026, 9, 22),
    )
    assert (second.questionnaire_code, second.status) == ("new_business_new_type", "recontact")  # R12
    assert second.external_ref == "PS-1" and second.batch_id == 7
    assert events(first.id) == ["created"]


def test_assign_then_reassign_keeps_the_history(login_as, make_user, make_task):
    supervisor = login_as("supervisor", institution="3701")
    one = make_user("specialist", institution="370102")
    two = make_user("specialist", institution="370102")
    task = make_task()
    response = supervisor.post("/api/v1/tasks/assign", json={"task_ids": [task.id], "assignee_id": one.id})
    assert response.status_code == 200 and response.json["items"][0]["status"] == "assigned"
    supervisor.post(
        "/api/v1/tasks/assign", json={"task_ids": [task.id], "assignee_id": two.id, "reason": "请假"}
    )
    detail = supervisor.get(f"/api/v1/tasks/{task.id}").json
    assert detail["assignee"]["id"] == two.id
    assert [e["action"] for e in detail["events"]] == ["created", "assigned", "reassigned"]
    assert detail["events"][2]["data"]["previous_assignee_id"] == one.id
    assert detail["events"][2]["actor"]["id"] == supervisor.user.id


def test_never_to_the_policys_salesperson_nor_to_someone_with_the_customers_phone(
    login_as, make_user, make_task, make_policy, make_salesperson
):
    supervisor = login_as("supervisor", institution="3701")
    seller = make_salesperson("13700000001")
    policy = make_policy(salesperson_id=seller.id, holder_phone="13900000009")
    task = make_task(policy)
    disguised = make_user("specialist", institution="370102", phone="137-0000-0001")
    relative = make_user("specialist", institution="370102", phone="13900000009")
    fine = make_user("specialist", institution="370102", phone="13600000000")
    for person, code in ((disguised, "assignee_is_salesperson"), (relative, "assignee_is_customer_contact")):
        body = assert_error(
            supervisor.post("/api/v1/tasks/assign", json={"task_ids": [task.id], "assignee_id": person.id}),
            409,
            "assignment_refused",
        )
        assert body["details"]["tasks"][str(task.id)]["code"] == code
    assert (
        supervisor.post(
            "/api/v1/tasks/assign", json={"task_ids": [task.id], "assignee_id": fine.id}
        ).status_code
        == 200
    )


def test_bulk_assignment_is_all_or_nothing(login_as, make_user, make_task, app_ctx):
    supervisor = login_as("supervisor", institution="3701")
    specialist = make_user("specialist", institution="370102")
    ok = make_task()
    cancelled = make_task()
    cancelled.status = "cancelled"
    db.session.commit()
    response = supervisor.post(
        "/api/v1/tasks/assign", json={"task_ids": [ok.id, cancelled.id], "assignee_id": specialist.id}
    )
    body = assert_error(response, 409, "assignment_refused")
    assert body["details"]["tasks"][str(cancelled.id)]["code"] == "task_not_open"
    db.session.expire_all()
    assert db.session.get(VisitTask, ok.id).assignee_id is None


def test_only_specialists_of_the_tasks_branch(login_as, make_user, make_task):
    admin = login_as("admin")
    reviewer = make_user("reviewer", institution="370102")
    qingdao = make_user("specialist", institution="370202")
    task = make_task()  # 历下区
    for person, code in ((reviewer, "assignee_not_specialist"), (qingdao, "assignee_out_of_area")):
        body = assert_error(
            admin.post("/api/v1/tasks/assign", json={"task_ids": [task.id], "assignee_id": person.id}),
            409,
            "assignment_refused",
        )
        assert body["details"]["tasks"][str(task.id)]["code"] == code


def test_auto_assign_balances_load_and_skips_the_ineligible(
    login_as, make_user, make_task, make_policy, make_salesperson, app_ctx
):
    supervisor = login_as("supervisor", institution="3701")
    busy = make_user("specialist", institution="370102", username="busy")
    idle = make_user("specialist", institution="370102", username="idle")
    make_user("specialist", institution="370202", username="far")  # Qingdao: never for a Jinan task
    for _ in range(2):
        task = make_task()
        task.assignee_id, task.status = busy.id, "assigned"
    db.session.commit()
    fresh = [make_task() for _ in range(3)]
    seller_phone = "13711112222"
    make_salesperson(seller_phone)
    idle.phone = seller_phone  # idle turns out to be a registered salesperson
    db.session.commit()
    shizhong = make_task(make_policy(institution="370103"))  # no specialist in 市中区
    result = supervisor.post("/api/v1/tasks/auto-assign", json={}).json
    assert {int(k): v for k, v in result["assigned"].items()} == {t.id: busy.id for t in fresh}
    assert result["skipped"] == {str(shizhong.id): "no_eligible_specialist"}


def test_r12_recontact_sends_the_case_back_to_phone_or_on_to_a_visit(login_as, make_task, app_ctx):
    agent = login_as("phone_agent")
    updated = make_task(source="phone_failed")
    none = make_task(source="phone_failed")
    letter = make_task(source="phone_failed")
    assert updated.status == "recontact"
    response = agent.post(
        f"/api/v1/tasks/{updated.id}/recontact",
        json={"outcome": "phone_updated", "phone": "+86 138 0531 0000"},
    )
    assert response.json["status"] == "to_phone"
    change = db.session.scalars(select(PolicyChange).where(PolicyChange.policy_id == updated.policy_id)).one()
    assert (change.field, change.new_value, change.source) == ("holder_phone", "13805310000", "recontact")
    assert (
        agent.post(f"/api/v1/tasks/{none.id}/recontact", json={"outcome": "no_phone"}).json["status"]
        == "unassigned"
    )
    assert (
        agent.post(f"/api/v1/tasks/{letter.id}/recontact", json={"outcome": "letter"}).json["status"]
        == "to_letter"
    )
    from server.letters.models import LetterCallback

    [mailed] = db.session.scalars(select(LetterCallback).where(LetterCallback.task_id == letter.id)).all()
    assert mailed.status == "created"  # the letter is ready to print (R13)
    assert_error(
        agent.post(f"/api/v1/tasks/{none.id}/recontact", json={"outcome": "letter"}),
        409,
        "task_not_in_recontact",
    )
    missing = make_task(source="phone_failed")
    assert_error(
        agent.post(f"/api/v1/tasks/{missing.id}/recontact", json={"outcome": "phone_updated"}),
        422,
        "phone_required",
    )


def test_task_lists_are_scoped_and_a_specialist_sees_only_their_own(
    login_as, make_user, make_task, make_policy, app_ctx
):
    jinan_task = make_task()
    qingdao_task = make_task(make_policy(institution="370202"))
    jinan = login_as("supervisor", institution="3701")
    ids = [t["id"] for t in jinan.get("/api/v1/tasks").json["items"]]
    assert ids == [jinan_task.id]
    assert_error(jinan.get(f"/api/v1/tasks/{qingdao_task.id}"), 404, "not_found")

    specialist = login_as("specialist", institution="370102")
    assert specialist.get("/api/v1/tasks").json["items"] == []
    assert_error(specialist.get(f"/api/v1/tasks/{jinan_task.id}"), 404, "not_found")
    jinan_task.assignee_id, jinan_task.status = specialist.user.id, "assigned"
    db.session.commit()
    mine = specialist.get("/api/v1/tasks").json["items"]
    assert [t["id"] for t in mine] == [jinan_task.id]
    assert mine[0]["policy"]["holder_phone"] == jinan_task.policy.holder_phone  # the visitor calls ahead
    assert "*" in jinan.get(f"/api/v1/tasks/{jinan_task.id}").json["policy"]["holder_phone"]


def test_task_list_filters_and_keyset_pages(login_as, make_task, make_policy):
    admin = login_as("admin")
    tasks = [make_task(due_date=date(2026, 12, day)) for day in (5, 1, 3, 3, 9)]
    make_task(make_policy(holder_name="欧阳娜娜"), item="claim", due_date=date(2026, 12, 2))
    seen, cursor = [], None
    while True:
        page = admin.get("/api/v1/tasks?limit=2" + (f"&cursor={cursor}" if cursor else "")).json
        seen += [(t["due_date"], t["id"]) for t in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(seen) and len(seen) == 6
    assert [t["item"] for t in admin.get("/api/v1/tasks?item=claim").json["items"]] == ["claim"]
    assert len(admin.get("/api/v1/tasks?q=欧阳").json["items"]) == 1
    assert len(admin.get(f"/api/v1/tasks?q={tasks[0].policy.policy_number}").json["items"]) == 1
    window = admin.get("/api/v1/tasks?due_from=2026-12-02&due_to=2026-12-04").json["items"]
    assert sorted(t["due_date"] for t in window) == ["2026-12-02", "2026-12-03", "2026-12-03"]
    assert len(admin.get("/api/v1/tasks?status=unassigned&status=recontact").json["items"]) == 6
    assert_error(admin.get("/api/v1/tasks?cursor=nonsense"), 422, "cursor_invalid")


def test_overdue_and_team_load(login_as, make_user, make_task, app_ctx):
    supervisor = login_as("supervisor", institution="3701")
    person = make_user("specialist", institution="370102", display_name="王专员")
    late = make_task(due_date=date(2020, 1, 2))
    soon = make_task(due_date=date(2020, 1, 3))
    for task in (late, soon):
        task.assignee_id, task.status = person.id, "assigned"
    db.session.commit()
    assert [t["id"] for t in supervisor.get("/api/v1/tasks?overdue=true").json["items"]] == [late.id, soon.id]
    load = supervisor.get("/api/v1/tasks/load").json["items"]
    row = next(r for r in load if r["user"]["id"] == person.id)
    assert (row["open"], row["overdue"]) == (2, 2)
    assert_error(login_as("specialist").get("/api/v1/tasks/load"), 403, "forbidden")


def test_cancel_is_audited_in_the_history(login_as, make_task):
    supervisor = login_as("supervisor", institution="3701")
    task = make_task()
    assert (
        supervisor.post(f"/api/v1/tasks/{task.id}/cancel", json={"reason": "客户已退保"}).json["status"]
        == "cancelled"
    )
    assert_error(
        supervisor.post(f"/api/v1/tasks/{task.id}/cancel", json={"reason": "again"}), 409, "task_not_open"
    )


def test_a_salesperson_cannot_be_made_a_specialist(login_as, make_salesperson, org, make_user):
    admin = login_as("admin")
    make_salesperson("13755556666", code="S0001")
    body = {
        "username": "seller.in.disguise",
        "display_name": "某人",
        "phone": "137 5555 6666",
        "institution_id": org["370102"],
        "roles": ["specialist"],
        "password": "long-enough-password",
    }
    refused = assert_error(admin.post("/api/v1/users", json=body), 409, "specialist_is_salesperson")
    assert refused["details"] == {"salesperson_code": "S0001"}
    # Another role is fine (a salesperson may hold an office account), but not the specialist role later.
    created = admin.post("/api/v1/users", json={**body, "roles": ["reviewer"]})
    assert created.status_code == 201 and created.json["phone"] == "13755556666"
    promote = admin.patch(f"/api/v1/users/{created.json['id']}", json={"roles": ["reviewer", "specialist"]})
    assert_error(promote, 409, "specialist_is_salesperson")
    specialist = make_user("specialist", institution="370102")
    assert_error(
        admin.patch(f"/api/v1/users/{specialist.id}", json={"phone": "13755556666"}),
        409,
        "specialist_is_salesperson",
    )
