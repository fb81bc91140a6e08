"""Issue #11: every read of unmasked personal data is audited, once per request."""

from __future__ import annotations

from sqlalchemy import select

from server.audit import reads
from server.audit.models import AuditEvent
from server.extensions import db
from tests.server.conftest import assert_error


def read_events() -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "personal_data_read").order_by(AuditEvent.id)
        )
    )


def test_admin_listing_policies_writes_one_event_with_count_and_ids(login_as, make_policy):
    policies = [make_policy() for _ in range(3)]
    admin = login_as("admin")
    response = admin.get("/api/v1/policies")
    assert response.status_code == 200
    assert {p["holder_id_number"] for p in response.json["items"]} == {p.holder_id_number for p in policies}

    (event,) = read_events()
    assert event.actor_id == admin.user.id
    assert event.institution_id == admin.user.institution_id
    assert event.target_type == "policy" and event.target_id is None  # several records
    assert event.data["endpoint"] == "policies.list_policies"
    assert event.data["method"] == "GET" and event.data["path"] == "/api/v1/policies"
    assert event.data["count"] == 3
    assert sorted(event.data["targets"]["policy"]["ids"]) == sorted(p.id for p in policies)
    assert event.data["targets"]["policy"]["count"] == 3
    assert event.request_id  # ties the event to the request's log lines


def test_one_policy_read_names_the_policy(login_as, make_policy):
    policy = make_policy()
    admin = login_as("admin")
    assert admin.get(f"/api/v1/policies/{policy.policy_number}").status_code == 200
    (event,) = read_events()
    assert (event.target_type, event.target_id, event.data["count"]) == ("policy", str(policy.id), 1)


def test_phone_agent_reading_a_task_is_audited_with_the_policy_as_target(login_as, make_task):
    task = make_task()
    agent = login_as("phone_agent")
    response = agent.get(f"/api/v1/tasks/{task.id}")
    assert response.status_code == 200
    assert response.json["policy"]["holder_phone"] == task.policy.holder_phone
    (event,) = read_events()
    assert event.data["endpoint"] == "tasks.get_task"
    assert (event.target_type, event.target_id) == ("policy", str(task.policy_id))


def test_search_result_with_full_data_writes_exactly_one_event(login_as, make_task):
    tasks = [make_task() for _ in range(4)]
    agent = login_as("phone_agent")
    response = agent.get("/api/v1/search/tasks")
    assert response.status_code == 200 and len(response.json["items"]) == 4
    (event,) = read_events()
    assert event.data["count"] == 4
    assert sorted(event.data["targets"]["policy"]["ids"]) == sorted(t.policy_id for t in tasks)


def test_callback_workbench_giving_the_agent_the_phone_is_audited(login_as, make_task, make_callback):
    task = make_task()
    callback = make_callback(task=task)
    agent = login_as("phone_agent")
    response = agent.get(f"/api/v1/callbacks/{callback.id}")
    assert response.status_code == 200
    assert response.json["policy"]["holder_phone"] == task.policy.holder_phone
    (event,) = read_events()
    assert (event.target_type, event.target_id) == ("policy", str(task.policy_id))


def test_masked_reads_are_not_audited(login_as, make_task, make_policy):
    make_policy()
    make_task()
    for role in ("reviewer", "supervisor", "compliance_officer"):
        caller = login_as(role)
        for url in ("/api/v1/policies", "/api/v1/tasks", "/api/v1/search/tasks", "/api/v1/search/policies"):
            response = caller.get(url)
            assert response.status_code == 200, (role, url, response.json)
    assert read_events() == []


def test_an_error_answer_writes_nothing(login_as, make_policy):
    make_policy()
    admin = login_as("admin")
    assert_error(admin.get("/api/v1/policies/NO-SUCH"), 404, "not_found")
    assert admin.get("/api/v1/policies?limit=0").status_code == 422
    assert read_events() == []


def test_an_empty_answer_writes_nothing(login_as):
    admin = login_as("admin")
    assert admin.get("/api/v1/policies").json["items"] == []
    assert read_events() == []


def test_exports_are_audited_once_as_exports_not_as_reads(login_as, make_task):
    make_task()
    admin = login_as("admin")
    response = admin.get("/api/v1/search/tasks/export", query_string={"format": "csv"})
    assert response.status_code == 200
    response.get_data()  # the stream is read to its end
    assert read_events() == []
    exported = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "search_exported")).all()
    assert len(exported) == 1 and exported[0].data["personal_data"] == "full"


def test_each_request_is_its_own_event(login_as, make_policy):
    make_policy()
    admin = login_as("admin")
    reviewer = login_as("reviewer")
    admin.get("/api/v1/policies")
    reviewer.get("/api/v1/policies")  # a masked read right after a full one is not audited
    admin.get("/api/v1/policies")
    assert [e.actor_id for e in read_events()] == [admin.user.id, admin.user.id]


def test_the_walk_finds_unmasked_records_by_where_they_sit():
    payload = {
        "items": [
            {"id": 1, "policy": {"id": 10, "holder_phone": "13800138000"}},
            {"id": 2, "policy": {"id": 11, "holder_phone": "138****8000"}},  # masked
            {"id": 3, "policy": {"id": 10, "holder_phone": "13800138000"}},  # the same policy again
            {"id": 4, "phone": "13900139000", "policies": [{"id": 12, "holder_id_number": "3701**1234"}]},
            {"phone": "13700137000"},  # a record without an id still counts
            {"id": 5, "holder_phone": None, "holder_id_number": ""},
        ]
    }
    found = reads.unmasked_records(payload, "risk_alert")
    assert found == {"policy": [10], "risk_alert": [4, None]}


def test_the_event_caps_its_id_list_but_keeps_the_count():
    class Actor:
        id, institution_id = 7, 3

    records = {"policy": list(range(1, 121)), "salesperson": [5]}
    values = reads.event_values(records, actor=Actor, endpoint="e", method="GET", path="/p")
    assert values["target_type"] == "policy" and values["target_id"] is None
    assert values["data"]["count"] == 121
    policy = values["data"]["targets"]["policy"]
    assert policy["count"] == 120 and policy["ids"] == list(range(1, 51)) and policy["ids_truncated"]
    assert reads.event_values({}, actor=Actor, endpoint="e", method="GET", path="/p") is None
