"""Problem, compliance and re-sign cases: opened by hand or by callbacks, owned, resolved, scoped."""

from __future__ import annotations

from datetime import date, timedelta

from server.audit.models import AuditEvent
from server.cases import services as cases
from server.cases.models import CaseEvent, ProblemCase
from server.extensions import db
from tests.server.conftest import assert_error


def test_a_case_opened_by_hand_with_a_reportable_category_is_referred_to_compliance(
    login_as, make_policy, make_salesperson, app_ctx
):
    seller = make_salesperson("13900000002")
    policy = make_policy(salesperson_id=seller.id)
    supervisor = login_as("supervisor", institution="3701")
    answer = supervisor.post(
        "/api/v1/cases",
        json={
            "kind": "problem",
            "category": "misleading_sale",
            "policy_number": policy.policy_number,
            "summary": "客户来电称业务员承诺保本高收益",
        },
    )
    assert answer.status_code == 201, answer.json
    case = answer.json
    assert case["kind"] == "compliance" and case["salesperson"]["id"] == seller.id
    assert case["category_name"] == "销售误导" and case["status"] == "open"
    assert [e["action"] for e in case["events"]] == ["opened", "referred"]
    assert db.session.query(AuditEvent).filter_by(action="case_opened").count() == 1


def test_bad_manual_cases_are_refused_with_their_field(login_as, make_policy, app_ctx):
    policy = make_policy(institution="370202")
    jinan = login_as("supervisor", institution="3701")
    body = {"kind": "problem", "category": "other", "policy_number": policy.policy_number, "summary": "x"}
    err = assert_error(jinan.post("/api/v1/cases", json=body), 422, "policy_not_found")
    assert "policy_number" in err["details"]["fields"]
    mine = make_policy()
    body = {**body, "policy_number": mine.policy_number, "category": "no_such_category"}
    assert_error(jinan.post("/api/v1/cases", json=body), 422, "category_unknown")
    assert_error(jinan.post("/api/v1/cases", json={**body, "kind": "re_sign"}), 422, "validation_error")
    assert db.session.query(ProblemCase).count() == 0


def _open(policy, kind="problem", category="dissatisfied") -> ProblemCase:
    case = cases.open_case(kind, category, policy=policy, summary="测试", source="manual", actor=None)
    db.session.commit()
    return case


def test_an_owner_takes_the_case_and_only_compliance_resolves_a_compliance_case(
    login_as, make_policy, app_ctx
):
    policy = make_policy()
    compliance_case = _open(policy, category="premium_misappropriated")
    assert compliance_case.kind == "compliance"
    supervisor = login_as("supervisor", institution="3701")
    taken = supervisor.patch(
        f"/api/v1/cases/{compliance_case.id}", json={"owner_id": supervisor.user.id, "note": "已联系销售部"}
    )
    assert taken.status_code == 200 and taken.json["status"] == "in_progress"
    assert taken.json["owner"]["id"] == supervisor.user.id
    url = f"/api/v1/cases/{compliance_case.id}/resolve"
    assert_error(supervisor.post(url, json={"resolution": "已处理"}), 403, "compliance_only")
    officer = login_as("compliance_officer", institution="37")
    assert_error(officer.post(url, json={"resolution": "已处理"}), 422, "finding_required")
    done = officer.post(url, json={"resolution": "业务员已退还保费并受处分", "finding": "substantiated"})
    assert done.status_code == 200 and done.json["finding"] == "substantiated"
    assert_error(
        officer.patch(f"/api/v1/cases/{compliance_case.id}", json={"note": "再补充"}), 409, "case_resolved"
    )
    actions = [e.action for e in db.session.query(CaseEvent).order_by(CaseEvent.id)]
    assert actions == ["opened", "referred", "owner", "note", "resolved"]


def test_cases_are_scoped_and_overdue_ones_are_listed(login_as, make_policy, app_ctx):
    jinan_case = _open(make_policy(institution="370102"))
    qingdao_case = _open(make_policy(institution="370202"))
    jinan_case.due_date = date.today() - timedelta(days=3)
    db.session.commit()
    jinan = login_as("reviewer", institution="3701")
    assert [c["id"] for c in jinan.get("/api/v1/cases").json["items"]] == [jinan_case.id]
    assert_error(jinan.get(f"/api/v1/cases/{qingdao_case.id}"), 404, "not_found")
    province = login_as("compliance_officer", institution="37")
    overdue = province.get("/api/v1/cases?overdue=true").json["items"]
    assert [c["id"] for c in overdue] == [jinan_case.id] and overdue[0]["overdue"] is True
    specialist = login_as("specialist", institution="370102")
    assert_error(specialist.get("/api/v1/cases"), 403, "forbidden")


def test_the_same_finding_opens_one_case(make_policy, app_ctx):
    policy = make_policy()
    for _ in range(2):
        cases.open_case(
            "problem",
            "other",
            policy=policy,
            summary="x",
            source="visit",
            actor=None,
            dedupe_key="visit:abc:q1:other",
        )
    db.session.commit()
    assert db.session.query(ProblemCase).count() == 1


def test_due_dates_count_weekdays_when_the_year_has_no_schedule(app_ctx):
    assert cases.due_in_workdays(date(2099, 1, 2), 1) == date(2099, 1, 5)  # a Friday: next is Monday
