"""A page of the review queue (and of the visits list) costs the same number of SQL statements
whatever its length: its tasks, policies, institutions and specialists are loaded in one query
each, never one query per row (issue #10's review page at provincial scale)."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from server.auth.models import Device
from server.extensions import db
from server.institutions.models import Institution
from server.visits.models import Visit

COUNTIES = ("370102", "370103", "370202", "370211")


@contextmanager
def statements():
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
def pending_visits(make_user, make_policy, make_task, app_ctx):
    """40 visits waiting for review, each of its own task, policy, specialist and county."""
    start = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    made = []
    for n in range(40):
        county = COUNTIES[n % len(COUNTIES)]
        person = make_user("specialist", institution=county, display_name=f"专员{n}")
        device = Device(user_id=person.id, device_uuid=str(uuid.uuid4()), client="tablet")
        db.session.add(device)
        task = make_task(make_policy(institution=county))
        db.session.flush()
        at = start + timedelta(minutes=n)
        visit = Visit(
            uuid=str(uuid.uuid4()),
            hash="0" * 64,
            task_id=task.id,
            user_id=person.id,
            device_id=device.id,
            institution_id=task.institution_id,
            outcome="completed",
            state="submitted",
            flags=["task_reassigned"] if n % 3 == 0 else [],
            record={},
            started_at=at.isoformat(),
            finished_at=(at + timedelta(minutes=20)).isoformat(),
            received_at=at + timedelta(hours=1),
            submitted_at=at + timedelta(hours=1),
            review_state="pending",
            review_priority=n % 3,
        )
        db.session.add(visit)
        made.append((visit.uuid, task, person))
    db.session.commit()
    return {
        uuid_: {
            "policy_number": task.policy.policy_number,
            "holder_name": task.policy.holder_name,
            "institution": {"id": task.institution.id, "name": task.institution.name},
            "specialist": {"id": person.id, "display_name": person.display_name, "username": person.username},
            "task_id": task.id,
        }
        for uuid_, task, person in made
    }


def _page(caller, path, limit):
    with statements() as seen:
        answer = caller.get(path, query_string={"limit": limit})
    assert answer.status_code == 200, answer.json
    return answer.json, len(seen)


@pytest.mark.parametrize("path", ["/api/v1/review/queue", "/api/v1/visits"])
def test_a_page_costs_the_same_statements_for_5_and_40_visits(path, pending_visits, login_as):
    reviewer = login_as("reviewer", institution="37")
    _page(reviewer, path, 1)  # warm whatever a first request loads once
    small, small_statements = _page(reviewer, path, 5)
    large, large_statements = _page(reviewer, path, 40)

    assert len(small["items"]) == 5 and len(large["items"]) == 40
    assert small_statements == large_statements, (small_statements, large_statements)
    assert large_statements <= 10  # sign-in checks, the page, its count, tasks + policies, people
    # Each row still carries its own task's policy and institution, and its own specialist.
    for item in large["items"]:
        expected = pending_visits[item["uuid"]]
        assert {key: item[key] for key in expected} == expected
    if path == "/api/v1/review/queue":
        assert large["total"] == 40 and small["next_cursor"] and large["next_cursor"] is None
        order = [(-item["review_priority"], item["submitted_at"]) for item in large["items"]]
        assert order == sorted(order)


def test_a_city_reviewer_pages_through_its_own_subtree_only(pending_visits, login_as):
    reviewer = login_as("reviewer", institution="3701")
    seen, cursor = [], None
    while True:
        query = {"limit": 7} | ({"cursor": cursor} if cursor else {})
        page = reviewer.get("/api/v1/review/queue", query_string=query).json
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 20 and page["total"] == 20
    assert {item["institution"]["name"] for item in seen} == {"历下区", "市中区"}
    assert len({item["uuid"] for item in seen}) == 20


def test_the_queue_total_is_counted_up_to_a_cap(pending_visits, login_as, app_ctx):
    from server.review import services
    from server.scoping import Scope

    reviewer = login_as("reviewer", institution="3701")
    province = Scope(db.session.get(Institution, reviewer.user.institution.parent_id).path)
    city = Scope(reviewer.user.institution.path)
    assert services.pending_count(province) == (40, False)
    assert services.pending_count(city) == (20, False)
    assert services.pending_count(city, cap=20) == (20, False)
    assert services.pending_count(city, cap=19) == (19, True)
    page = reviewer.get("/api/v1/review/queue", query_string={"limit": 5}).json
    assert page["total"] == 20 and page["total_capped"] is False
