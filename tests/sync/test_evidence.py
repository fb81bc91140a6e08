"""Every received visit is sealed and logged; verification names what was changed afterwards."""

from __future__ import annotations

import random
import subprocess
import tempfile

from sqlalchemy import select, update

from server.evidence.models import EvidenceRecord, TreeHead
from server.extensions import db
from server.sync import changes
from server.sync.services import store
from server.visits.models import Visit
from signatures import encode_strokes_bytes, tree_head_hash, verify_bundle
from signatures.synthetic import forged_signature, genuine_signature, make_person
from tests.server.conftest import assert_error


def synced(device, visit_for, tasks):
    records = []
    for task in tasks:
        record, media = visit_for(task)
        device.add(record, media)
        records.append(record)
    device.sync()
    return records


def test_a_received_visit_is_sealed_logged_and_verifies(device, visit_for, assigned_task, login_as, app_ctx):
    (record,) = synced(device, visit_for, [assigned_task])
    evidence = db.session.get(EvidenceRecord, record["uuid"])
    assert evidence.leaf_index == 0 and evidence.seal["alg"] == "Ed25519"
    assert evidence.manifest["visit"]["record"] == record
    head = db.session.scalars(select(TreeHead)).one()
    assert head.size == 1 and head.head["signature"]
    reviewer = login_as("reviewer")
    result = reviewer.get(f"/api/v1/visits/{record['uuid']}/evidence").json
    assert result == {**result, "ok": True, "problems": [], "leaf_index": 0, "tree_size": 1}
    assert login_as("compliance_officer").get("/api/v1/evidence/verify").json["ok"] is True


def test_each_push_adds_one_tree_head_linked_to_the_last(device, visit_for, specialist, make_task, app_ctx):
    tasks = [make_task() for _ in range(3)]
    for task in tasks:
        task.assignee_id, task.status = specialist.user.id, "assigned"
        changes.task_moved(task, None)
    db.session.commit()
    synced(device, visit_for, tasks[:2])
    synced(device, visit_for, tasks[2:])
    heads = list(db.session.scalars(select(TreeHead).order_by(TreeHead.size)))
    assert [h.size for h in heads] == [2, 3]
    assert heads[1].head["prev_head_sha256"] == tree_head_hash(heads[0].head)


def test_changes_after_sealing_are_found_and_named(device, visit_for, assigned_task, login_as, app_ctx):
    (record,) = synced(device, visit_for, [assigned_task])
    reviewer = login_as("reviewer")
    url = f"/api/v1/visits/{record['uuid']}/evidence"

    # Someone edits an answer in the database.
    edited = {**record, "answers": {"holder_id_check": "0000"}}
    db.session.execute(update(Visit).where(Visit.uuid == record["uuid"]).values(record=edited))
    db.session.commit()
    assert [p["part"] for p in reviewer.get(url).json["problems"]] == ["record"]
    db.session.execute(update(Visit).where(Visit.uuid == record["uuid"]).values(record=record))
    db.session.commit()

    # Someone swaps a photo on disk.
    photo = next(ref["sha256"] for ref in record["media"] if ref["kind"] == "photo")
    path = store()._final(photo)
    original = path.read_bytes()
    path.write_bytes(b"not the photo")
    problems = reviewer.get(url).json["problems"]
    assert problems and {p["part"] for p in problems} == {"media"}
    path.write_bytes(original)

    # Someone rewrites the sealed manifest to match an edit.
    evidence = db.session.get(EvidenceRecord, record["uuid"])
    manifest = {**evidence.manifest, "place": {"lat": 1.0, "lon": 1.0, "accuracy_m": 1.0, "at": "x"}}
    db.session.execute(
        update(EvidenceRecord).where(EvidenceRecord.visit_uuid == record["uuid"]).values(manifest=manifest)
    )
    db.session.commit()
    parts = {p["part"] for p in reviewer.get(url).json["problems"]}
    assert "manifest" in parts or "seal" in parts
    chain = login_as("admin").get("/api/v1/evidence/verify").json
    assert chain["ok"] is False and any(p.get("leaf_index") == 0 for p in chain["problems"])


def test_the_exported_bundle_verifies_offline_and_a_flipped_byte_does_not(
    device, visit_for, assigned_task, login_as, app_ctx
):
    (record,) = synced(device, visit_for, [assigned_task])
    answer = login_as("reviewer").get(f"/api/v1/visits/{record['uuid']}/evidence.zip")
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    assert verify_bundle(answer.data)["ok"] is True
    broken = bytearray(answer.data)
    broken[len(broken) // 2] ^= 0x01
    assert verify_bundle(bytes(broken))["ok"] is False
    assert_error(
        login_as("specialist").get(f"/api/v1/visits/{record['uuid']}/evidence.zip"), 403, "forbidden"
    )


def test_the_cli_verifies_the_log(app, device, visit_for, assigned_task, app_ctx):
    synced(device, visit_for, [assigned_task])
    result = app.test_cli_runner().invoke(args=["huifang", "verify-evidence"])
    assert result.exit_code == 0 and result.output.startswith("OK (1 entries)"), result.output


def test_the_pdf_report_is_chinese_and_carries_the_manifest_hash(
    device, visit_for, assigned_task, login_as, app_ctx
):
    strokes = encode_strokes_bytes(genuine_signature(make_person(5), random.Random(5)))
    record, media = visit_for(assigned_task, strokes=strokes)
    device.add(record, media)
    device.sync()
    answer = login_as("reviewer").get(f"/api/v1/visits/{record['uuid']}/evidence.pdf")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert answer.data.startswith(b"%PDF") and len(answer.data) > 5000
    manifest_hash = db.session.get(EvidenceRecord, record["uuid"]).manifest_hash
    with tempfile.NamedTemporaryFile(suffix=".pdf") as pdf:
        pdf.write(answer.data)
        pdf.flush()
        text = subprocess.run(["pdftotext", pdf.name, "-"], capture_output=True, text=True, check=True).stdout
    assert "上门回访证据报告" in text and manifest_hash in text.replace("\n", "")
    assert assigned_task.policy.policy_number in text


def test_signature_similarity_is_a_hint_against_the_same_persons_earlier_signatures(
    device, visit_for, specialist, make_task, make_policy, login_as, app_ctx
):
    person = make_person(11)
    same_holder = dict(holder_id_number="370102198001010011", holder_name="张三")
    tasks = [make_task(make_policy(**same_holder)) for _ in range(4)]
    for task in tasks:
        task.assignee_id, task.status = specialist.user.id, "assigned"
        changes.task_moved(task, None)
    db.session.commit()
    rng = random.Random(1)
    uuids = []
    for task in tasks[:3]:
        record, media = visit_for(task, strokes=encode_strokes_bytes(genuine_signature(person, rng)))
        device.add(record, media)
        uuids.append(record["uuid"])
        device.sync()
    forged = forged_signature(person, 99, rng)
    record, media = visit_for(tasks[3], strokes=encode_strokes_bytes(forged))
    device.add(record, media)
    device.sync()
    reviewer = login_as("reviewer")
    first = reviewer.get(f"/api/v1/visits/{uuids[0]}/signatures/holder/similarity").json
    assert first["band"] == "no_reference" and first["references"] == 0
    genuine = reviewer.get(f"/api/v1/visits/{uuids[2]}/signatures/holder/similarity").json
    assert genuine["references"] == 2 and genuine["band"] == "typical" and genuine["limits_zh"]
    suspect = reviewer.get(f"/api/v1/visits/{record['uuid']}/signatures/holder/similarity").json
    assert suspect["references"] == 3 and suspect["band"] in ("unusual", "very_unusual")
