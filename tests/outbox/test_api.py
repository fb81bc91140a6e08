"""The operator's API: administrators only, scoped, validated, and replay audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.dbtypes import utcnow
from server.extensions import db
from server.outbox import services
from server.outbox.models import OutboxJob
from tests.server.conftest import assert_error


def _job(status="pending", kind="webhook", institution_id=None, **extra) -> OutboxJob:
    job = OutboxJob(
        kind=kind,
        payload={"event": "visit.submitted"},
        status=status,
        attempts=extra.pop("attempts", 0),
        max_attempts=8,
        next_attempt_at=extra.pop("next_attempt_at", utcnow()),
        created_at=extra.pop("created_at", utcnow()),
        institution_id=institution_id,
        **extra,
    )
    db.session.add(job)
    db.session.commit()
    return job


@pytest.mark.parametrize(
    "role", ["supervisor", "reviewer", "specialist", "compliance_officer", "phone_agent"]
)
def test_only_administrators_see_or_replay_jobs(login_as, role):
    job = _job("dead")
    caller = login_as(role)
    assert_error(caller.get("/api/v1/outbox"), 403, "forbidden")
    assert_error(caller.get("/api/v1/outbox/stats"), 403, "forbidden")
    assert_error(caller.post(f"/api/v1/outbox/{job.id}/replay"), 403, "forbidden")
    db.session.refresh(job)
    assert job.status == "dead"


def test_anonymous_callers_are_asked_to_sign_in(client):
    assert_error(client.get("/api/v1/outbox"), 401, "token_missing")


def test_list_filters_by_status_and_kind_newest_first_in_pages(login_as):
    admin = login_as("admin")
    jobs = [_job("dead", kind="webhook") for _ in range(3)] + [_job("done", kind="pdf")]
    body = admin.get("/api/v1/outbox?status=dead&limit=2").json
    assert [item["id"] for item in body["items"]] == [jobs[2].id, jobs[1].id]
    assert body["next_cursor"] == jobs[1].id
    rest = admin.get(f"/api/v1/outbox?status=dead&limit=2&cursor={body['next_cursor']}").json
    assert [item["id"] for item in rest["items"]] == [jobs[0].id]
    assert rest["next_cursor"] is None
    assert [item["kind"] for item in admin.get("/api/v1/outbox?kind=pdf").json["items"]] == ["pdf"]
    item = body["items"][0]
    assert item["status"] == "dead" and item["payload"] == {"event": "visit.submitted"}


@pytest.mark.parametrize(
    "query",
    ["status=lost", "limit=0", "limit=201", "limit=abc", "cursor=0", "cursor=1.5", "kind=" + "k" * 65],
)
def test_list_arguments_are_validated(login_as, query):
    body = assert_error(login_as("admin").get(f"/api/v1/outbox?{query}"), 422, "validation_error")
    assert body["details"]["fields"]


def test_administrators_below_the_province_see_only_their_subtree(login_as, org):
    jinan, qingdao = _job(institution_id=org["3701"]), _job(institution_id=org["3702"])
    system = _job(institution_id=None)
    city_admin = login_as("admin", institution="3701")
    assert [item["id"] for item in city_admin.get("/api/v1/outbox").json["items"]] == [jinan.id]
    assert_error(city_admin.post(f"/api/v1/outbox/{qingdao.id}/replay"), 404, "not_found")
    province_admin = login_as("admin", institution="37")
    assert {item["id"] for item in province_admin.get("/api/v1/outbox").json["items"]} == {
        jinan.id,
        qingdao.id,
        system.id,
    }


def test_stats_count_by_status_and_age_the_oldest_pending_job(login_as):
    _job(
        "pending",
        created_at=utcnow() - timedelta(minutes=10),
        next_attempt_at=utcnow() - timedelta(minutes=5),
    )
    _job("pending", next_attempt_at=utcnow() + timedelta(hours=1))
    _job("dead")
    _job("done")
    body = login_as("admin").get("/api/v1/outbox/stats").json
    assert body["counts"] == {"pending": 2, "running": 0, "done": 1, "dead": 1}
    assert 599 <= body["oldest_pending_age_seconds"] < 700
    assert 299 <= body["oldest_due_age_seconds"] < 400


def test_stats_of_an_empty_outbox(login_as):
    body = login_as("admin").get("/api/v1/outbox/stats").json
    assert body == {
        "counts": {"pending": 0, "running": 0, "done": 0, "dead": 0},
        "oldest_pending_age_seconds": None,
        "oldest_due_age_seconds": None,
    }


def test_replay_puts_a_dead_job_back_with_attempts_reset_and_is_audited(login_as):
    job = _job("dead", attempts=8, last_error="HTTP 500 from the receiver")
    admin = login_as("admin")
    response = admin.post(f"/api/v1/outbox/{job.id}/replay")
    assert response.status_code == 200
    assert (response.json["status"], response.json["attempts"]) == ("pending", 0)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "outbox_job_replayed")).one()
    assert (event.actor_id, event.target_type, event.target_id) == (admin.user.id, "outbox_job", str(job.id))
    assert event.data["attempts"] == 8 and event.data["last_error"] == "HTTP 500 from the receiver"
    db.session.remove()
    assert services.run_pending(backoff=lambda n: 1)["claimed"] == 1  # due at once


@pytest.mark.parametrize("status", ["pending", "running", "done"])
def test_only_a_dead_job_can_be_replayed(login_as, status):
    job = _job(status)
    body = assert_error(login_as("admin").post(f"/api/v1/outbox/{job.id}/replay"), 409, "job_not_dead")
    assert body["details"] == {"status": status}


def test_replaying_a_missing_job_is_404(login_as):
    assert_error(login_as("admin").post("/api/v1/outbox/999999/replay"), 404, "not_found")


def test_the_openapi_document_describes_the_signed_webhook(client):
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["webhooks"]["huifangEvent"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/WebhookEvent"
    }
    assert set(spec["components"]["schemas"]["WebhookEvent"]["required"]) == {
        "id",
        "event",
        "created_at",
        "data",
    }
    headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
    assert headers == {"X-Huifang-Event-Id", "X-Huifang-Timestamp", "X-Huifang-Signature"}
    assert {"/api/v1/outbox", "/api/v1/outbox/stats", "/api/v1/outbox/{job_id}/replay"} <= set(spec["paths"])
