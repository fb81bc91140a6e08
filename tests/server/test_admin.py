"""The administrator's API for institutions and users."""

from __future__ import annotations

from sqlalchemy import select

from server.audit.models import AuditEvent
from server.extensions import db
from tests.server.conftest import assert_error, login


def test_add_a_city_then_a_county_and_no_deeper(login_as, org):
    admin = login_as("admin")
    city = admin.post("/api/v1/institutions", json={"parent_id": org["37"], "code": "3703", "name": "淄博市"})
    assert city.status_code == 201 and city.json["level"] == "city"
    county = admin.post(
        "/api/v1/institutions", json={"parent_id": city.json["id"], "code": "370302", "name": "淄川区"}
    )
    assert county.status_code == 201 and county.json["level"] == "county"
    assert county.json["path"] == [org["37"], city.json["id"], county.json["id"]]
    deeper = admin.post(
        "/api/v1/institutions", json={"parent_id": county.json["id"], "code": "Z1", "name": "街道"}
    )
    assert_error(deeper, 422, "institution_level_invalid")


def test_institution_codes_are_unique(login_as, org):
    admin = login_as("admin")
    taken = admin.post("/api/v1/institutions", json={"parent_id": org["37"], "code": "3701", "name": "重复"})
    assert_error(taken, 409, "institution_code_taken")
    renamed = admin.patch(f"/api/v1/institutions/{org['3702']}", json={"code": "3701"})
    assert_error(renamed, 409, "institution_code_taken")


def test_rename_and_deactivate_an_empty_institution(login_as, org, app_ctx):
    admin = login_as("admin")
    response = admin.patch(
        f"/api/v1/institutions/{org['370211']}", json={"name": "西海岸新区", "active": False}
    )
    assert response.status_code == 200
    assert response.json["name"] == "西海岸新区" and response.json["active"] is False
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "institution_updated")).one()
    assert event.actor_id == admin.user.id and event.data["after"]["active"] is False


def test_cannot_deactivate_an_institution_that_still_has_active_users(login_as, make_user, org):
    admin = login_as("admin")
    make_user("specialist", institution="370202")
    response = admin.patch(f"/api/v1/institutions/{org['3702']}", json={"active": False})
    body = assert_error(response, 409, "institution_has_active_users")
    assert body["details"]["active_users"] == 1


def test_no_new_users_or_children_in_a_deactivated_institution(login_as, org):
    admin = login_as("admin")
    admin.patch(f"/api/v1/institutions/{org['370211']}", json={"active": False})
    body = {
        "username": "late.joiner",
        "display_name": "新人",
        "institution_id": org["370211"],
        "roles": ["specialist"],
        "password": "long-enough-password",
    }
    assert_error(admin.post("/api/v1/users", json=body), 422, "institution_inactive")


def test_create_user_with_several_roles_who_can_then_sign_in(login_as, client, org, app_ctx):
    admin = login_as("admin")
    body = {
        "username": "Zhang.San",
        "display_name": "张三",
        "phone": "13800000000",
        "institution_id": org["370103"],
        "roles": ["specialist", "supervisor", "specialist"],
        "password": "long-enough-password",
    }
    created = admin.post("/api/v1/users", json=body)
    assert created.status_code == 201
    assert created.json["username"] == "zhang.san"
    assert created.json["roles"] == ["specialist", "supervisor"]
    assert "password" not in created.json and "password_hash" not in created.json
    assert login(client, "zhang.san", "long-enough-password").status_code == 200
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user_created")).one()
    assert event.target_id == str(created.json["id"]) and event.institution_id == org["370103"]


def test_weak_passwords_and_unknown_roles_are_refused(login_as, org):
    admin = login_as("admin")
    body = {"username": "weak", "display_name": "弱", "institution_id": org["37"], "roles": ["specialist"]}
    assert_error(admin.post("/api/v1/users", json={**body, "password": "short"}), 422, "password_too_weak")
    assert_error(admin.post("/api/v1/users", json={**body, "password": "weak"}), 422, "password_too_weak")
    bad_role = admin.post("/api/v1/users", json={**body, "roles": ["salesperson"], "password": "x" * 12})
    assert_error(bad_role, 422, "validation_error")


def test_change_roles_and_institution(login_as, make_user, org):
    admin = login_as("admin")
    user = make_user("specialist", institution="370102")
    response = admin.patch(
        f"/api/v1/users/{user.id}", json={"roles": ["reviewer", "phone_agent"], "institution_id": org["3702"]}
    )
    assert response.status_code == 200
    assert response.json["roles"] == ["phone_agent", "reviewer"]
    assert response.json["institution"]["name"] == "青岛市"


def test_role_change_takes_effect_on_the_next_request(login_as):
    admin = login_as("admin")
    other = login_as("admin")
    assert other.get("/api/v1/users").status_code == 200
    admin.patch(f"/api/v1/users/{other.user.id}", json={"roles": ["specialist"]})
    assert_error(other.get("/api/v1/users"), 403, "forbidden")


def test_an_admin_cannot_lock_themselves_out(login_as):
    admin = login_as("admin")
    me = f"/api/v1/users/{admin.user.id}"
    assert_error(admin.patch(me, json={"active": False}), 409, "cannot_demote_self")
    assert_error(admin.patch(me, json={"roles": ["reviewer"]}), 409, "cannot_demote_self")
    assert admin.patch(me, json={"roles": ["admin", "reviewer"], "display_name": "管理员"}).status_code == 200


def test_roles_are_listed_in_both_languages(login_as):
    items = login_as("specialist").get("/api/v1/roles").json["items"]
    assert {"code": "phone_agent", "name": "电话回访坐席", "name_en": "Phone callback agent"} in items
    assert len(items) == 7


def test_demo_data_command_loads_a_small_book_once_and_refuses_production(app, monkeypatch, app_ctx):
    from sqlalchemy import func

    from server.risk.models import RiskAlert
    from server.tasks.models import VisitTask

    runner = app.test_cli_runner()
    assert runner.invoke(args=["huifang", "demo-data"]).exit_code == 0
    assert runner.invoke(args=["huifang", "demo-data"]).exit_code == 0  # idempotent
    counted = db.session.execute(select(VisitTask.status, func.count()).group_by(VisitTask.status))
    statuses = {status: count for status, count in counted}
    # one visit of specialist1 arrives already synced, waiting for review
    assert statuses == {"assigned": 5, "unassigned": 2, "recontact": 1, "submitted": 1}
    assert db.session.scalars(select(RiskAlert.kind)).all() == ["shared_phone"]
    monkeypatch.setitem(app.config, "HUIFANG_ENV", "production")
    refused = runner.invoke(args=["huifang", "demo-data"])
    assert refused.exit_code != 0 and "production" in refused.output
