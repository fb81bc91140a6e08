"""The questionnaire designer in a real Chromium: create a questionnaire, add a question with a rule,
preview it on a tablet and a phone, check it on the server, publish it."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, TABLET


def sign_in(page, username: str, password: str = "huifang-demo"):
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()


def test_designer_creates_previews_and_publishes_a_questionnaire(page, base, shot):
    page.set_viewport_size(TABLET)
    page.goto(f"{base}/console/")
    sign_in(page, "designer1")
    page.get_by_test_id("nav-questionnaires").first.click()
    rows = page.get_by_test_id("questionnaire-row")
    expect(rows.filter(has_text="新契约上门回访问卷（传统型产品）")).to_have_count(1)
    expect(rows).to_have_count(11)  # 7 visit and 4 phone templates
    shot(page, "designer-list-tablet")

    page.get_by_test_id("questionnaire-create").click()
    page.get_by_test_id("questionnaire-create-code").fill("home_check")
    page.get_by_test_id("questionnaire-create-name").fill("上门回访补充问卷")
    page.get_by_test_id("questionnaire-create-item").select_option("other")
    page.get_by_test_id("questionnaire-create-submit").click()
    expect(page.get_by_test_id("version-status")).to_have_text("草稿")
    expect(page.get_by_test_id("outline-question")).to_have_count(4)  # identity check + 3 signatures

    # A yes/no question in the first section, and one shown only after a "no".
    page.get_by_test_id("outline-add-question").first.click()
    page.get_by_test_id("question-id").fill("knows_agent")
    page.get_by_test_id("question-id").blur()
    page.get_by_test_id("question-text").fill("您的保单{policy_number}每期保费{premium}，您清楚吗？")
    page.get_by_test_id("question-problem-when").select_option("false")
    page.get_by_test_id("question-problem-category").select_option("not_understood")
    page.get_by_test_id("outline-add-question").first.click()
    page.get_by_test_id("question-id").fill("why_unclear")
    page.get_by_test_id("question-id").blur()
    page.get_by_test_id("question-type").select_option("text")
    page.get_by_test_id("question-text").fill("请记录客户不清楚的地方。")
    page.get_by_test_id("question-relevant-add").click()
    page.get_by_test_id("question-relevant-ref").select_option("answers:knows_agent")
    page.get_by_test_id("question-relevant-value").select_option(label="否")
    expect(page.get_by_test_id("question-relevant-raw")).to_have_value(re.compile(r'"answers\.knows_agent"'))
    shot(page, "designer-edit-tablet")
    page.get_by_test_id("version-save").click()
    expect(page.get_by_test_id("version-save")).to_be_disabled()

    # Preview on a tablet: the follow-up appears only after "no"; placeholders are filled.
    page.get_by_test_id("tab-preview").click()
    frame = page.get_by_test_id("preview-frame-tablet")
    expect(frame.get_by_test_id("qr-q-knows_agent")).to_contain_text("¥12,000.00")
    expect(frame.get_by_test_id("qr-q-why_unclear")).to_have_count(0)
    frame.get_by_test_id("qr-knows_agent-no").click()
    expect(frame.get_by_test_id("qr-q-why_unclear")).to_be_visible()
    expect(page.get_by_test_id("preview-signers")).to_contain_text("被保险人")
    page.get_by_test_id("preview-check").click()
    expect(page.get_by_test_id("preview-result")).to_contain_text("服务器发现")
    expect(frame.get_by_test_id("qr-q-why_unclear")).to_contain_text("此题必须回答")
    shot(page, "designer-preview-tablet")

    page.get_by_test_id("preview-device-phone").click()
    phone = page.get_by_test_id("preview-frame-phone")
    expect(phone.get_by_test_id("qr-q-why_unclear")).to_be_visible()
    shot(page, "designer-preview-phone-frame")

    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("version-publish").click()
    page.locator(".van-dialog__confirm").click()
    expect(page.get_by_test_id("version-status")).to_have_text("已发布")
    expect(page.get_by_test_id("version-new-draft")).to_be_visible()
    expect(page.get_by_test_id("version-save")).to_have_count(0)

    page.get_by_test_id("version-title").locator("..").get_by_role("link").click()
    expect(
        rows.filter(has_text="上门回访补充问卷").get_by_test_id("questionnaire-published")
    ).to_contain_text("已发布 V1")


def test_designer_on_a_phone(page, base, shot):
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/console/")
    sign_in(page, "designer1")
    page.get_by_test_id("nav-questionnaires").first.click()
    row = page.get_by_test_id("questionnaire-row").filter(has_text="宽限期")
    expect(row.first).to_be_visible()
    shot(page, "designer-list-phone")
    page.locator('[data-code="grace_period"]').get_by_test_id("questionnaire-view").click()
    expect(page.get_by_test_id("version-status")).to_have_text("已发布")
    shot(page, "designer-version-phone")
    page.get_by_test_id("tab-preview").click()
    page.get_by_test_id("preview-device-phone").click()
    page.get_by_test_id("preview-sample").select_option("grace_period")
    frame = page.get_by_test_id("preview-frame-phone")
    expect(frame.get_by_test_id("qr-q-grace_end_notice")).to_contain_text("2027年1月30日")
    shot(page, "designer-preview-phone")


def test_other_roles_have_no_designer(page, base):
    page.goto(f"{base}/console/")
    sign_in(page, "specialist1")
    expect(page.get_by_test_id("me-name")).to_contain_text("王专员")
    expect(page.get_by_test_id("nav-questionnaires")).to_have_count(0)
