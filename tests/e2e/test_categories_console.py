"""问题分类: the problem taxonomy in the office console, in Chromium (admin edits, compliance reads and
edits, a reviewer is not offered the page)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, TABLET
from tests.e2e.test_login import sign_in


def _row(page, code: str):
    return page.locator(f'[data-testid="category-row"][data-code="{code}"]')


def test_admin_adds_renames_and_deactivates_a_category(page, base, shot):
    page.set_viewport_size(TABLET)
    page.goto(f"{base}/console/")
    sign_in(page, "admin")
    page.get_by_test_id("nav-categories").click()
    expect(page.get_by_role("heading", name="问题分类")).to_be_visible()

    # The seeded taxonomy, in its order, in Chinese.
    rows = page.get_by_test_id("category-row")
    expect(rows.first).to_have_attribute("data-code", "misleading_sale")
    expect(rows).to_have_count(14)  # the seeded categories (server/questionnaires/services.py)
    expect(_row(page, "misleading_sale")).to_contain_text("销售误导")
    expect(_row(page, "misleading_sale")).to_contain_text("Misleading sale")
    expect(_row(page, "misleading_sale")).to_contain_text("须上报")
    expect(_row(page, "proxy_signature")).to_contain_text("代签名")
    shot(page, "console-categories-tablet")

    # A code the server refuses: the rule under the code field, the general message below.
    page.get_by_test_id("category-create").click()
    page.get_by_test_id("category-form-code").fill("Fake Visit")
    page.get_by_test_id("category-form-name").fill("虚假回访")
    page.get_by_test_id("category-form-name-en").fill("Fake visit")
    page.get_by_test_id("category-form-submit").click()
    expect(page.get_by_test_id("category-error-code")).to_contain_text("小写字母开头")
    expect(page.get_by_test_id("form-error")).to_contain_text("提交的数据有误")
    shot(page, "console-categories-form-error-tablet")

    # A code already taken: the server's 409 in Chinese.
    page.get_by_test_id("category-form-code").fill("proxy_signature")
    page.get_by_test_id("category-form-submit").click()
    expect(page.get_by_test_id("form-error")).to_contain_text("proxy_signature 已存在")
    expect(page.get_by_test_id("category-error-code")).to_have_count(0)

    page.get_by_test_id("category-form-code").fill("fake_visit")
    page.get_by_test_id("category-form-description").fill("回访记录系编造，客户未接受回访")
    page.get_by_test_id("category-form-reportable").check()
    page.get_by_test_id("category-form-submit").click()
    added = _row(page, "fake_visit")
    expect(added).to_contain_text("虚假回访")
    expect(added).to_contain_text("Fake visit")
    expect(added).to_contain_text("客户未接受回访")
    expect(added).to_have_attribute("data-active", "true")
    expect(rows).to_have_count(15)

    # Rename it (Chinese and English); the code stays.
    added.get_by_test_id("category-edit").click()
    expect(page.get_by_test_id("category-form-code")).to_be_disabled()
    expect(page.get_by_test_id("category-form-code")).to_have_value("fake_visit")
    page.get_by_test_id("category-form-name").fill("编造回访记录")
    page.get_by_test_id("category-form-name-en").fill("Made-up visit record")
    page.get_by_test_id("category-form-submit").click()
    expect(added.get_by_test_id("category-name")).to_have_text("编造回访记录")
    expect(added.get_by_test_id("category-name-en")).to_have_text("Made-up visit record")

    # An empty name is refused under the name field.
    added.get_by_test_id("category-edit").click()
    page.get_by_test_id("category-form-name").fill("   ")
    page.get_by_test_id("category-form-submit").click()
    expect(page.get_by_test_id("category-error-name")).to_contain_text("请填写中文名称")
    page.get_by_role("button", name="取消").click()

    # Deactivate it (confirmed); it stays in the list, marked, and can be reactivated.
    added.get_by_test_id("category-toggle-active").click()
    page.locator(".van-dialog__confirm").click()
    expect(added).to_have_attribute("data-active", "false")
    expect(added.get_by_test_id("category-inactive")).to_have_text("已停用")
    expect(added.get_by_test_id("category-toggle-active")).to_contain_text("启用")
    shot(page, "console-categories-deactivated-tablet")

    # A reload shows what the server kept, the inactive one included.
    page.reload()
    expect(_row(page, "fake_visit")).to_have_attribute("data-active", "false")
    expect(_row(page, "fake_visit")).to_contain_text("编造回访记录")

    page.set_viewport_size(PHONE)
    shot(page, "console-categories-phone")
    _row(page, "fake_visit").get_by_test_id("category-edit").click()
    # Wait for the sheet to finish sliding in: full width on a phone.
    page.wait_for_function(
        "() => { const r = document.querySelector('.form-sheet')?.getBoundingClientRect();"
        " return r && r.left === 0 && r.width === window.innerWidth }"
    )
    expect(page.get_by_test_id("category-form-submit")).to_be_in_viewport()
    shot(page, "console-categories-form-phone")


def test_compliance_opens_categories_and_reviewer_is_not_offered_them(page, base, shot):
    page.set_viewport_size(TABLET)
    page.goto(f"{base}/console/")
    sign_in(page, "compliance1")
    page.get_by_test_id("nav-categories").click()
    expect(page.get_by_test_id("category-row").first).to_contain_text("销售误导")
    expect(page.get_by_test_id("category-create")).to_be_visible()

    # In English: the names, the labels and the server's errors.
    page.get_by_test_id("lang-switch").first.click()
    expect(page.get_by_role("heading", name="Problem categories")).to_be_visible()
    page.get_by_test_id("category-create").click()
    page.get_by_test_id("category-form-code").fill("other")
    page.get_by_test_id("category-form-name").fill("其他")
    page.get_by_test_id("category-form-name-en").fill("Other")
    page.get_by_test_id("category-form-submit").click()
    expect(page.get_by_test_id("form-error")).to_contain_text("Problem category code other is taken")
    shot(page, "console-categories-en-tablet")
    page.get_by_role("button", name="Cancel").click()
    page.get_by_test_id("lang-switch").first.click()
    expect(page.get_by_role("heading", name="问题分类")).to_be_visible()

    page.get_by_test_id("logout").click()
    sign_in(page, "reviewer1")
    expect(page.get_by_test_id("me-name")).to_be_visible()
    expect(page.get_by_test_id("nav-categories")).to_have_count(0)
