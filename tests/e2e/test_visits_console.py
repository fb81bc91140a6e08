"""The console's received visits (issue 9, the reviewer's view) in Chromium.

Two visits are synced the way a tablet does it, through the reference sync client: specialist1
visits two new-business policies with the published built-in questionnaire, captures real
signature strokes (with the tablet's own PNG of them) and a photo. One respondent gives the wrong
last four digits of the ID number: that visit is kept and flagged. reviewer1 then reads both.
"""

from __future__ import annotations

import io
import random
import uuid
from datetime import date

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from server.extensions import db
from server.institutions.models import Institution
from server.policies.models import Policy
from server.questionnaires.services import published_version
from server.sync import changes
from server.tasks.models import VisitTask
from server.tasks.services import TaskSpec, create_tasks
from server.users.models import User
from signatures import encode_strokes_bytes, render_png
from signatures.synthetic import genuine_signature, make_person
from sync.client import SyncClient, make_record
from tests.e2e.conftest import PHONE, TABLET
from tests.e2e.test_login import sign_in
from tests.sync.conftest import FlaskTransport

# Every answer of the new-business questionnaire for a traditional, regular-premium agency policy
# whose holder is the insured (so neither the insured's questions nor the bank's apply).
ANSWERS = {
    "holder_present": True,
    "holder_signed_self": True,
    "read_terms": True,
    "liability": "understood",
    "exclusions": "understood",
    "cooling_off_rights": "understood",
    "surrender_loss": "not_understood",
    "payment_period": "understood",
    "extra_promises": False,
    "remarks": "客户表示已收到保单",
}


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (70, 130, 180)).save(out, "JPEG", quality=80)
    return out.getvalue()


def _policy(org, number: str, holder: str, id_number: str) -> Policy:
    policy = Policy(
        policy_number=number,
        product_name="鑫福年年终身寿险",
        product_type="traditional",
        channel="agency",
        holder_name=holder,
        holder_id_number=id_number,
        holder_phone="13800000001",
        holder_address="济南市历下区泉城路1号",
        insured_name=holder,
        insured_id_number=id_number,
        premium_fen=500000,
        payment_frequency="annual",
        payment_period_years=10,
        sum_assured_fen=10000000,
        term_months=240,
        cooling_off_end=date(2026, 12, 10),
        institution_id=org["370102"],
    )
    db.session.add(policy)
    db.session.flush()
    return policy


def _visit(task_id: int, version_id: int, digits: str, seed: int, **extra):
    person = make_person(seed)
    holder = genuine_signature(person, random.Random(seed))
    specialist = genuine_signature(make_person(seed + 100), random.Random(seed + 100))
    return make_record(
        task_id,
        questionnaire_version_id=version_id,
        answers={**ANSWERS, "holder_id_check": digits},
        media=[
            (
                "signature_strokes",
                encode_strokes_bytes(holder),
                {"signer": "holder", "question_id": "sign_holder"},
            ),
            ("signature_png", render_png(holder), {"signer": "holder", "question_id": "sign_holder"}),
            (
                "signature_strokes",
                encode_strokes_bytes(specialist),
                {"signer": "specialist", "question_id": "sign_specialist"},
            ),
            ("photo", _photo(), {"taken_at": "2026-11-25T09:35:00+08:00"}),
        ],
        started_at="2026-11-25T09:00:00+08:00",
        finished_at="2026-11-25T09:42:30+08:00",
        clock_offset_ms=125000,
        app_version="0.1.0",
        **extra,
    )


@pytest.fixture
def synced_visits(app, demo_data):
    """Two visits of specialist1, synced: a clean one and one whose ID check does not match."""
    with app.app_context():
        org = {inst.code: inst.id for inst in db.session.scalars(select(Institution))}
        wang = db.session.scalars(select(User).where(User.username == "specialist1")).one()
        clean = _policy(org, "P20261001", "张三", "370102198001011234")
        mismatch = _policy(org, "P20261002", "李四", "370102198502025678")
        ids = create_tasks(
            [
                TaskSpec(p.id, "new_business", "no_phone", org["370102"], due_date=date(2026, 12, 18))
                for p in (clean, mismatch)
            ],
            actor_id=None,
            batch_id=None,
        )
        for task_id in ids:
            task = db.session.get(VisitTask, task_id)
            task.assignee_id, task.status = wang.id, "assigned"
            changes.task_moved(task, None)
        version_id = published_version("new_business").id
        db.session.commit()
        db.session.remove()

    client = app.test_client()
    login = client.post(
        "/api/v1/auth/login",
        json={"username": "specialist1", "password": "huifang-demo", "device_id": str(uuid.uuid4())},
    )
    assert login.status_code == 200, login.json
    tablet = SyncClient(FlaskTransport(app.test_client(), login.json["access_token"]), chunk_size=4096)
    tablet.pull()
    good = tablet.add(
        *_visit(
            ids[0],
            version_id,
            "1234",
            seed=11,
            place={"lat": 36.66123, "lon": 117.02456, "accuracy_m": 18.0, "at": "2026-11-25T09:01:10+08:00"},
            place_status="ok",
        )
    )
    bad = tablet.add(*_visit(ids[1], version_id, "0000", seed=12, place=None, place_status="denied"))
    tablet.sync()
    for entry in (good, bad):
        assert entry.status == "accepted", entry.problems
        assert entry.state == "submitted", entry.missing
    return {"clean": good.record["uuid"], "flagged": bad.record["uuid"], "clean_hash": good.record["hash"]}


def _loaded(locator):
    expect(locator).to_be_visible()
    locator.evaluate("img => img.complete || new Promise(ok => { img.onload = ok; img.onerror = ok })")
    return locator.evaluate("img => img.naturalWidth")


def test_reviewer_reads_a_synced_visit_answers_signatures_photo_and_flags(page, base, synced_visits, shot):
    page.set_viewport_size(TABLET)
    page.goto(f"{base}/console/")
    sign_in(page, "reviewer1")
    page.get_by_test_id("nav-visits").click()

    rows = page.get_by_test_id("visit-row")
    expect(rows).to_have_count(2)
    flagged = page.locator(f'[data-testid="visit-row"][data-uuid="{synced_visits["flagged"]}"]')
    clean = page.locator(f'[data-testid="visit-row"][data-uuid="{synced_visits["clean"]}"]')
    expect(flagged.get_by_test_id("visit-flag")).to_have_text("身份核对不符")
    expect(clean.get_by_test_id("visit-flag")).to_have_count(0)
    expect(clean).to_contain_text("P20261001")
    expect(clean).to_contain_text("张三")
    expect(clean.get_by_test_id("visit-specialist")).to_have_text("王专员")
    expect(clean).to_contain_text("历下区")
    expect(clean.get_by_test_id("visit-outcome")).to_have_text("已完成面访")
    expect(clean.get_by_test_id("visit-state")).to_have_text("已提交")
    shot(page, "console-visits-tablet")

    # Flagged only.
    page.get_by_test_id("visit-filter-flagged").check()
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-uuid", synced_visits["flagged"])
    page.get_by_test_id("visit-filter-flagged").uncheck()
    expect(rows).to_have_count(2)

    # The clean visit, question by question, in words.
    clean.get_by_test_id("visit-open").click()
    detail = page.get_by_test_id("visit-detail")
    expect(detail.get_by_test_id("visit-policy-number")).to_have_text("P20261001")

    def answer(question_id):
        return detail.locator(f'[data-testid="visit-answer"][data-question="{question_id}"]')

    expect(answer("holder_present")).to_contain_text("请问您是投保人张三本人吗？")
    expect(answer("holder_present").get_by_test_id("visit-answer-text")).to_have_text("是")
    expect(answer("extra_promises").get_by_test_id("visit-answer-text")).to_have_text("否")
    expect(answer("liability").get_by_test_id("visit-answer-text")).to_have_text("已听清并理解")
    expect(answer("surrender_loss").get_by_test_id("visit-answer-text")).to_have_text("未理解")
    expect(answer("cooling_off_rights")).to_contain_text("2026年12月10日")
    expect(answer("liability")).to_contain_text("20年")  # filled from the policy, not 【未提供】
    expect(answer("holder_id_check").get_by_test_id("visit-answer-text")).to_contain_text("1234")
    expect(answer("holder_id_check")).to_contain_text("一致")
    expect(answer("remarks")).to_contain_text("客户表示已收到保单")
    expect(answer("sign_holder")).to_contain_text("已签名")
    expect(answer("insured_signed_self")).to_have_count(0)  # the holder is the insured
    expect(detail.get_by_test_id("visit-answers")).not_to_contain_text("{")
    expect(detail.get_by_test_id("visit-answers")).not_to_contain_text("understood")

    # When and where, in Beijing time, with the device's clock offset and a geo: link.
    expect(detail.get_by_test_id("visit-started")).to_contain_text("09:00")
    expect(detail.get_by_test_id("visit-duration")).to_have_text("42分30秒")
    expect(detail.get_by_test_id("visit-clock")).to_contain_text("比服务器慢2分5秒")
    expect(detail.get_by_test_id("visit-map-link")).to_have_attribute("href", "geo:36.66123,117.02456;u=18")
    expect(detail.get_by_test_id("visit-place")).to_contain_text("精度约 18 米")

    # Each signature twice: the tablet's PNG and the server's render of the strokes.
    holder = detail.locator('[data-testid="visit-signature"][data-signer="holder"]')
    expect(holder.get_by_test_id("visit-signer-name")).to_have_text("张三")
    assert _loaded(holder.get_by_test_id("visit-signature-png")) > 0
    assert _loaded(holder.get_by_test_id("visit-signature-render")) > 0
    specialist = detail.locator('[data-testid="visit-signature"][data-signer="specialist"]')
    expect(specialist.get_by_test_id("visit-signer-name")).to_have_text("王专员")
    assert _loaded(specialist.get_by_test_id("visit-signature-render")) > 0
    expect(specialist).to_contain_text("平板未上传签名图")

    # The photo, and full size.
    assert _loaded(detail.get_by_test_id("visit-photo")) == 320
    expect(detail.get_by_test_id("visit-media-complete")).to_have_text("全部 4 个文件已收齐")
    expect(detail.get_by_test_id("visit-hash")).to_have_text(synced_visits["clean_hash"])
    expect(detail.get_by_test_id("visit-flags")).to_have_count(0)
    shot(page, "console-visit-tablet")
    detail.get_by_test_id("visit-photo-open").click()
    assert _loaded(page.get_by_test_id("visit-photo-viewer").locator("img")) == 320
    page.get_by_test_id("visit-photo-close").click()
    expect(page.get_by_test_id("visit-photo-viewer")).to_have_count(0)

    # The flagged visit: the badge, its one-sentence explanation, the answer marked, no place.
    page.get_by_test_id("visit-back").click()
    flagged.get_by_test_id("visit-open").click()
    expect(detail.get_by_test_id("visit-policy-number")).to_have_text("P20261002")
    expect(detail.get_by_test_id("visit-flag")).to_have_text("身份核对不符")
    expect(detail.get_by_test_id("visit-flag-explain")).to_contain_text("受访人可能不是投保人本人")
    expect(answer("holder_id_check")).to_contain_text("0000")
    expect(answer("holder_id_check")).to_contain_text("不符")
    expect(detail.get_by_test_id("visit-no-place")).to_have_text("没有地点：平板上的定位权限被拒绝")
    assert _loaded(detail.locator('[data-signer="holder"] [data-testid="visit-signature-render"]')) > 0
    shot(page, "console-visit-flagged-tablet")


def test_visits_read_on_a_phone(page, base, synced_visits, shot):
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/console/")
    sign_in(page, "reviewer1")
    page.get_by_test_id("nav-visits").click()
    expect(page.get_by_test_id("visit-row")).to_have_count(2)
    page.get_by_test_id("visit-filters-toggle").click()
    expect(page.get_by_test_id("visit-filter-state")).to_be_visible()
    shot(page, "console-visits-phone")

    page.goto(f"{base}/console/#/visits/{synced_visits['flagged']}")
    detail = page.get_by_test_id("visit-detail")
    expect(detail.get_by_test_id("visit-flag")).to_have_text("身份核对不符")
    holder = detail.locator('[data-testid="visit-signature"][data-signer="holder"]')
    assert _loaded(holder.get_by_test_id("visit-signature-png")) > 0
    assert _loaded(holder.get_by_test_id("visit-signature-render")) > 0
    assert _loaded(detail.get_by_test_id("visit-photo")) > 0
    # Nothing wider than the phone.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "console-visit-phone")
