"""The whole home visit in the field app, offline, in Debian's Chromium (issue 6).

A specialist signs in and syncs; the network goes; the app reloads from its service worker; the visit
is done with signatures drawn by pointer events and a photo; the tab is closed mid-visit and opened
again offline, and the visit goes on where it was; the network comes back and the visit syncs. The
server then holds the visit, submitted, with the same answers and the strokes that were drawn.
"""

from __future__ import annotations

import io
import math
import re
from datetime import timedelta

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect
from sqlalchemy import select

from server.extensions import db
from server.institutions.models import Institution
from server.policies.models import Policy
from server.sync import changes
from server.sync.services import store
from server.tasks.models import VisitTask
from server.tasks.services import TaskSpec, create_tasks, today
from server.users.models import User
from server.visits.models import Visit, VisitMedia
from signatures.strokes import decode_strokes_bytes, validate_strokes
from tests.e2e.conftest import PHONE, TABLET
from tests.e2e.test_login import sign_in

HOLDER_ID = "370102198001010011"
ADDRESS = "济南市历下区泉城路188号3单元501室"


def _policy(org, number: str, holder: str, id_number: str) -> Policy:
    policy = Policy(
        policy_number=number,
        product_name="鑫福年年终身寿险",
        product_type="traditional",
        channel="agency",
        holder_name=holder,
        holder_id_number=id_number,
        holder_phone="13800000001",
        holder_address=ADDRESS,
        insured_name=holder,
        insured_id_number=id_number,
        pays_on_death=False,
        payment_frequency="annual",
        premium_fen=500000,
        payment_period_years=10,
        institution_id=org["370102"],
    )
    db.session.add(policy)
    db.session.flush()
    return policy


@pytest.fixture
def field_tasks(app, demo_data):
    """Two new-business tasks assigned to specialist1 (历下区): one to visit, one overdue."""
    with app.app_context():
        org = {inst.code: inst.id for inst in db.session.scalars(select(Institution))}
        specialist = db.session.scalars(select(User).where(User.username == "specialist1")).one()
        visit = _policy(org, "P20261001", "张三", HOLDER_ID)
        other = _policy(org, "P20261002", "李四", "370102198001010022")
        ids = create_tasks(
            [
                TaskSpec(
                    visit.id, "new_business", "no_phone", org["370102"], due_date=today() + timedelta(days=3)
                ),
                TaskSpec(
                    other.id,
                    "new_business",
                    "phone_failed",
                    org["370102"],
                    due_date=today() - timedelta(days=2),
                ),
            ],
            actor_id=None,
            batch_id=None,
        )
        for task_id in ids:
            task = db.session.get(VisitTask, task_id)
            assert task.questionnaire_code == "new_business"
            task.assignee_id, task.status = specialist.id, "assigned"
            changes.task_moved(task, None)
        db.session.commit()
        db.session.remove()
        return {"visit": ids[0], "other": ids[1]}


def _jpeg(width: int = 2400, height: int = 1800) -> bytes:
    image = Image.new("RGB", (width, height), (70, 130, 180))
    draw = ImageDraw.Draw(image)
    draw.rectangle([200, 200, 1400, 900], fill=(250, 250, 240))
    draw.ellipse([1500, 900, 2200, 1600], fill=(200, 60, 60))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _draw(page, strokes_css):
    """Draw strokes on the open signature pad with the mouse, slowly enough for a hand.

    ``strokes_css`` are lists of (x, y) inside the canvas; returns them as drawn (canvas px).
    """
    canvas = page.get_by_test_id("signature-canvas")
    box = canvas.bounding_box()
    drawn = []
    for stroke in strokes_css:
        (x0, y0), rest = stroke[0], stroke[1:]
        page.mouse.move(box["x"] + x0, box["y"] + y0)
        page.mouse.down()
        for x, y in rest:
            page.wait_for_timeout(12)
            page.mouse.move(box["x"] + x, box["y"] + y)
        page.mouse.up()
        drawn.append(stroke)
        page.wait_for_timeout(30)
    return drawn


def _wave(x0: float, y0: float, n: int = 36, dx: float = 9.0, amp: float = 30.0):
    return [(x0 + i * dx, y0 + amp * math.sin(i / 4)) for i in range(n)]


def _near(point, drawn, tol=0.16):
    return any(abs(point["x"] - x) <= tol and abs(point["y"] - y) <= tol for x, y in drawn)


def _bytes(sha: str) -> bytes:
    fh = store().open(sha)
    try:
        return fh.read()
    finally:
        fh.close()


def test_whole_visit_offline_with_signatures_photo_and_a_closed_tab_then_sync(
    page, base, app, field_tasks, shot
):
    context = page.context
    context.grant_permissions(["geolocation"], origin=base)
    context.set_geolocation({"latitude": 36.6612, "longitude": 117.0235, "accuracy": 18})
    page.set_viewport_size(TABLET)
    page.goto(f"{base}/app/")
    sign_in(page, "specialist1")

    # Synced: both tasks, overdue first, grouped under 历下区.
    rows = page.get_by_test_id("field-task")
    expect(rows).to_have_count(2)
    expect(page.get_by_test_id("bucket-overdue")).to_contain_text("李四")
    expect(page.get_by_test_id("bucket-upcoming")).to_contain_text("历下区")
    page.wait_for_function(
        "() => navigator.serviceWorker.controller !== null"
    )  # a function: no eval under the CSP
    shot(page, "field-tasks-tablet")

    # Offline for real, and the app still opens from its service worker.
    context.set_offline(True)
    response = page.reload()
    assert response is not None and response.from_service_worker
    expect(page.get_by_test_id("sync-bar")).to_contain_text("当前离线")
    expect(rows).to_have_count(2)

    page.locator(f'[data-testid="field-task"][data-task-id="{field_tasks["visit"]}"]').click()
    expect(page.get_by_test_id("task-address")).to_have_text(ADDRESS)
    expect(page.get_by_test_id("fact-holder_id")).to_contain_text("370102")
    expect(page.get_by_test_id("fact-holder_id")).not_to_contain_text("0011")  # the customer says them
    expect(page.get_by_test_id("map-geo")).to_have_attribute("href", re.compile(r"^geo:0,0\?q=%E6%B5%8E"))
    shot(page, "field-task-detail-tablet")
    page.get_by_test_id("start-visit").click()

    # Start: device time and the place with its accuracy.
    page.get_by_test_id("visit-begin").click()
    expect(page.get_by_test_id("place-ok")).to_contain_text("18")
    shot(page, "field-visit-start-tablet")
    page.get_by_test_id("visit-next").click()

    # Identity: the respondent is the holder and says the last four digits.
    content = page.get_by_test_id("visit-content")
    page.get_by_test_id("visit-next").click()  # refused: nothing answered yet
    expect(content.locator(".qr-error").first).to_be_visible()
    page.get_by_test_id("qr-holder_present-yes").click()
    page.get_by_test_id("qr-holder_id_check-input").fill("0011")
    page.get_by_test_id("visit-next").click()

    # The questionnaire: statements understood, signatures genuine, no promises outside the terms.
    expect(content).to_have_attribute("data-step", "questions")
    for button in content.locator('[data-testid$="-understood"]:not([data-testid$="-not_understood"])').all():
        button.click()
    for qid in ("holder_signed_self", "read_terms"):
        page.get_by_test_id(f"qr-{qid}-yes").click()
    page.get_by_test_id("qr-extra_promises-no").click()
    shot(page, "field-visit-questions-tablet")
    page.get_by_test_id("visit-next").click()

    # The holder signs: a dot is refused, a real signature is kept.
    expect(content).to_have_attribute("data-step", "signatures")
    page.get_by_test_id("sign-open-holder").click()
    _draw(page, [[(300, 200), (302, 201)]])
    page.get_by_test_id("signature-done").click()
    expect(page.get_by_test_id("signature-problem")).to_contain_text("签名过短或过小")
    page.get_by_test_id("signature-clear").click()
    holder_strokes = _draw(page, [_wave(120, 240), [(260 + 3 * i, 120 + 6 * i) for i in range(30)]])
    shot(page, "field-signature-pad-tablet")
    page.get_by_test_id("signature-done").click()
    expect(page.get_by_test_id("sign-card-holder").get_by_test_id("signed")).to_be_visible()
    expect(page.get_by_test_id("draft-saved")).to_have_text("已保存")

    # The tab is closed in the middle of the visit and opened again, still offline.
    page.close()
    page = context.new_page()
    page.set_viewport_size(TABLET)
    page.goto(f"{base}/app/")
    expect(page.get_by_test_id("field-task").first).to_be_visible()
    page.locator(f'[data-testid="field-task"][data-task-id="{field_tasks["visit"]}"]').click()
    expect(page.get_by_test_id("start-visit")).to_have_text("继续走访")
    page.get_by_test_id("start-visit").click()
    content = page.get_by_test_id("visit-content")
    expect(content).to_have_attribute("data-step", "signatures")
    expect(page.get_by_test_id("sign-card-holder").get_by_test_id("signed")).to_be_visible()
    expect(page.get_by_test_id("sign-card-holder").locator("img")).to_be_visible()
    page.get_by_test_id("visit-next").click()

    # A photo from a file, resized on the tablet to 1600 px.
    expect(content).to_have_attribute("data-step", "photos")
    page.get_by_test_id("photo-general-file").set_input_files(
        {"name": "door.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}
    )
    expect(page.get_by_test_id("photo-thumb")).to_contain_text("1600×1200")
    page.get_by_test_id("visit-next").click()

    expect(content).to_have_attribute("data-step", "outcome")
    page.get_by_test_id("outcome-completed").click()
    page.get_by_test_id("visit-next").click()

    # The specialist confirms and signs.
    expect(content).to_have_attribute("data-step", "confirm")
    page.get_by_test_id("specialist-confirm").check()
    page.get_by_test_id("sign-open-specialist").click()
    _draw(page, [_wave(200, 260, n=40, dx=8, amp=24)])
    page.get_by_test_id("signature-done").click()
    expect(page.get_by_test_id("sign-card-specialist").get_by_test_id("signed")).to_be_visible()
    page.get_by_test_id("visit-next").click()

    # Review, at tablet and phone sizes, then finish into the outbox.
    expect(page.get_by_test_id("review-ready")).to_be_visible()
    expect(page.get_by_test_id("review-holder_id_check")).to_have_text("0011")
    expect(page.get_by_test_id("review-photos")).to_have_text("1")
    shot(page, "field-visit-review-tablet")
    page.set_viewport_size(PHONE)
    shot(page, "field-visit-review-phone")
    page.set_viewport_size(TABLET)
    page.get_by_test_id("visit-finish").click()
    visit_row = page.get_by_test_id("outbox-visit")
    expect(visit_row).to_have_count(1)
    expect(page.get_by_test_id("outbox-summary")).to_contain_text("1 条待同步")
    uuid = visit_row.get_attribute("data-uuid")
    shot(page, "field-outbox-offline-tablet")

    # Back online: the outbox sends it by itself.
    context.set_offline(False)
    expect(visit_row).to_have_attribute("data-phase", "submitted", timeout=30_000)
    expect(page.get_by_test_id("outbox-summary")).to_contain_text("全部已同步")
    shot(page, "field-outbox-synced-tablet")
    page.set_viewport_size(PHONE)
    page.get_by_test_id("tab-tasks").click()
    expect(page.get_by_test_id("field-task-done")).to_contain_text("张三")
    shot(page, "field-tasks-phone")

    with app.app_context():
        visit = db.session.get(Visit, uuid)
        assert visit is not None
        assert visit.state == "submitted"
        assert visit.outcome == "completed"
        assert visit.task_id == field_tasks["visit"]
        assert visit.record["answers"] == {
            "holder_present": True,
            "holder_id_check": "0011",
            "holder_signed_self": True,
            "read_terms": True,
            "liability": "understood",
            "exclusions": "understood",
            "cooling_off_rights": "understood",
            "surrender_loss": "understood",
            "payment_period": "understood",
            "extra_promises": False,
        }
        assert visit.record["place_status"] == "ok"
        assert visit.record["place"]["accuracy_m"] == 18
        assert "identity_mismatch" not in visit.flags
        assert db.session.get(VisitTask, field_tasks["visit"]).status == "submitted"
        media = {
            (m.kind, m.signer): m
            for m in db.session.scalars(select(VisitMedia).where(VisitMedia.visit_uuid == uuid))
        }
        assert set(media) == {
            ("signature_strokes", "holder"),
            ("signature_png", "holder"),
            ("signature_strokes", "specialist"),
            ("signature_png", "specialist"),
            ("photo", None),
        }
        signature = decode_strokes_bytes(_bytes(media[("signature_strokes", "holder")].sha256))
        assert validate_strokes(signature) == []
        assert len(signature["strokes"]) == len(holder_strokes)
        for got, drawn in zip(signature["strokes"], holder_strokes, strict=True):
            assert len(got) >= len(drawn) * 0.8
            assert all(_near(point, drawn) for point in got)
            assert _near(got[0], drawn[:1]) and _near(got[-1], drawn[-1:])
            assert all(point["p"] == 0.5 for point in got)  # a mouse reports 0.5 while pressed
        photo = Image.open(io.BytesIO(_bytes(media[("photo", None)].sha256)))
        assert photo.format == "JPEG" and photo.size == (1600, 1200)
        assert Image.open(io.BytesIO(_bytes(media[("signature_png", "holder")].sha256))).format == "PNG"
