"""Review, the confirming phone callback and the compliance case, in Chromium (R14, R15, R16).

specialist1 syncs a completed visit the way a tablet does (through the reference sync client),
finished a day after the task's due date. reviewer1 finds it in the review queue, reads it and
approves it; agent1 takes the next call and, with the keyboard alone, records that the customer
says the signature is not theirs; compliance1 then finds the compliance case 签名非本人所签 and
resolves it with its finding. Screenshots at tablet and phone sizes go to test-results/.
"""

from __future__ import annotations

import io
import uuid
import wave
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.dbtypes import utcnow
from server.extensions import db
from server.institutions.models import Institution
from server.questionnaires.services import published_version
from server.sync import changes
from server.tasks.models import VisitTask
from server.tasks.services import TaskSpec, create_tasks
from server.users.models import User
from server.visits.models import Visit
from sync.client import SyncClient
from tests.e2e.conftest import ARTIFACTS, TABLET
from tests.e2e.test_login import sign_in
from tests.e2e.test_visits_console import _policy, _visit
from tests.sync.conftest import FlaskTransport

PHONE = {"width": 390, "height": 844}
POLICY = "P20261101"


@pytest.fixture
def synced_visit(app, demo_data):
    """A completed visit of specialist1 for 周淑英, synced; the task was due the day before."""
    with app.app_context():
        org = {inst.code: inst.id for inst in db.session.scalars(select(Institution))}
        wang = db.session.scalars(select(User).where(User.username == "specialist1")).one()
        policy = _policy(org, POLICY, "周淑英", "370102197705051234")
        [task_id] = create_tasks(
            [TaskSpec(policy.id, "new_business", "no_phone", org["370102"], due_date=date(2026, 12, 18))],
            actor_id=None,
            batch_id=None,
        )
        task = db.session.get(VisitTask, task_id)
        task.assignee_id, task.status = wang.id, "assigned"
        task.due_date = date(2026, 11, 24)  # the visit below finishes on the 25th: one day late
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
    entry = tablet.add(
        *_visit(
            task_id,
            version_id,
            "1234",
            seed=21,
            place={"lat": 36.66123, "lon": 117.02456, "accuracy_m": 18.0, "at": "2026-11-25T09:01:10+08:00"},
            place_status="ok",
        )
    )
    tablet.sync()
    assert entry.status == "accepted", entry.problems
    assert entry.state == "submitted", entry.missing
    with app.app_context():
        # Received yesterday: the queue says how long it has waited.
        visit = db.session.get(Visit, entry.record["uuid"])
        visit.submitted_at = utcnow() - timedelta(hours=27, minutes=10)
        db.session.commit()
        db.session.remove()
    return entry.record["uuid"]


def _fits(page, width):
    """Nothing on the page is wider than the screen (no sideways scrolling on a phone)."""
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width


def _settled(page):
    """No toast over the page, scrolled to the top: a full-page screenshot shows it as it is."""
    expect(page.locator(".van-toast:visible")).to_have_count(0, timeout=5000)
    page.evaluate("() => window.scrollTo(0, 0)")
    page.wait_for_timeout(300)  # the layout settles (stacked columns, nav as tabs)


def _full(page, shot, name):
    _settled(page)
    shot(page, name)


def _at_both_sizes(page, shot, name):
    """A tablet screenshot, then the same page on a phone (it must fit), then back to the tablet."""
    _full(page, shot, f"{name}-tablet")
    page.set_viewport_size(PHONE)
    _settled(page)
    _fits(page, PHONE["width"])
    shot(page, f"{name}-phone")
    page.set_viewport_size(TABLET)


def _screen(page, name):
    """What the screen shows now (a sheet over the page), without the full-page stitching."""
    page.wait_for_timeout(400)  # the sheet has slid in
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _wav() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(b"\x00\x00" * 800)
    return out.getvalue()


def _sign_out(page):
    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("login-submit")).to_be_visible()


def test_review_approve_then_callback_by_keyboard_opens_a_compliance_case(page, base, synced_visit, shot):
    page.set_viewport_size(TABLET)
    page.goto(f"{base}/console/")

    # --- reviewer1: the queue, the visit side by side, the decision ----------------------------
    sign_in(page, "reviewer1")
    page.get_by_test_id("nav-review").click()
    row = page.locator(f'[data-testid="review-row"][data-uuid="{synced_visit}"]')
    expect(row).to_contain_text(POLICY)
    expect(row).to_contain_text("周淑英")
    expect(row.locator('[data-testid="review-flag"][data-flag="late"]')).to_have_text("逾期完成")
    expect(row.get_by_test_id("review-waiting")).to_have_text("已等待 1天3小时")
    expect(page.get_by_test_id("review-total")).to_contain_text("待审核")
    _at_both_sizes(page, shot, "console-review-queue")

    row.get_by_test_id("review-open").click()
    detail = page.get_by_test_id("review-detail")
    expect(detail.get_by_test_id("review-policy-number")).to_have_text(POLICY)
    expect(detail.get_by_test_id("review-state")).to_have_text("待审核")
    late = detail.locator('[data-testid="review-flag"][data-flag="late"]')
    expect(late.get_by_test_id("review-flag-detail")).to_have_text(
        "到期日 2026-11-24，完成于 2026-11-25，逾期 1 天"
    )
    answer = detail.locator('[data-testid="visit-answer"][data-question="holder_present"]')
    expect(answer).to_contain_text("请问您是投保人周淑英本人吗？")
    holder = detail.locator('[data-testid="visit-signature"][data-signer="holder"]')
    expect(holder.get_by_test_id("visit-signature-render")).to_be_visible()
    expect(holder.get_by_test_id("visit-signature-png")).to_be_visible()
    expect(holder.get_by_test_id("review-similarity")).to_contain_text("无以往签名可比")
    expect(detail.get_by_test_id("visit-photo")).to_be_visible()
    expect(detail.get_by_test_id("review-decisions")).to_contain_text("尚无审核记录")
    # Side by side on the tablet: the signatures sit beside the policy, not under the answers.
    policy_box = detail.get_by_test_id("visit-policy").bounding_box()
    signatures_box = detail.get_by_test_id("visit-signatures").bounding_box()
    assert signatures_box["x"] > policy_box["x"] + policy_box["width"] - 1
    assert signatures_box["y"] < policy_box["y"] + policy_box["height"]
    _at_both_sizes(page, shot, "console-review-visit")
    # As the screen shows it: the decision bar stays at the bottom while the evidence scrolls.
    _screen(page, "console-review-visit-screen-tablet")
    expect(detail.get_by_test_id("review-approve")).to_be_in_viewport()
    page.set_viewport_size(PHONE)
    _screen(page, "console-review-visit-screen-phone")
    expect(detail.get_by_test_id("review-reject")).to_be_in_viewport()
    page.set_viewport_size(TABLET)

    # Return needs a reason: the sheet says so before anything is sent.
    page.get_by_test_id("review-return").click()
    expect(page.get_by_test_id("review-reason")).to_have_count(8)
    page.get_by_test_id("review-confirm").click()
    sheet = page.locator(".van-popup:visible")
    expect(sheet.get_by_text("请至少选择一个原因")).to_be_visible()
    _screen(page, "console-review-return-sheet-tablet")
    page.set_viewport_size(PHONE)
    _screen(page, "console-review-return-sheet-phone")
    page.set_viewport_size(TABLET)
    sheet.get_by_role("button", name="取消").click()

    page.get_by_test_id("review-approve").click()
    expect(page.get_by_test_id("review-consequence")).to_contain_text("确认电话回访")
    _screen(page, "console-review-approve-sheet-tablet")
    page.get_by_test_id("review-note").fill("资料齐全，逾期一天已核实原因")
    page.get_by_test_id("review-confirm").click()
    expect(detail.get_by_test_id("review-state")).to_have_text("已通过")
    expect(detail.get_by_test_id("review-decided")).to_have_text("该面访已审核通过")
    expect(detail.get_by_test_id("review-decision")).to_contain_text("通过")
    expect(detail.get_by_test_id("review-decision")).to_contain_text("李审核")
    expect(detail.get_by_test_id("review-callback")).to_contain_text("待回访")
    expect(detail.get_by_test_id("review-approve")).to_have_count(0)
    _full(page, shot, "console-review-approved-tablet")

    # The visit page links to the review once decided.
    page.goto(f"{base}/console/#/visits/{synced_visit}")
    expect(page.get_by_test_id("visit-review-link")).to_contain_text("已通过")
    _sign_out(page)

    # --- agent1: the next call, answered with the keyboard alone --------------------------------
    sign_in(page, "agent1")
    page.get_by_test_id("nav-callbacks").click()
    page.get_by_test_id("callback-next").click()
    bench = page.get_by_test_id("callback-workbench")
    expect(bench.get_by_test_id("callback-policy")).to_have_text(POLICY)
    expect(bench.get_by_test_id("callback-phone")).to_have_text("138 0000 0001")
    expect(bench.get_by_test_id("callback-specialist")).to_have_text("王专员")
    expect(bench.get_by_test_id("callback-keys")).to_contain_text("1 或 Y：是")
    questions = bench.get_by_test_id("callback-question")
    expect(questions).to_have_count(3)
    expect(questions.nth(0)).to_contain_text("王专员")
    expect(questions.nth(1)).to_contain_text("周淑英")
    # The first question has the focus as soon as the call opens.
    expect(questions.nth(0)).to_be_focused()
    _full(page, shot, "console-callback-open-tablet")
    expect(questions.nth(0)).to_be_focused()

    page.keyboard.press("1")  # the visit happened
    expect(questions.nth(1)).to_be_focused()
    page.keyboard.press("n")  # the signature is not theirs
    expect(questions.nth(2)).to_be_focused()
    page.keyboard.press("y")  # the explanation was understood
    expect(bench.get_by_test_id("callback-submit")).to_be_focused()
    expect(bench.get_by_test_id("callback-preview-outcome")).to_have_text("签名非本人")
    expect(bench.get_by_test_id("callback-preview")).to_contain_text("补签名")
    _at_both_sizes(page, shot, "console-callback-answered")

    bench.get_by_test_id("callback-submit").focus()
    page.keyboard.press("Enter")
    expect(bench.get_by_test_id("callback-status")).to_have_text("已完成")
    expect(bench.get_by_test_id("callback-outcome")).to_have_text("签名非本人")
    expect(bench.get_by_test_id("callback-attempt")).to_have_count(1)
    expect(bench.get_by_test_id("callback-attempt")).to_contain_text("已接通")
    cases = bench.get_by_test_id("callback-case")
    expect(cases.filter(has_text="签名非本人所签")).to_contain_text("合规问题件")
    expect(cases.filter(has_text="补签名件")).to_have_count(1)
    # The call's recording, kept with the callback (raw bytes, judged by their content).
    bench.get_by_test_id("callback-recording-file").set_input_files(
        {"name": "call.wav", "mimeType": "audio/wav", "buffer": _wav()}
    )
    bench.get_by_test_id("callback-recording-upload").click()
    expect(bench.get_by_test_id("callback-recording-kept")).to_contain_text("已保存录音")
    _full(page, shot, "console-callback-done-tablet")
    _sign_out(page)

    # --- compliance1: the compliance case, taken and resolved with its finding ------------------
    sign_in(page, "compliance1")
    page.get_by_test_id("nav-cases").click()
    page.get_by_test_id("case-filter-kind").select_option("compliance")
    row = page.locator('[data-testid="case-row"][data-category="signature_not_genuine"]').filter(
        has_text=POLICY
    )
    expect(row.get_by_test_id("case-category")).to_have_text("签名非本人所签")
    expect(row.get_by_test_id("case-kind")).to_have_text("合规问题件")
    expect(row.get_by_test_id("case-status")).to_have_text("待处理")
    _at_both_sizes(page, shot, "console-cases")

    row.get_by_test_id("case-open").click()
    case = page.get_by_test_id("case-detail")
    expect(case.get_by_test_id("case-category")).to_have_text("签名非本人所签")
    expect(case.get_by_test_id("case-summary")).to_contain_text("签名非本人所签")
    expect(case.locator('[data-testid="case-event"][data-action="referred"]')).to_be_visible()
    expect(case.get_by_test_id("case-callback-link")).to_be_visible()
    case.get_by_test_id("case-take").click()
    expect(case.get_by_test_id("case-owner")).to_have_text("周合规")
    expect(case.get_by_test_id("case-status")).to_have_text("处理中")
    _at_both_sizes(page, shot, "console-case")

    # A compliance case needs its finding.
    case.get_by_test_id("case-resolve").click()
    page.get_by_test_id("case-resolution-input").fill("经核实，签名系业务员代签，已移交销售部门处理")
    page.get_by_test_id("case-resolve-submit").click()
    expect(page.locator(".van-popup:visible").get_by_text("合规问题件须选择调查结论")).to_be_visible()
    page.locator('[data-finding="substantiated"]').check()
    page.get_by_test_id("case-resolve-submit").click()
    expect(case.get_by_test_id("case-status")).to_have_text("已办结")
    expect(case.get_by_test_id("case-finding")).to_contain_text("属实")
    expect(case.locator('[data-testid="case-event"][data-action="resolved"]')).to_contain_text("属实")
    _full(page, shot, "console-case-resolved-tablet")

    # The same case in English.
    page.get_by_test_id("lang-switch").first.click()
    expect(case.get_by_test_id("case-kind")).to_have_text("Compliance case")
    expect(case.get_by_test_id("case-category")).to_have_text("Signature not the customer's own")
    expect(case.get_by_test_id("case-status")).to_have_text("Resolved")
    _full(page, shot, "console-case-resolved-tablet-en")
