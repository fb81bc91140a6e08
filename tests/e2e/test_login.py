"""Sign in to the console and the field app in a real Chromium, as a person would."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from server.calendar.services import package_years
from tests.e2e.conftest import PHONE, TABLET


def sign_in(page, username: str, password: str = "huifang-demo"):
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()


def test_console_login_shows_the_user_in_chinese_then_english(page, base, shot):
    page.set_viewport_size(TABLET)
    page.goto(f"{base}/console/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_test_id("login-submit")).to_contain_text("登录")
    sign_in(page, "admin")
    expect(page.get_by_test_id("me-name")).to_contain_text("系统管理员")
    expect(page.get_by_test_id("me-institution")).to_contain_text("山东省")
    expect(page.get_by_test_id("me-roles")).to_contain_text("系统管理员")
    # the home page lists what this user can open, each with what it is for
    home = page.get_by_test_id("home-pages")
    expect(home.locator('[data-page="users"]')).to_contain_text("重置密码")
    expect(home.locator('[data-page="intake"]')).to_contain_text("需求导入")
    # From October, a warning when next year's holidays are unknown (no due dates in that year).
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    warning = page.get_by_test_id("home-calendar-warning")
    if now.month >= 10 and now.year + 1 not in package_years():
        expect(warning).to_contain_text(f"{now.year + 1} 年的法定节假日安排尚未录入")
        expect(warning.get_by_role("link")).to_have_text(f"去工作日历录入 {now.year + 1} 年安排")
    else:
        expect(warning).to_have_count(0)
    shot(page, "console-home-tablet-zh")

    page.get_by_test_id("lang-switch").first.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("me-roles")).to_contain_text("Administrator")
    page.reload()  # the choice and the session survive a reload
    expect(page.get_by_test_id("me-roles")).to_contain_text("Administrator")
    shot(page, "console-home-tablet-en")

    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("login-submit")).to_be_visible()


def test_wrong_password_shows_the_servers_message(page, base):
    page.goto(f"{base}/console/")
    sign_in(page, "admin", "not-the-password")
    expect(page.get_by_test_id("login-error")).to_contain_text("用户名或密码错误")


def test_field_app_login_on_a_phone_shows_the_specialists_county(page, base, shot):
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/app/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    shot(page, "field-login-phone")
    sign_in(page, "specialist1")
    expect(page.get_by_test_id("me-name")).to_contain_text("王专员")
    expect(page.get_by_test_id("me-institution")).to_contain_text("历下区")
    expect(page.get_by_test_id("me-roles")).to_contain_text("客户服务专员")
    shot(page, "field-home-phone")
    # A specialist is not an administrator: the console shows no administration to them.
    page.goto(f"{base}/console/")
    sign_in(page, "specialist1")
    expect(page.get_by_test_id("me-name")).to_contain_text("王专员")
    expect(page.get_by_test_id("nav-users")).to_have_count(0)


def test_field_app_keeps_the_session_across_a_reload(page, base):
    page.goto(f"{base}/app/")
    sign_in(page, "specialist2")
    expect(page.get_by_test_id("me-institution")).to_contain_text("市南区")
    page.reload()
    expect(page.get_by_test_id("me-name")).to_contain_text("刘专员")


def test_admin_adds_a_user_who_can_then_sign_in(page, base, browser, shot):
    page.set_viewport_size(TABLET)
    page.goto(f"{base}/console/")
    sign_in(page, "admin")
    page.get_by_test_id("nav-users").first.click()
    expect(page.get_by_test_id("user-row").filter(has_text="specialist1")).to_have_count(1)
    page.get_by_test_id("user-create").click()
    page.get_by_test_id("user-form-username").fill("zhao.liu")
    page.get_by_test_id("user-form-display-name").fill("赵六")
    picker = page.get_by_test_id("user-form-institution")
    shizhong = picker.locator("option", has_text="市中区").get_attribute("value")
    picker.select_option(value=shizhong)
    page.get_by_test_id("user-form-role-specialist").check()
    page.get_by_test_id("user-form-password").fill("a-long-initial-password")
    shot(page, "console-user-create-tablet")
    page.get_by_test_id("user-form-submit").click()
    expect(page.get_by_test_id("user-row").filter(has_text="zhao.liu")).to_have_count(1)

    fresh = browser.new_page()
    fresh.goto(f"{base}/app/")
    sign_in(fresh, "zhao.liu", "a-long-initial-password")
    expect(fresh.get_by_test_id("me-name")).to_contain_text("赵六")
    expect(fresh.get_by_test_id("me-institution")).to_contain_text("市中区")
    fresh.close()


def test_institution_tree_shows_the_province_cities_and_counties(page, base):
    page.goto(f"{base}/console/")
    sign_in(page, "admin")
    page.get_by_test_id("nav-institutions").first.click()
    rows = page.get_by_test_id("institution-row")
    expect(rows).to_have_count(7)
    for name in ("山东省", "济南市", "历下区", "青岛市", "黄岛区"):
        expect(rows.filter(has_text=name)).to_have_count(1)


def test_nothing_is_loaded_from_outside_this_server(page, base, live_server):
    hosts = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).hostname))
    page.goto(f"{base}/console/")
    sign_in(page, "admin")
    expect(page.get_by_test_id("me-name")).to_be_visible()
    page.goto(f"{base}/app/")
    expect(page.get_by_test_id("me-name").or_(page.get_by_test_id("login-submit")).first).to_be_visible()
    page.goto(f"{base}/api/v1/docs")
    expect(page.locator(".swagger-ui .info")).to_be_visible()
    hosts.discard(None)
    assert hosts == {"localhost"}, hosts


def test_field_app_is_controlled_by_its_service_worker(page, base):
    page.goto(f"{base}/app/")
    scope = page.evaluate("async () => { const r = await navigator.serviceWorker.ready; return r.scope; }")
    assert re.fullmatch(rf"{re.escape(base)}/app/", scope)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
