"""Received visits in the console's API: scoped, whole, with signatures rendered from their strokes."""

from __future__ import annotations

import random

from server.extensions import db
from server.sync import changes
from signatures import decode_strokes_bytes, encode_strokes_bytes, render_png
from signatures.synthetic import genuine_signature, make_person
from tests.server.conftest import assert_error


def a_signature(seed: int) -> bytes:
    return encode_strokes_bytes(genuine_signature(make_person(seed), random.Random(seed)))


def test_a_synced_visit_reads_back_whole_with_its_signature_rendered_again(
    device, visit_for, assigned_task, login_as, app_ctx
):
    strokes = a_signature(3)
    record, media = visit_for(assigned_task, strokes=strokes)
    device.add(record, media)
    device.sync()
    reviewer = login_as("reviewer", institution="37")

    listed = reviewer.get("/api/v1/visits").json["items"]
    assert [v["uuid"] for v in listed] == [record["uuid"]]
    assert (
        listed[0]["policy_number"] == assigned_task.policy.policy_number and listed[0]["state"] == "submitted"
    )

    detail = reviewer.get(f"/api/v1/visits/{record['uuid']}").json
    assert detail["record"] == record and detail["hash"] == record["hash"]
    assert detail["questionnaire"]["code"] == "new_business"
    assert {m["kind"] for m in detail["media"]} == {"photo", "signature_strokes"}
    assert all(m["complete"] for m in detail["media"])

    for sha, data in media.items():
        answer = reviewer.get(f"/api/v1/visits/{record['uuid']}/media/{sha}")
        assert answer.status_code == 200 and answer.data == data
    png = reviewer.get(f"/api/v1/visits/{record['uuid']}/signatures/holder.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert png.data == render_png(decode_strokes_bytes(strokes))  # same strokes, same bytes
    assert_error(reviewer.get(f"/api/v1/visits/{record['uuid']}/signatures/insured.png"), 404, "not_found")
    assert_error(reviewer.get(f"/api/v1/visits/{record['uuid']}/media/{'0' * 64}"), 404, "not_found")


def test_visits_are_scoped_and_a_specialist_sees_only_their_own(
    device, visit_for, assigned_task, login_as, make_task, make_user, app_ctx
):
    record, media = visit_for(assigned_task)
    device.add(record, media)
    device.sync()
    qingdao = login_as("reviewer", institution="3702")
    assert qingdao.get("/api/v1/visits").json["items"] == []
    assert_error(qingdao.get(f"/api/v1/visits/{record['uuid']}"), 404, "not_found")
    sha = next(iter(media))
    assert_error(qingdao.get(f"/api/v1/visits/{record['uuid']}/media/{sha}"), 404, "not_found")
    colleague = login_as("specialist", institution="370102")
    assert colleague.get("/api/v1/visits").json["items"] == []
    assert_error(colleague.get(f"/api/v1/visits/{record['uuid']}"), 404, "not_found")


def test_flagged_visits_can_be_listed_alone(device, visit_for, specialist, make_task, login_as, app_ctx):
    tasks = [make_task() for _ in range(2)]
    for task in tasks:
        task.assignee_id, task.status = specialist.user.id, "assigned"
        changes.task_moved(task, None)
    db.session.commit()
    clean, media = visit_for(tasks[0])
    mismatch, media2 = visit_for(tasks[1], id_digits="X" * 4)
    device.add(clean, media)
    device.add(mismatch, media2)
    device.sync()
    supervisor = login_as("supervisor", institution="3701")
    flagged = supervisor.get("/api/v1/visits?flagged=true").json["items"]
    assert [(v["uuid"], v["flags"]) for v in flagged] == [(mismatch["uuid"], ["identity_mismatch"])]
    assert len(supervisor.get("/api/v1/visits").json["items"]) == 2
