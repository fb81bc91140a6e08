"""R5: shared phones across different holders, customer phones that are a salesperson's."""

from __future__ import annotations

from sqlalchemy import select

from server.extensions import db
from server.risk.models import RiskAlert
from server.risk.services import detect_for_policies
from tests.server.conftest import assert_error


def alerts():
    return {
        (a.kind, a.phone): sorted(link.policy_id for link in a.policies)
        for a in db.session.scalars(select(RiskAlert))
    }


def test_different_holders_sharing_a_phone_raise_one_alert(app_ctx, make_policy):
    a = make_policy(holder_phone="13812345678", holder_id_number="370102198001010011")
    b = make_policy(holder_phone="13812345678", holder_id_number="370202198502020022", institution="370202")
    detect_for_policies([b.id])
    assert alerts() == {("shared_phone", "13812345678"): [a.id, b.id]}
    alert = db.session.scalars(select(RiskAlert)).one()
    # Jinan and Qingdao policies: the alert sits at the province so that both sides can see it.
    from server.institutions.models import Institution

    assert db.session.get(Institution, alert.institution_id).level == "province"


def test_one_holder_with_several_policies_is_not_an_alert(app_ctx, make_policy):
    first = make_policy(holder_phone="13812345678", holder_id_number="370102198001010011")
    second = make_policy(holder_phone="13812345678", holder_id_number="370102198001010011")
    assert detect_for_policies([first.id, second.id]) == 0
    assert alerts() == {}


def test_a_customer_phone_that_is_a_salespersons(app_ctx, make_policy, make_salesperson):
    seller = make_salesperson("13766667777")
    policy = make_policy(insured_phone="13766667777")
    detect_for_policies([policy.id])
    alert = db.session.scalars(select(RiskAlert)).one()
    assert (alert.kind, alert.salesperson_id, [link.policy_id for link in alert.policies]) == (
        "salesperson_phone",
        seller.id,
        [policy.id],
    )


def test_detection_is_idempotent_and_a_new_policy_reopens_a_resolved_alert(app_ctx, make_policy):
    a = make_policy(holder_phone="13812345678", holder_id_number="370102198001010011")
    b = make_policy(holder_phone="13812345678", holder_id_number="370102198502020022")
    detect_for_policies([a.id, b.id])
    assert detect_for_policies([a.id, b.id]) == 0
    alert = db.session.scalars(select(RiskAlert)).one()
    alert.status, alert.resolution = "resolved", "夫妻共用号码，已核实"
    db.session.commit()
    c = make_policy(holder_phone="13812345678", holder_id_number="370102199003030033")
    detect_for_policies([c.id])
    db.session.refresh(alert)
    assert alert.status == "open" and len(alert.policies) == 3


def test_investigators_resolve_with_a_finding_and_the_api_is_scoped(login_as, make_policy, app_ctx):
    a = make_policy(holder_phone="13812345678", holder_id_number="370102198001010011")
    b = make_policy(holder_phone="13812345678", holder_id_number="370102198502020022")
    detect_for_policies([a.id, b.id])
    db.session.commit()
    compliance = login_as("compliance_officer", institution="3701")
    listed = compliance.get("/api/v1/risk-alerts?status=open").json["items"]
    assert len(listed) == 1 and "*" in listed[0]["phone"]
    alert_id = listed[0]["id"]
    detail = compliance.get(f"/api/v1/risk-alerts/{alert_id}").json
    assert {p["policy_number"] for p in detail["policies"]} == {a.policy_number, b.policy_number}
    assert_error(
        compliance.patch(f"/api/v1/risk-alerts/{alert_id}", json={"status": "resolved"}),
        422,
        "resolution_required",
    )
    done = compliance.patch(
        f"/api/v1/risk-alerts/{alert_id}", json={"status": "resolved", "resolution": "业务员代填号码，已上报"}
    )
    assert done.json["status"] == "resolved" and done.json["resolved_at"]

    qingdao = login_as("compliance_officer", institution="3702")
    assert qingdao.get("/api/v1/risk-alerts").json["items"] == []
    assert_error(qingdao.get(f"/api/v1/risk-alerts/{alert_id}"), 404, "not_found")
    assert_error(login_as("specialist").get("/api/v1/risk-alerts"), 403, "forbidden")
