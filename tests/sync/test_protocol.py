"""Nothing lost, nothing doubled: idempotent push, conflicts, resumable media, pull with tombstones."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.sync import changes
from server.tasks.models import VisitTask
from server.visits.models import MediaBlob, Visit, VisitConflict
from sync.canonical import record_hash
from sync.client import make_record, sha256_hex
from tests.images import noise_jpeg
from tests.server.conftest import assert_error

PHOTO = noise_jpeg(side=72)  # over 5500 bytes: the cuts below fall inside it


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_visit_with_media_arrives_once_and_whole(visit_for, device, assigned_task, app_ctx):
    record, media = visit_for(assigned_task)
    entry = device.add(record, media)
    device.sync()
    assert entry.status == "accepted" and entry.state == "submitted" and entry.missing == []
    visit = db.session.get(Visit, record["uuid"])
    assert visit.state == "submitted" and visit.record == record
    assert db.session.get(VisitTask, assigned_task.id).status == "submitted"
    assert count(Visit) == 1 and count(MediaBlob) == 3
    # One push, the media, one status question: the record itself travels once.
    assert (device.stats.pushes, device.stats.status_requests) == (1, 1)


def test_the_same_push_twice_is_acknowledged_not_doubled(visit_for, device, assigned_task, app_ctx):
    record, media = visit_for(assigned_task)
    device.add(record, media)
    device.push()
    device.ledger[record["uuid"]].status = "pending"
    device.push()
    assert device.ledger[record["uuid"]].status == "duplicate"
    assert count(Visit) == 1


def test_a_lost_answer_is_retried_and_still_stored_once(visit_for, device, assigned_task, app_ctx):
    record, media = visit_for(assigned_task)
    device.add(record, media)
    device.transport.lose_answer_of = {1}  # the first push reached the server; its answer did not come back
    device.sync()
    assert device.ledger[record["uuid"]].state == "submitted"
    assert count(Visit) == 1 and device.stats.retries >= 1


def test_same_uuid_other_content_is_kept_as_a_conflict(visit_for, device, assigned_task, app_ctx):
    record, media = visit_for(assigned_task)
    device.add(record, media)
    device.sync()
    altered = {**record, "finished_at": "2026-11-25T09:45:00+08:00"}  # same visit, edited after sending
    altered["hash"] = record_hash(altered)
    device.add(altered, media)
    device.push()
    assert device.ledger[record["uuid"]].status == "conflict"
    device.ledger[record["uuid"]].status = "pending"
    device.push()  # the same conflicting version again is not stored twice
    assert count(VisitConflict) == 1
    kept = db.session.scalars(select(VisitConflict)).one()
    assert kept.record["finished_at"].startswith("2026-11-25T09:45")
    assert db.session.get(Visit, record["uuid"]).record["finished_at"] == record["finished_at"]


def test_invalid_records_are_rejected_with_reasons_and_others_in_the_batch_survive(
    visit_for, device, assigned_task, app_ctx
):
    good, media = visit_for(assigned_task)
    tampered, _ = visit_for(assigned_task)
    tampered["answers"] = {"holder_id_check": "0000"}  # edited after hashing
    unknown_task, _ = make_record(999999)
    shapeless, _ = make_record(assigned_task.id, outcome="vanished")
    for record in (good, tampered, unknown_task, shapeless):
        device.add(record, media if record is good else {})
    device.push()
    status = {uuid: (e.status, [p["code"] for p in e.problems]) for uuid, e in device.ledger.items()}
    assert status[good["uuid"]] == ("accepted", [])
    assert status[tampered["uuid"]] == ("rejected", ["hash_mismatch"])
    assert status[unknown_task["uuid"]] == ("rejected", ["task_unknown"])
    assert status[shapeless["uuid"]][0] == "rejected" and "record_invalid" in status[shapeless["uuid"]][1]
    problem = device.ledger[tampered["uuid"]].problems[0]
    assert problem["message"] and problem["message_en"]
    assert count(Visit) == 1


def test_a_task_never_assigned_to_you_is_refused(visit_for, device, make_task, app_ctx):
    other = make_task()
    record, media = visit_for(other)
    device.add(record, media)
    device.push()
    assert [p["code"] for p in device.ledger[record["uuid"]].problems] == ["task_not_yours"]


def test_reassigned_or_cancelled_while_offline_is_accepted_and_flagged(
    visit_for, device, specialist, assigned_task, make_user, login_as, app_ctx
):
    supervisor = login_as("supervisor", institution="3701")
    colleague = make_user("specialist", institution="370102")
    supervisor.post(
        "/api/v1/tasks/assign", json={"task_ids": [assigned_task.id], "assignee_id": colleague.id}
    )
    supervisor.post(f"/api/v1/tasks/{assigned_task.id}/cancel", json={"reason": "客户已退保"})
    record, media = visit_for(assigned_task)
    device.add(record, media)
    device.sync()
    visit = db.session.get(Visit, record["uuid"])
    assert set(visit.flags) == {"task_reassigned", "task_cancelled"}
    second, media2 = visit_for(assigned_task)
    device.add(second, media2)
    device.sync()
    assert "second_visit_for_task" in db.session.get(Visit, second["uuid"]).flags
    assert count(Visit) == 2  # both kept


def test_a_visit_waits_for_its_media_before_it_counts_as_submitted(visit_for, device, assigned_task, app_ctx):
    record, media = visit_for(assigned_task)
    entry = device.add(record, media)
    device.push()
    assert entry.status == "accepted" and entry.state == "awaiting_media"
    assert sorted(entry.missing) == sorted(media)
    assert db.session.get(VisitTask, assigned_task.id).status == "assigned"
    *all_but_last, last = entry.missing
    for sha in all_but_last:
        device.upload(sha, media[sha])
        db.session.expire_all()
        assert db.session.get(Visit, record["uuid"]).state == "awaiting_media"
    device.upload(last, media[last])
    db.session.expire_all()
    assert db.session.get(Visit, record["uuid"]).state == "submitted"


@pytest.mark.parametrize("cut", [1, 999, 1000, 1001, 2500, 5499])
def test_an_upload_cut_anywhere_resumes_where_it_stopped(specialist, client, cut, app_ctx):
    auth = {"Authorization": f"Bearer {specialist.tokens['access_token']}"}
    sha, total = sha256_hex(PHOTO), len(PHOTO)
    first = client.put(f"/api/v1/sync/media/{sha}?offset=0&total={total}", data=PHOTO[:cut], headers=auth)
    assert first.json == {"sha256": sha, "state": "partial", "offset": cut, "total": total}
    assert client.get(f"/api/v1/sync/media/{sha}", headers=auth).json["offset"] == cut
    rest = client.put(f"/api/v1/sync/media/{sha}?offset={cut}&total={total}", data=PHOTO[cut:], headers=auth)
    assert rest.json["state"] == "complete"
    assert db.session.get(MediaBlob, sha).complete


def test_chunks_must_continue_at_the_offset_and_stay_within_the_total(specialist, client, app_ctx):
    auth = {"Authorization": f"Bearer {specialist.tokens['access_token']}"}
    sha, total = sha256_hex(PHOTO), len(PHOTO)
    client.put(f"/api/v1/sync/media/{sha}?offset=0&total={total}", data=PHOTO[:100], headers=auth)
    skipped = client.put(
        f"/api/v1/sync/media/{sha}?offset=200&total={total}", data=PHOTO[200:300], headers=auth
    )
    assert assert_error(skipped, 409, "offset_mismatch")["details"]["offset"] == 100
    replayed = client.put(f"/api/v1/sync/media/{sha}?offset=0&total={total}", data=PHOTO[:100], headers=auth)
    assert_error(replayed, 409, "offset_mismatch")
    past = client.put(
        f"/api/v1/sync/media/{sha}?offset=100&total={total}", data=PHOTO[100:] + b"extra", headers=auth
    )
    assert_error(past, 422, "chunk_past_end")
    changed = client.put(
        f"/api/v1/sync/media/{sha}?offset=100&total={total + 1}", data=PHOTO[100:], headers=auth
    )
    assert_error(changed, 409, "total_changed")
    empty = client.put(f"/api/v1/sync/media/{sha}?offset=100&total={total}", data=b"", headers=auth)
    assert_error(empty, 422, "chunk_empty")
    assert client.get(f"/api/v1/sync/media/{sha}", headers=auth).json["offset"] == 100


def test_bytes_that_do_not_match_their_name_are_discarded(specialist, client, app_ctx):
    auth = {"Authorization": f"Bearer {specialist.tokens['access_token']}"}
    sha = sha256_hex(PHOTO)
    wrong = client.put(f"/api/v1/sync/media/{sha}?offset=0&total=10", data=b"0123456789", headers=auth)
    assert_error(wrong, 422, "hash_mismatch")
    assert client.get(f"/api/v1/sync/media/{sha}", headers=auth).json == {
        "sha256": sha,
        "state": "missing",
        "offset": 0,
        "total": None,
    }
    bad_name = client.put("/api/v1/sync/media/not-a-hash?offset=0&total=10", data=b"0123456789", headers=auth)
    assert_error(bad_name, 422, "media_name_invalid")


def test_pull_pages_carry_on_from_the_cursor_and_tombstones_take_tasks_away(
    device, specialist, make_task, make_user, login_as, app_ctx
):
    supervisor = login_as("supervisor", institution="3701")
    tasks = [make_task() for _ in range(5)]
    supervisor.post(
        "/api/v1/tasks/assign", json={"task_ids": [t.id for t in tasks], "assignee_id": specialist.user.id}
    )
    changes_seen = device.pull(limit=2)
    assert device.stats.pulls == 3  # 5 changes in pages of 2
    assert [c["seq"] for c in changes_seen] == sorted(c["seq"] for c in changes_seen)
    assert set(device.tasks) == {t.id for t in tasks}
    facts = device.tasks[tasks[0].id]["facts"]
    assert facts["policy_number"] == tasks[0].policy.policy_number and facts["item"] == "new_business"
    assert device.tasks[tasks[0].id]["policy"]["holder_phone"] == tasks[0].policy.holder_phone

    colleague = make_user("specialist", institution="370102")
    supervisor.post("/api/v1/tasks/assign", json={"task_ids": [tasks[0].id], "assignee_id": colleague.id})
    supervisor.post(f"/api/v1/tasks/{tasks[1].id}/cancel", json={"reason": "重复任务"})
    later = device.pull(limit=2)
    assert [c["kind"] for c in later] == ["tombstone", "tombstone"]
    assert set(device.tasks) == {t.id for t in tasks[2:]}
    assert device.pull() == []  # nothing new: an empty page, same cursor


def test_a_device_sees_only_its_users_changes(device, specialist, make_task, make_user, app_ctx):
    other = make_user("specialist", institution="370102")
    task = make_task()
    task.assignee_id, task.status = other.id, "assigned"
    changes.task_moved(task, None)
    db.session.commit()
    assert device.pull() == []


def test_only_specialists_push(login_as, app_ctx):
    reviewer = login_as("reviewer")
    assert_error(reviewer.post("/api/v1/sync/push", json={"visits": [{}]}), 403, "forbidden")


def test_shared_hash_vectors_hold_on_the_server():
    # The PWA runs the same file in Vitest: tablet and server must hash the same bytes.
    import json
    from pathlib import Path

    from sync.canonical import canonical_bytes

    vectors = json.loads((Path(__file__).parents[1] / "vectors" / "sync" / "record_hash.json").read_text())
    assert len(vectors) >= 7
    for vector in vectors:
        assert canonical_bytes(vector["record"]).decode() == vector["canonical"], vector["name"]
        assert record_hash(vector["record"]) == vector["hash"], vector["name"]


def test_answers_are_checked_against_the_questionnaire_version(
    device, visit_for, questionnaire, assigned_task, app_ctx
):
    wrong, media = visit_for(assigned_task)
    wrong["answers"] = {"holder_id_check": "12"}  # not four characters
    wrong["hash"] = record_hash(wrong)
    unknown, media2 = visit_for(assigned_task, questionnaire_version_id=questionnaire.id + 99)
    device.add(wrong, media)
    device.add(unknown, media2)
    device.push()
    problem = device.ledger[wrong["uuid"]].problems[0]
    assert (problem["code"], problem["field"]) == ("identity_length", "answers/holder_id_check")
    assert [p["code"] for p in device.ledger[unknown["uuid"]].problems] == ["questionnaire_version_unknown"]
    assert count(Visit) == 0


def test_an_identity_mismatch_keeps_the_visit_and_flags_it(device, visit_for, assigned_task, app_ctx):
    record, media = visit_for(
        assigned_task,
        id_digits="9999" if not assigned_task.policy.holder_id_number.endswith("9999") else "8888",
    )
    device.add(record, media)
    device.sync()
    visit = db.session.get(Visit, record["uuid"])
    assert visit.state == "submitted" and "identity_mismatch" in visit.flags


def test_a_visit_where_nobody_was_home_needs_no_answers(device, assigned_task, app_ctx):
    record, media = make_record(assigned_task.id, outcome="not_at_home", outcome_reason="敲门无人应答")
    device.add(record, media)
    device.sync()
    assert db.session.get(Visit, record["uuid"]).state == "submitted"
    assert db.session.get(VisitTask, assigned_task.id).status == "assigned"  # still to be visited


def test_the_tablet_gets_the_version_to_use_and_never_the_full_id_number(
    device, questionnaire, assigned_task, app_ctx
):
    changes_seen = device.pull()
    kinds = [c["kind"] for c in changes_seen]
    assert "questionnaire_version" in kinds and "task" in kinds
    version = next(c for c in changes_seen if c["kind"] == "questionnaire_version")["data"]
    assert version["id"] == questionnaire.id and version["code"] == "new_business"
    assert version["definition"]["sections"][0]["questions"][0]["id"] == "holder_id_check"
    task = device.tasks[assigned_task.id]
    assert task["questionnaire_version_id"] == questionnaire.id
    assert "holder_id_number" not in task["facts"]
    assert task["facts"]["holder_id_masked"] == assigned_task.policy.holder_id_number[:6] + "*" * 12


def test_status_tells_a_device_where_its_visits_stand(
    device, visit_for, assigned_task, specialist, login_as, app_ctx
):
    record, media = visit_for(assigned_task)
    device.add(record, media)
    device.push()
    answer = specialist.post(
        "/api/v1/sync/status", json={"uuids": [record["uuid"], "0" * 8 + "-0000-4000-8000-" + "0" * 12]}
    )
    first, unknown = answer.json["visits"]
    assert (first["state"], sorted(first["missing_media"])) == ("awaiting_media", sorted(media))
    assert unknown == {"uuid": unknown["uuid"], "state": "unknown", "hash": None, "missing_media": []}
    other = login_as("specialist", institution="370102")
    assert (
        other.post("/api/v1/sync/status", json={"uuids": [record["uuid"]]}).json["visits"][0]["state"]
        == "unknown"
    )


def _media_url(sha, offset, total):
    return f"/api/v1/sync/media/{sha}?offset={offset}&total={total}"


def test_a_photo_must_be_a_jpeg_by_its_content_whole_or_in_chunks(
    visit_for, device, specialist, client, assigned_task, app_ctx
):
    """The visit says what each blob is (image/jpeg, image/png); bytes that are not that are
    refused and discarded, and the visit keeps waiting for the real photo."""
    fake = os.urandom(5500)
    record, media = visit_for(assigned_task, photo=fake)
    device.add(record, media)
    device.push()
    auth = {"Authorization": f"Bearer {specialist.tokens['access_token']}"}
    sha = sha256_hex(fake)
    whole = client.put(_media_url(sha, 0, len(fake)), data=fake, headers=auth)
    assert assert_error(whole, 422, "media_content_invalid")["details"]["mime"] == "image/jpeg"
    client.put(_media_url(sha, 0, len(fake)), data=fake[:3000], headers=auth)
    last = client.put(_media_url(sha, 3000, len(fake)), data=fake[3000:], headers=auth)
    assert_error(last, 422, "media_content_invalid")
    assert client.get(f"/api/v1/sync/media/{sha}", headers=auth).json["state"] == "missing"
    assert db.session.get(MediaBlob, sha) is None
    assert db.session.get(Visit, record["uuid"]).state == "awaiting_media"


def test_an_image_over_the_pixel_limit_is_refused(visit_for, device, specialist, client, assigned_task, app):
    """A decompression bomb: a small file that would unpack into a huge picture."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (3000, 3000)).save(out, "JPEG")
    bomb = out.getvalue()
    limit = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = 1_000_000
    try:
        with app.app_context():
            record, media = visit_for(assigned_task, photo=bomb)
            device.add(record, media)
            device.push()
            auth = {"Authorization": f"Bearer {specialist.tokens['access_token']}"}
            answer = client.put(_media_url(sha256_hex(bomb), 0, len(bomb)), data=bomb, headers=auth)
            assert_error(answer, 422, "media_image_too_large")
    finally:
        Image.MAX_IMAGE_PIXELS = limit
