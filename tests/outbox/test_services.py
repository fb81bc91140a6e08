"""enqueue and run_pending: a job exists iff its transaction committed, runs once at a time, retries, dies."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.dbtypes import utcnow
from server.extensions import db
from server.outbox import services
from server.outbox.models import OutboxJob
from tests.outbox.conftest import fast_backoff

ran: list[tuple[int, str]] = []
FAILURES = {"left": 0}


@services.handler("test_record")
def _record(job: OutboxJob) -> None:
    if FAILURES["left"]:
        FAILURES["left"] -= 1
        raise RuntimeError("the other system said no")
    ran.append((job.id, job.locked_by))


@services.handler("test_writes_then_fails")
def _writes_then_fails(job: OutboxJob) -> None:
    db.session.add(AuditEvent(action="half_done", data={}))
    db.session.flush()
    raise RuntimeError("failed after writing")


@services.handler("test_writes")
def _writes(job: OutboxJob) -> None:
    db.session.add(AuditEvent(action="handled", data={"job": job.id}))


@pytest.fixture(autouse=True)
def _reset():
    ran.clear()
    FAILURES["left"] = 0
    yield


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxJob))


def test_enqueue_adds_to_the_transaction_and_never_commits(app_ctx):
    job = services.enqueue("test_record", {"n": 1})
    assert job in db.session.new or job.id is not None
    db.session.rollback()
    assert _count() == 0


def test_a_job_enqueued_in_a_transaction_that_rolls_back_never_runs(app_ctx):
    db.session.add(AuditEvent(action="business_change", data={}))
    services.enqueue("test_record", {"n": 1}, dedupe_key="rolled-back")
    db.session.rollback()
    assert services.run_pending() == {"claimed": 0, "done": 0, "retried": 0, "dead": 0}
    assert ran == []
    assert _count() == 0


def test_a_committed_job_runs_once_and_is_done(app_ctx):
    job = services.enqueue("test_record", {"n": 1})
    db.session.commit()
    assert services.run_pending(worker_id="w1") == {"claimed": 1, "done": 1, "retried": 0, "dead": 0}
    assert ran == [(job.id, "w1")]
    db.session.refresh(job)
    assert (job.status, job.attempts, job.locked_by, job.locked_at) == ("done", 1, None, None)
    assert job.done_at is not None
    assert services.run_pending()["claimed"] == 0


def test_the_same_dedupe_key_enqueues_once(app_ctx):
    first = services.enqueue("test_record", {"n": 1}, dedupe_key="visit:1:submitted")
    assert services.enqueue("test_record", {"n": 2}, dedupe_key="visit:1:submitted") is first
    db.session.commit()
    again = services.enqueue("test_record", {"n": 3}, dedupe_key="visit:1:submitted")  # a later transaction
    assert again.id == first.id
    db.session.commit()
    assert _count() == 1
    assert db.session.get(OutboxJob, first.id).payload == {"n": 1}


def test_the_same_dedupe_key_with_autoflush_off_is_found_in_the_session(app_ctx):
    with db.session.no_autoflush:
        first = services.enqueue("test_record", {"n": 1}, dedupe_key="k")
        assert services.enqueue("test_record", {"n": 2}, dedupe_key="k") is first


def test_a_job_is_not_run_before_its_time(app_ctx):
    later = utcnow() + timedelta(hours=1)
    services.enqueue("test_record", {}, run_at=later)
    db.session.commit()
    assert services.run_pending()["claimed"] == 0
    assert services.run_pending(now=later)["done"] == 1


def test_a_failing_job_is_retried_later_and_later(app_ctx):
    FAILURES["left"] = 3
    job = services.enqueue("test_record", {})
    db.session.commit()
    now, waits = utcnow(), []
    for attempt in range(1, 4):
        assert services.run_pending(now=now, backoff=fast_backoff)["retried"] == 1
        db.session.refresh(job)
        assert (job.status, job.attempts) == ("pending", attempt)
        assert "the other system said no" in job.last_error
        waits.append((job.next_attempt_at - now).total_seconds())
        assert services.run_pending(now=now)["claimed"] == 0  # not due yet
        now = job.next_attempt_at
    assert waits == [10.0, 20.0, 40.0]
    assert services.run_pending(now=now)["done"] == 1


def test_a_job_is_dead_after_max_attempts(app_ctx, app, monkeypatch):
    monkeypatch.setitem(app.config, "HUIFANG_OUTBOX_MAX_ATTEMPTS", 3)
    FAILURES["left"] = 99
    job = services.enqueue("test_record", {})
    db.session.commit()
    assert job.max_attempts == 3
    now, outcomes = utcnow(), []
    for _ in range(3):
        counts = services.run_pending(now=now, backoff=fast_backoff)
        outcomes.append("dead" if counts["dead"] else "retried")
        now += timedelta(days=1)
    assert outcomes == ["retried", "retried", "dead"]
    db.session.refresh(job)
    assert (job.status, job.attempts) == ("dead", 3)
    assert "RuntimeError: the other system said no" in job.last_error
    assert services.run_pending(now=now + timedelta(days=30))["claimed"] == 0  # dead stays dead


def test_default_backoff_grows_exponentially_with_jitter_and_a_cap():
    for attempt in range(1, 8):
        raw = 60 * 2 ** (attempt - 1)
        assert raw <= services.exponential_backoff(attempt) <= raw * 1.25
    assert services.exponential_backoff(40) == services.BACKOFF_CAP_SECONDS
    assert len({services.exponential_backoff(3) for _ in range(20)}) > 1  # jittered


def test_what_a_failing_handler_wrote_is_undone(app_ctx):
    services.enqueue("test_writes_then_fails", {})
    db.session.commit()
    assert services.run_pending(backoff=fast_backoff)["retried"] == 1
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "half_done")) == 0


def test_what_a_succeeding_handler_wrote_commits_with_done(app_ctx):
    job = services.enqueue("test_writes", {})
    db.session.commit()
    assert services.run_pending()["done"] == 1
    assert db.session.scalars(select(AuditEvent.data).where(AuditEvent.action == "handled")).all() == [
        {"job": job.id}
    ]


def test_a_kind_without_handler_is_retried_not_lost(app_ctx):
    job = services.enqueue("test_nobody_handles_this", {})
    db.session.commit()
    assert services.run_pending(backoff=fast_backoff)["retried"] == 1
    db.session.refresh(job)
    assert job.status == "pending" and "no handler" in job.last_error


def test_a_running_job_whose_lease_expired_is_reclaimed(app_ctx, app):
    lease = app.config["HUIFANG_OUTBOX_LEASE"]
    job = services.enqueue("test_record", {})
    db.session.commit()
    # A worker claimed it and was SIGKILLed before finishing: the job stays running with its lock.
    claimed, _ = services._claim(10, "killed-worker", utcnow())
    assert claimed == [(job.id, 1)]
    assert services.run_pending(worker_id="w2")["claimed"] == 0  # its lease still runs
    later = utcnow() + timedelta(seconds=lease + 1)
    assert services.run_pending(worker_id="w2", now=later) == {
        "claimed": 1,
        "done": 1,
        "retried": 0,
        "dead": 0,
    }
    assert ran == [(job.id, "w2")]
    db.session.refresh(job)
    assert (job.status, job.attempts) == ("done", 2)


def test_a_job_whose_worker_died_on_its_last_attempt_is_dead(app_ctx, app, monkeypatch):
    monkeypatch.setitem(app.config, "HUIFANG_OUTBOX_MAX_ATTEMPTS", 1)
    job = services.enqueue("test_record", {})
    db.session.commit()
    services._claim(10, "killed-worker", utcnow())
    later = utcnow() + timedelta(seconds=app.config["HUIFANG_OUTBOX_LEASE"] + 1)
    assert services.run_pending(now=later) == {"claimed": 0, "done": 0, "retried": 0, "dead": 1}
    db.session.refresh(job)
    assert job.status == "dead" and "lease expired" in job.last_error
    assert ran == []


def test_a_worker_that_lost_its_lease_does_not_overwrite_the_new_owner(app_ctx):
    job = services.enqueue("test_record", {})
    db.session.commit()
    [(job_id, attempt)], _ = services._claim(10, "slow-worker", utcnow())
    later = utcnow() + timedelta(hours=1)
    [(_, second)], _ = services._claim(10, "new-owner", later)
    assert second == attempt + 1
    # The slow worker finally finishes: its outcome is refused, the new owner's claim stands.
    assert services._finish(job_id, attempt, "slow-worker", {"status": "done"}) is False
    db.session.rollback()
    db.session.refresh(job)
    assert (job.status, job.locked_by) == ("running", "new-owner")


def test_handlers_are_registered_once_per_kind():
    with pytest.raises(ValueError):
        services.handler("test_record")(lambda job: None)


def _pg_only(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("row locks and SKIP LOCKED are PostgreSQL's; SQLite serialises writers")


def test_a_claimer_skips_jobs_another_claimer_holds_locked_without_waiting(app):
    _pg_only(app)
    with app.app_context():
        for n in range(6):
            services.enqueue("test_record", {"n": n})
        db.session.commit()
        ids = db.session.scalars(select(OutboxJob.id).order_by(OutboxJob.id)).all()
        db.session.remove()
    result = {}

    def second_worker():
        with app.app_context():
            result["counts"] = services.run_pending(worker_id="second")
            db.session.remove()

    with app.app_context(), db.engine.connect() as other:
        # Another worker in the middle of its claim transaction holds the first three rows locked.
        other.begin()
        other.execute(select(OutboxJob.id).where(OutboxJob.id.in_(ids[:3])).with_for_update()).all()
        thread = threading.Thread(target=second_worker)
        thread.start()
        thread.join(5)
        waited = thread.is_alive()
        other.rollback()
    thread.join(5)
    assert not waited, "the second worker waited for the locked rows instead of skipping them"
    assert result["counts"]["claimed"] == 3
    assert sorted(job_id for job_id, _ in ran) == ids[3:]


def test_concurrent_workers_take_disjoint_jobs(app):
    _pg_only(app)
    with app.app_context():
        for n in range(40):
            services.enqueue("test_record", {"n": n})
        db.session.commit()
    start = threading.Barrier(2)
    errors = []

    def work(name):
        try:
            with app.app_context():
                start.wait()
                while services.run_pending(limit=3, worker_id=name)["claimed"]:
                    pass
                db.session.remove()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    ids = [job_id for job_id, _ in ran]
    assert len(ids) == 40 and len(set(ids)) == 40  # every job once, none twice
    assert {worker for _, worker in ran} == {"a", "b"}  # and both workers took some
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(OutboxJob.status != "done")) == 0


def test_run_pending_refuses_a_session_with_unfinished_changes(app_ctx):
    services.enqueue("test_record", {})
    with pytest.raises(RuntimeError, match="clean session"):
        services.run_pending()
    db.session.rollback()


@pytest.mark.parametrize("key", ["", "k" * 201])
def test_a_dedupe_key_fits_its_column(app_ctx, key):
    with pytest.raises(ValueError):
        services.enqueue("test_record", {}, dedupe_key=key)


def test_a_stopping_worker_finishes_the_job_in_hand_and_hands_back_the_rest(app_ctx):
    jobs = [services.enqueue("test_record", {"n": n}) for n in range(3)]
    db.session.commit()
    ids = [job.id for job in jobs]
    counts = services.run_pending(worker_id="w", should_stop=lambda: len(ran) >= 1)
    assert counts == {"claimed": 3, "done": 1, "retried": 0, "dead": 0}
    statuses = dict(db.session.execute(select(OutboxJob.id, OutboxJob.status)).all())
    assert statuses == {ids[0]: "done", ids[1]: "pending", ids[2]: "pending"}
    back = db.session.get(OutboxJob, ids[1])
    assert (back.attempts, back.locked_by) == (0, None)  # the attempt that never ran is not counted
    assert services.run_pending()["done"] == 2  # due at once for any worker


def test_concurrent_enqueues_of_one_dedupe_key_make_one_job_and_both_transactions_commit(app):
    _pg_only(app)
    first_inserted, release = threading.Event(), threading.Event()
    results, errors = {}, []

    def first():
        try:
            with app.app_context():
                db.session.add(AuditEvent(action="first_business_change", data={}))
                results["first"] = services.enqueue("test_record", {"by": "first"}, dedupe_key="race").id
                first_inserted.set()
                release.wait(5)
                db.session.commit()
                db.session.remove()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def second():
        try:
            with app.app_context():
                db.session.add(AuditEvent(action="second_business_change", data={}))
                # Waits on the unique index until the first transaction commits, then finds its job.
                results["second"] = services.enqueue("test_record", {"by": "second"}, dedupe_key="race").id
                db.session.commit()
                db.session.remove()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    one = threading.Thread(target=first)
    one.start()
    assert first_inserted.wait(5)
    two = threading.Thread(target=second)
    two.start()
    two.join(0.3)
    assert two.is_alive()  # blocked on the first transaction's uncommitted key
    release.set()
    one.join(10)
    two.join(10)
    assert errors == []
    assert results["first"] == results["second"]
    with app.app_context():
        assert db.session.scalars(select(OutboxJob.payload)).all() == [{"by": "first"}]
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"first_business_change", "second_business_change"} <= actions
