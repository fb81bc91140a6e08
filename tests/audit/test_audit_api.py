"""Issue #11: administrators search the audit log of their own subtree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.audit.models import AuditEvent
from server.extensions import db
from tests.server.conftest import assert_error

URL = "/api/v1/audit-events"


@pytest.fixture
def make_event(org):
    def make(action="user_updated", institution="3701", actor=None, at=None, **fields):
        event = AuditEvent(
            action=action,
            institution_id=org[institution] if institution else None,
            actor_id=actor.id if actor is not None else None,
            at=at or datetime.now(UTC),
            data=fields.pop("data", {}),
            **fields,
        )
        db.session.add(event)
        db.session.commit()
        return event

    return make


def ids(response) -> set[int]:
    assert response.status_code == 200, response.json
    return {item["id"] for item in response.json["items"]}


def test_city_admin_sees_its_subtree_only(login_as, make_event):
    own = make_event(institution="3701")
    child = make_event(institution="370102")
    other_city = make_event(institution="3702")
    province = make_event(institution="37")
    unplaced = make_event(institution=None, action="login_failed")

    city_admin = login_as("admin", institution="3701")
    seen = ids(city_admin.get(URL, query_string={"limit": 200}))
    assert {own.id, child.id} <= seen
    assert not seen & {other_city.id, province.id, unplaced.id}

    province_admin = login_as("admin", institution="37")
    seen = ids(province_admin.get(URL, query_string={"limit": 200}))
    assert {own.id, child.id, other_city.id, province.id, unplaced.id} <= seen


def test_only_administrators_search(login_as):
    for role in ("supervisor", "reviewer", "phone_agent", "compliance_officer", "specialist", "designer"):
        assert_error(login_as(role, institution="37").get(URL), 403, "forbidden")


def test_filters(login_as, make_user, make_event, org):
    alice = make_user("supervisor", institution="3701", username="alice")
    bob = make_user("supervisor", institution="3701", username="bob")
    then = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    login = make_event("login", actor=alice, at=then)
    read = make_event(
        "personal_data_read", actor=bob, target_type="policy", target_id="42", at=then + timedelta(days=1)
    )
    revoked = make_event("device_revoked", actor=alice, institution="370102", at=then + timedelta(days=2))
    admin = login_as("admin", institution="3701")

    def search(**query):
        return ids(admin.get(URL, query_string={"limit": 200, **query}))

    assert search(action=["login", "device_revoked"]) >= {login.id, revoked.id}
    assert read.id not in search(action=["login", "device_revoked"])
    assert search(actor="alice") == {login.id, revoked.id}
    assert search(actor=str(bob.id)) == {read.id}
    assert search(actor="nobody") == set()
    assert search(target_type="policy", target_id="42") == {read.id}
    at_from, at_to = (then + timedelta(hours=12)).isoformat(), (then + timedelta(days=2)).isoformat()
    assert search(at_from=at_from, at_to=at_to) == {read.id}  # the end is exclusive
    assert search(institution_id=revoked.institution_id) == {revoked.id}  # 370102 and below
    assert search(institution_id=login.institution_id) >= {login.id, read.id, revoked.id}
    assert_error(admin.get(URL, query_string={"institution_id": org["3702"]}), 404, "not_found")


def test_keyset_pages_newest_first(login_as, make_event):
    made = [make_event("calendar_day_set").id for _ in range(7)]
    admin = login_as("admin", institution="3701")
    seen, cursor = [], None
    while True:
        query = {"limit": 3, "action": "calendar_day_set"}
        if cursor:
            query["cursor"] = cursor
        body = admin.get(URL, query_string=query).json
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(made, reverse=True)


def test_events_show_actor_institution_and_data(login_as, make_user, make_event):
    alice = make_user("supervisor", institution="3701", username="alice", display_name="爱丽丝")
    event = make_event(
        "device_revoked", actor=alice, data={"device_id": 9}, target_type="device", target_id="9"
    )
    admin = login_as("admin", institution="3701")
    (item,) = [i for i in admin.get(URL, query_string={"action": "device_revoked"}).json["items"]]
    assert item["id"] == event.id
    assert item["actor"] == {"id": alice.id, "username": "alice", "display_name": "爱丽丝"}
    assert item["institution"]["code"] == "3701"
    assert item["data"] == {"device_id": 9}
    assert (item["target_type"], item["target_id"]) == ("device", "9")


def test_reading_the_log_writes_nothing_to_it(login_as, make_event):
    make_event()
    admin = login_as("admin", institution="3701")
    before = db.session.query(AuditEvent).count()
    admin.get(URL)
    db.session.expire_all()
    assert db.session.query(AuditEvent).count() == before
