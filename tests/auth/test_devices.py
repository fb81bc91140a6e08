"""Devices: the administrator's and supervisor's list, and revoking a lost tablet (issue 11).

A revoked device's access tokens stop at once, its refresh tokens are revoked, sign-in from it is
refused, and the answer is ``device_revoked`` everywhere (the field app wipes itself on that code).
Scoped like the users API: outside the caller's subtree a device answers 404 like a missing one.
"""

from __future__ import annotations

from sqlalchemy import select

from server.audit.models import AuditEvent
from server.auth.models import Device, RefreshToken
from server.extensions import db
from tests.review.conftest import *  # noqa: F403 - login_as, synced_visit, device, assigned_task, ...
from tests.server.conftest import assert_error, login


def _device_of(caller) -> Device:
    return db.session.scalars(
        select(Device).where(Device.user_id == caller.user.id, Device.device_uuid == caller.device_id)
    ).one()


def _listed(caller, **query) -> list[dict]:
    response = caller.get("/api/v1/devices", query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def _revoke(caller, device_id: int, reason: str = "平板丢失"):
    return caller.post(f"/api/v1/devices/{device_id}/revoke", json={"reason": reason})


def test_list_shows_the_devices_of_the_callers_subtree_with_their_user_and_times(login_as, app_ctx):
    lixia = login_as("specialist", institution="370102", display_name="王专员")
    qingdao = login_as("specialist", institution="3702")
    admin = login_as("admin", institution="37")
    supervisor = login_as("supervisor", institution="3701")

    seen_by_admin = {d["user"]["id"] for d in _listed(admin)}
    assert [d["current"] for d in _listed(admin, user_id=admin.user.id)] == [True]
    assert not any(d["current"] for d in _listed(admin, user_id=lixia.user.id))
    assert {lixia.user.id, qingdao.user.id, supervisor.user.id, admin.user.id} <= seen_by_admin

    items = _listed(supervisor)
    assert {d["user"]["id"] for d in items} == {lixia.user.id, supervisor.user.id}
    row = next(d for d in items if d["user"]["id"] == lixia.user.id)
    assert row["id"] == _device_of(lixia).id
    assert row["user"]["display_name"] == "王专员" and row["user"]["institution_name"] == "历下区"
    assert row["client"] == "console"  # the tests' login says no client: the default
    assert row["first_seen_at"] and row["last_seen_at"]
    assert row["last_sync_at"] is None and row["revoked_at"] is None and row["revoked_reason"] is None


def test_list_filters_by_user_institution_revoked_and_text(login_as, client, app_ctx):
    lixia = login_as("specialist", institution="370102", username="lixia.wang")
    shizhong = login_as("specialist", institution="370103")
    admin = login_as("admin", institution="37")
    second = client.post(
        "/api/v1/auth/login",
        json={
            "username": "lixia.wang",
            "password": "correct-horse-battery",
            "device_id": "11111111-2222-4333-8444-555555555555",
            "device_name": "Android · Chrome 131",
            "client": "field",
        },
    )
    assert second.status_code == 200
    assert _revoke(admin, _device_of(lixia).id).status_code == 200

    assert len(_listed(admin, user_id=lixia.user.id)) == 2
    institution = db.session.get(type(shizhong.user.institution), shizhong.user.institution_id)
    assert [d["user"]["id"] for d in _listed(admin, institution_id=institution.id)] == [shizhong.user.id]
    assert [d["name"] for d in _listed(admin, q="android")] == ["Android · Chrome 131"]
    assert [d["client"] for d in _listed(admin, client="field")] == ["field"]
    revoked = _listed(admin, revoked="true")
    assert [d["id"] for d in revoked] == [_device_of(lixia).id]
    assert all(d["revoked_at"] is None for d in _listed(admin, revoked="false"))


def test_list_pages_with_a_cursor_and_refuses_a_broken_one(login_as, app_ctx):
    admin = login_as("admin", institution="37")
    for _ in range(4):
        login_as("specialist", institution="370102")
    first = admin.get("/api/v1/devices?limit=3").get_json()
    assert len(first["items"]) == 3 and first["next_cursor"]
    rest = admin.get(f"/api/v1/devices?limit=3&cursor={first['next_cursor']}").get_json()
    assert len(rest["items"]) == 2 and rest["next_cursor"] is None
    ids = [d["id"] for d in first["items"] + rest["items"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 5
    assert_error(admin.get("/api/v1/devices?cursor=%%%"), 422, "cursor_invalid")


def test_an_institution_outside_the_subtree_is_not_found(login_as, org):
    supervisor = login_as("supervisor", institution="3701")
    assert_error(supervisor.get(f"/api/v1/devices?institution_id={org['3702']}"), 404, "not_found")


def test_last_sync_is_when_the_devices_last_visit_arrived(login_as, synced_visit, specialist, app_ctx):
    admin = login_as("admin", institution="37")
    synced_visit()
    row = next(d for d in _listed(admin) if d["user"]["id"] == specialist.user.id)
    assert row["last_sync_at"] is not None


def test_revoking_stops_access_refresh_and_sign_in_and_is_audited(login_as, client, app_ctx):
    tablet = login_as("specialist", institution="370102")
    other = login_as("specialist", institution="370102")
    supervisor = login_as("supervisor", institution="3701")
    device = _device_of(tablet)

    response = _revoke(supervisor, device.id, "  平板在出租车上丢失  ")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["revoked_at"] and body["revoked_reason"] == "平板在出租车上丢失"
    assert body["revoked_by"] == supervisor.user.display_name

    # The access token it holds is refused at once, sync included, with the code the app wipes on.
    assert_error(tablet.get("/api/v1/sync/pull?cursor=0"), 401, "device_revoked")
    assert_error(tablet.get("/api/v1/me"), 401, "device_revoked")
    # Its refresh token is revoked, and signing in again from it is refused.
    refreshed = client.post(
        "/api/v1/auth/refresh",
        json={"refresh_token": tablet.tokens["refresh_token"], "device_id": tablet.device_id},
    )
    assert_error(refreshed, 401, "device_revoked")
    copied = client.post(  # the same token from elsewhere says nothing about the device
        "/api/v1/auth/refresh",
        json={"refresh_token": tablet.tokens["refresh_token"], "device_id": other.device_id},
    )
    assert_error(copied, 401, "refresh_token_invalid")
    assert_error(login(client, tablet.user.username, device_id=tablet.device_id), 403, "device_revoked")
    db.session.expire_all()
    assert all(
        t.revoked_at is not None
        for t in db.session.scalars(select(RefreshToken).where(RefreshToken.device_id == device.id))
    )
    # Another device of the same team is untouched; the user may sign in on a new device.
    assert other.get("/api/v1/me").status_code == 200
    assert login(client, tablet.user.username).status_code == 200

    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "device_revoked")).one()
    assert event.actor_id == supervisor.user.id
    assert (event.target_type, event.target_id) == ("device", str(device.id))
    assert event.institution_id == tablet.user.institution_id
    assert event.data["reason"] == "平板在出租车上丢失"
    assert event.data["user_id"] == tablet.user.id and event.data["refresh_tokens_revoked"] == 1

    listed = next(d for d in _listed(supervisor, revoked="true") if d["id"] == device.id)
    assert listed["revoked_reason"] == "平板在出租车上丢失"
    assert listed["revoked_by"] == supervisor.user.display_name


def test_a_device_outside_the_subtree_is_not_found_and_stays_usable(login_as, app_ctx):
    qingdao = login_as("specialist", institution="3702")
    admin_above = login_as("admin", institution="37")
    for outsider in (login_as("supervisor", institution="3701"), login_as("admin", institution="370102")):
        assert_error(_revoke(outsider, _device_of(qingdao).id), 404, "not_found")
        assert all(d["id"] != _device_of(qingdao).id for d in _listed(outsider))
    assert_error(_revoke(admin_above, 2**31 - 1), 404, "not_found")
    assert qingdao.get("/api/v1/me").status_code == 200
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "device_revoked")).all()


def test_other_roles_may_not_list_or_revoke(login_as, app_ctx):
    tablet = login_as("specialist", institution="370102")
    for role in ("specialist", "reviewer", "phone_agent", "designer", "compliance_officer"):
        caller = login_as(role, institution="37")
        assert_error(caller.get("/api/v1/devices"), 403, "forbidden")
        assert_error(_revoke(caller, _device_of(tablet).id), 403, "forbidden")


def test_revoking_twice_the_own_device_or_without_a_reason_is_refused(login_as, app_ctx):
    tablet = login_as("specialist", institution="370102")
    admin = login_as("admin", institution="37")
    device_id = _device_of(tablet).id
    assert_error(_revoke(admin, device_id, "   "), 422, "reason_required")
    assert_error(admin.post(f"/api/v1/devices/{device_id}/revoke", json={}), 422, "validation_error")
    assert_error(_revoke(admin, _device_of(admin).id), 409, "cannot_revoke_own_device")
    assert _revoke(admin, device_id).status_code == 200
    assert_error(_revoke(admin, device_id), 409, "device_already_revoked")
    assert admin.get("/api/v1/me").status_code == 200
