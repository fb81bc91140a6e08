"""The whole loop through the API: intake → assignment → visit → sync → review → confirming call → case."""

from __future__ import annotations

from server.cases.models import ProblemCase
from server.extensions import db
from server.tasks.models import VisitTask
from tests.intake.test_intake import ID_POOL


def test_intake_to_compliance_case(
    login_as, specialist, device, questionnaire, visit_for, reviewer, agent, app_ctx
):
    specialist_id, questionnaire_id = specialist.user.id, questionnaire.id
    admin = login_as("admin", institution="37")
    batch = {
        "external_ref": "LOOP-1",
        "institution_code": "370102",
        "rows": [
            {
                "external_ref": "LOOP-1-1",
                "policy_number": "LOOP0001",
                "item": "new_business",
                "source": "no_phone",
                "product_name": "鑫福年年终身寿险",
                "product_type": "traditional",
                "channel": "agency",
                "holder_name": "周八",
                "holder_id_number": ID_POOL[0],
                "holder_phone": "13700001111",
                "term": "终身",
            }
        ],
    }
    intake = admin.post("/api/v1/intake/batches", json=batch)
    assert intake.status_code == 201, intake.json
    task = db.session.query(VisitTask).filter_by(external_ref="LOOP-1-1").one()
    supervisor = login_as("supervisor", institution="3701")
    assigned = supervisor.post(
        "/api/v1/tasks/assign", json={"task_ids": [task.id], "assignee_id": specialist_id}
    )
    assert assigned.status_code == 200, assigned.json

    # The tablet pulls the task, visits offline, and syncs the visit back.
    device.sync()
    db.session.add(questionnaire)  # the intake request closed the test's session
    record, media = visit_for(task, questionnaire_version_id=questionnaire_id)
    device.add(record, media)
    device.sync()

    # Returned once for a better signature; the specialist goes again and syncs again.
    decision = f"/api/v1/review/visits/{record['uuid']}/decision"
    returned = reviewer.post(decision, json={"decision": "return", "reasons": ["signature_unclear"]})
    assert returned.status_code == 200
    again, media = visit_for(task, questionnaire_version_id=questionnaire_id)
    device.add(again, media)
    device.sync()
    queue = reviewer.get("/api/v1/review/queue").json["items"]
    assert [v["uuid"] for v in queue] == [again["uuid"]]
    approved = reviewer.post(f"/api/v1/review/visits/{again['uuid']}/decision", json={"decision": "approve"})
    assert approved.status_code == 200

    # The confirming call: the customer says the signature is not theirs.
    call = agent.post("/api/v1/callbacks/next").json["callback"]
    assert call["visit_uuid"] == again["uuid"]
    answers = {"visit_happened": True, "signature_own": False, "explanation_understood": True}
    done = agent.post(
        f"/api/v1/callbacks/{call['id']}/attempts", json={"result": "reached", "answers": answers}
    )
    assert done.json["outcome"] == "signature_not_genuine"

    compliance = login_as("compliance_officer", institution="37")
    [case] = compliance.get("/api/v1/cases?kind=compliance").json["items"]
    assert case["policy"]["policy_number"] == "LOOP0001" and case["visit_uuid"] == again["uuid"]
    resolved = compliance.post(
        f"/api/v1/cases/{case['id']}/resolve",
        json={"resolution": "经调查，专员代客户签名，已处理", "finding": "substantiated"},
    )
    assert resolved.status_code == 200 and resolved.json["status"] == "resolved"
    assert [e["action"] for e in resolved.json["events"]] == ["opened", "referred", "resolved"]

    # The re-sign case follows the new re-sign visit task to its approval (R15).
    re_sign = db.session.query(ProblemCase).filter_by(kind="re_sign").one()
    follow = db.session.get(VisitTask, re_sign.followup_task_id)
    supervisor.post("/api/v1/tasks/assign", json={"task_ids": [follow.id], "assignee_id": specialist_id})
    from server.questionnaires import services as questionnaires

    designer = login_as("designer", institution="37").user
    version = questionnaires.create_questionnaire(
        designer, {"code": "re_sign", "name": "补签名（测试）", "item": "new_business"}
    )
    version = questionnaires.publish(None, version.id, check_user=False)
    device.sync()
    signed, media = visit_for(follow, questionnaire_version_id=version.id)
    device.add(signed, media)
    device.sync()
    final = reviewer.post(f"/api/v1/review/visits/{signed['uuid']}/decision", json={"decision": "approve"})
    assert final.status_code == 200, final.json
    db.session.expire_all()
    assert db.session.get(ProblemCase, re_sign.id).status == "resolved"
    assert signed["uuid"] in db.session.get(ProblemCase, re_sign.id).resolution
