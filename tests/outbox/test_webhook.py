"""Signed webhooks to a real HTTP receiver on loopback: delivered, retried, dead, replayed, deduped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from server.dbtypes import utcnow
from server.extensions import db
from server.outbox import services, signing, webhook
from server.outbox.models import OutboxJob
from tests.outbox.conftest import WEBHOOK_SECRET, fast_backoff


def _publish(**kw) -> OutboxJob:
    job = webhook.publish(
        "visit.submitted",
        {
            "visit_uuid": "9b2f6c1e-0000-4000-8000-000000000001",
            "holder_name": "张三",
            "at": datetime(2026, 11, 25, tzinfo=UTC),
        },
        dedupe_key="visit:9b2f6c1e:submitted",
        **kw,
    )
    db.session.commit()
    return job


def test_an_event_is_delivered_with_a_valid_signature(app_ctx, receiver):
    job = _publish()
    assert services.run_pending() == {"claimed": 1, "done": 1, "retried": 0, "dead": 0}
    [got] = receiver.delivered
    body, headers = got["body"], got["headers"]
    assert set(body) == {"id", "event", "created_at", "data"}
    assert body["event"] == "visit.submitted"
    assert body["data"] == {
        "visit_uuid": "9b2f6c1e-0000-4000-8000-000000000001",
        "holder_name": "张三",
        "at": "2026-11-25T00:00:00+00:00",
    }
    assert headers["x-huifang-event-id"] == body["id"] == webhook.event_id(job)
    assert headers["content-type"].startswith("application/json")
    assert abs(int(headers["x-huifang-timestamp"]) - int(utcnow().timestamp())) < 5
    assert headers["x-huifang-signature"].startswith("v1=")
    assert receiver.refused == []  # the receiver verified the signature with signing.verify
    db.session.refresh(job)
    assert job.status == "done"


def test_the_signature_covers_the_exact_body_sent(app_ctx, receiver):
    job = _publish()
    body = webhook.body_bytes(job)
    headers = webhook.signed_headers(job, body, WEBHOOK_SECRET.encode(), 1_800_000_000)
    signing.verify(
        WEBHOOK_SECRET.encode(), headers["X-Huifang-Signature"], "1800000000", body, now=1_800_000_000
    )
    assert "张三".encode() in body  # UTF-8, not \\u escapes


def test_a_receiver_that_refuses_the_signature_gets_it_again_later(app_ctx, receiver):
    receiver.secret = b"the receiver has another secret"
    job = _publish()
    assert services.run_pending(backoff=fast_backoff)["retried"] == 1
    assert receiver.refused == ["signature_invalid"]
    db.session.refresh(job)
    assert "HTTP 401" in job.last_error


def test_500s_are_retried_with_growing_waits_and_the_same_event_id(app_ctx, receiver):
    receiver.fail_next = 2
    job = _publish()
    now, waits = utcnow(), []
    for _ in range(2):
        assert services.run_pending(now=now, backoff=fast_backoff)["retried"] == 1
        db.session.refresh(job)
        assert job.status == "pending" and "HTTP 500" in job.last_error
        waits.append(job.next_attempt_at - now)
        now = job.next_attempt_at
    assert waits[1] > waits[0]
    assert services.run_pending(now=now, backoff=fast_backoff)["done"] == 1
    assert receiver.attempts == 3
    assert receiver.delivered[0]["body"]["id"] == webhook.event_id(job)


def test_an_unreachable_receiver_is_a_retry(app_ctx, receiver, app, monkeypatch):
    monkeypatch.setitem(app.config, "HUIFANG_WEBHOOK_URL", "http://127.0.0.1:9/nothing-listens-here")
    job = _publish()
    assert services.run_pending(backoff=fast_backoff)["retried"] == 1
    db.session.refresh(job)
    assert "network error" in job.last_error


def test_a_redirect_is_not_a_delivery(app_ctx, receiver):
    receiver.fail_next, receiver.fail_status = 1, 302
    job = _publish()
    assert services.run_pending(backoff=fast_backoff)["retried"] == 1
    db.session.refresh(job)
    assert "HTTP 302" in job.last_error


def test_an_event_is_dead_after_max_attempts_and_replay_delivers_it(
    app_ctx, receiver, app, monkeypatch, login_as
):
    monkeypatch.setitem(app.config, "HUIFANG_OUTBOX_MAX_ATTEMPTS", 2)
    receiver.fail_next = 2
    job = _publish()
    now = utcnow()
    assert services.run_pending(now=now, backoff=fast_backoff)["retried"] == 1
    assert services.run_pending(now=now + timedelta(hours=1), backoff=fast_backoff)["dead"] == 1
    db.session.refresh(job)
    assert (job.status, job.attempts) == ("dead", 2)
    assert "HTTP 500" in job.last_error
    assert receiver.delivered == []

    admin = login_as("admin")
    response = admin.post(f"/api/v1/outbox/{job.id}/replay")
    assert response.status_code == 200, response.json
    assert (response.json["status"], response.json["attempts"]) == ("pending", 0)
    db.session.remove()
    assert services.run_pending()["done"] == 1
    [got] = receiver.delivered
    assert got["body"]["id"] == webhook.event_id(job)  # the receiver can tell it is the same event


def test_publishing_the_same_fact_twice_sends_one_event(app_ctx, receiver):
    first = _publish()
    second = _publish()
    assert first.id == second.id
    assert db.session.scalar(select(func.count()).select_from(OutboxJob)) == 1
    services.run_pending()
    assert len(receiver.delivered) == 1


def test_publish_does_nothing_without_a_webhook_url(app_ctx, app, monkeypatch):
    monkeypatch.setitem(app.config, "HUIFANG_WEBHOOK_URL", None)
    assert _publish() is None
    assert db.session.scalar(select(func.count()).select_from(OutboxJob)) == 0


def test_an_event_published_in_a_rolled_back_transaction_is_never_sent(app_ctx, receiver):
    webhook.publish("visit.submitted", {"n": 1}, dedupe_key="never")
    db.session.rollback()
    assert services.run_pending()["claimed"] == 0
    assert receiver.attempts == 0


def test_a_long_dedupe_key_still_dedupes(app_ctx, receiver):
    key = "policy:" + "8" * 300
    first = webhook.publish("policy.changed", {}, dedupe_key=key)
    second = webhook.publish("policy.changed", {}, dedupe_key=key)
    assert first is second and len(first.dedupe_key) <= 200
    other = webhook.publish("policy.changed", {}, dedupe_key=key + "9")
    assert other is not first
