"""The office console's visit tasks, team load, R5 risk alerts and working-day calendar, in Chromium."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.auth.passwords import DEMO_PASSWORD, hash_password
from server.extensions import db
from server.institutions.models import Institution
from server.policies.models import Policy, Salesperson
from server.risk.services import detect_for_policies
from server.tasks.services import TaskSpec, create_tasks
from server.users.models import User, UserRole
from tests.e2e.conftest import PHONE, TABLET
from tests.e2e.test_login import sign_in

SELLER_PHONE = "13900009999"


def _policy(org, number: str, county: str, holder: str, phone: str | None, id_number: str) -> Policy:
    policy = Policy(
        policy_number=number,
        product_name="鑫福年年终身寿险",
        product_type="traditional",
        channel="agency",
        holder_name=holder,
        holder_id_number=id_number,
        holder_phone=phone,
        insured_name=holder,
        premium_fen=500000,
        payment_period_years=10,
        institution_id=org[county],
    )
    db.session.add(policy)
    db.session.flush()
    return policy


@pytest.fixture
def jinan_tasks(app, demo_data):
    """Tasks in 历下区 and 市中区 (济南) and one in 黄岛区 (青岛); a 市中区 specialist whose phone is a
    salesperson's; an R5 alert on a phone two policyholders share."""
    with app.app_context():
        org = {inst.code: inst.id for inst in db.session.scalars(select(Institution))}
        db.session.add(
            Salesperson(code="S9001", name="业务员甲", phone=SELLER_PHONE, institution_id=org["3701"])
        )
        db.session.add(
            User(
                username="specialist3",
                display_name="张专员",
                phone=SELLER_PHONE,
                institution_id=org["370103"],
                password_hash=hash_password(DEMO_PASSWORD),
                role_rows=[UserRole(role="specialist")],
            )
        )
        lixia = _policy(org, "P20260001", "370102", "张三", "13800000001", "370102198001010011")
        shizhong = _policy(org, "P20260002", "370103", "李四", "13800000002", "370103198001010022")
        failed = _policy(org, "P20260003", "370102", "赵六", None, "370102198001010033")
        qingdao = _policy(org, "P20269001", "370211", "王五", "13800000009", "370211198001010099")
        shared_a = _policy(org, "P20260004", "370102", "孙七", "13700000000", "370102198001010044")
        shared_b = _policy(org, "P20260005", "370103", "周八", "13700000000", "370103198001010055")
        create_tasks(
            [
                TaskSpec(lixia.id, "new_business", "no_phone", org["370102"], due_date=date(2026, 12, 18)),
                TaskSpec(
                    shizhong.id, "grace_period", "phone_refused", org["370103"], due_date=date(2026, 12, 21)
                ),
                TaskSpec(
                    failed.id, "new_business", "phone_failed", org["370102"], due_date=date(2026, 11, 2)
                ),
                TaskSpec(qingdao.id, "new_business", "no_phone", org["370211"], due_date=date(2026, 12, 1)),
            ],
            actor_id=None,
            batch_id=None,
        )
        detect_for_policies([shared_a.id, shared_b.id])
        db.session.commit()
        db.session.remove()


def test_supervisor_sees_jinan_tasks_assigns_one_and_is_told_why_another_is_refused(
    page, base, jinan_tasks, shot
):
    page.set_viewport_size(TABLET)
    page.goto(f"{base}/console/")
    sign_in(page, "supervisor1")
    page.get_by_test_id("nav-tasks").click()

    rows = page.get_by_test_id("task-row")
    expect(rows).to_have_count(3)  # 济南 only: the 青岛 task is not in the supervisor's subtree
    expect(page.locator('[data-testid="task-row"][data-policy="P20269001"]')).to_have_count(0)
    lixia = page.locator('[data-testid="task-row"][data-policy="P20260001"]')
    expect(lixia).to_contain_text("新契约")
    expect(lixia).to_contain_text("无电话")
    expect(lixia).to_contain_text("138****0001")  # a supervisor sees the phone masked
    overdue = page.locator('[data-testid="task-row"][data-policy="P20260003"]')
    expect(overdue.get_by_test_id("task-overdue")).to_have_text("逾期")
    expect(overdue.get_by_test_id("task-status")).to_have_text("待复核联系方式")
    shot(page, "console-tasks-tablet")

    # Assign the 历下区 task to 王专员, who is shown with his counts.
    lixia.get_by_test_id("task-select").check()
    page.get_by_test_id("task-assign-selected").click()
    wang = page.locator('[data-testid="assign-specialist"][data-username="specialist1"]')
    expect(wang).to_contain_text("王专员")
    expect(wang).to_contain_text("在办 0")
    wang.click()
    shot(page, "console-tasks-assign-tablet")
    page.get_by_test_id("assign-submit").click()
    expect(lixia.get_by_test_id("task-assignee")).to_have_text("王专员")
    expect(lixia.get_by_test_id("task-status")).to_have_text("已分配")

    # 张专员's phone is a salesperson's: the server refuses, and says so for that task.
    shizhong = page.locator('[data-testid="task-row"][data-policy="P20260002"]')
    shizhong.get_by_test_id("task-select").check()
    page.get_by_test_id("task-assign-selected").click()
    page.locator('[data-testid="assign-specialist"][data-username="specialist3"]').click()
    page.get_by_test_id("assign-submit").click()
    refusal = page.get_by_test_id("assign-refusal")
    expect(refusal).to_contain_text("P20260002")
    expect(refusal).to_contain_text("该专员登记为销售人员")
    expect(page.get_by_test_id("form-error")).to_contain_text("未做任何分配")
    shot(page, "console-tasks-refused-tablet")
    page.get_by_role("button", name="取消", exact=True).filter(visible=True).click()
    expect(shizhong.get_by_test_id("task-status")).to_have_text("待分配")

    # The detail of the assigned task shows the due rule and the history.
    lixia.get_by_test_id("task-open").click()
    detail = page.get_by_test_id("task-detail")
    expect(detail.get_by_test_id("task-detail-assignee")).to_have_text("王专员")
    expect(detail.get_by_test_id("task-detail-due-rule")).to_contain_text("由来源系统指定")
    events = detail.get_by_test_id("task-event")
    expect(events).to_have_count(2)
    expect(events.nth(1)).to_contain_text("分配")
    expect(events.nth(1)).to_contain_text("待分配 → 已分配")
    expect(events.nth(1)).to_contain_text("陈主管")
    expect(events.nth(1)).to_contain_text("专员：王专员")
    shot(page, "console-task-detail-tablet")
    detail.get_by_test_id("task-detail-close").click()

    # R12: the failed phone callback gets a new phone and goes back to the phone callback.
    overdue.get_by_test_id("task-open").click()
    detail.get_by_test_id("task-recontact").click()
    page.get_by_test_id("recontact-phone").fill("138 0000 0033")
    page.get_by_test_id("recontact-submit").click()
    expect(detail.get_by_test_id("task-detail-status")).to_have_text("转电话回访")
    expect(detail.get_by_test_id("task-event").last).to_contain_text("已核实新电话")
    detail.get_by_test_id("task-detail-close").click()
    expect(overdue.get_by_test_id("task-status")).to_have_text("转电话回访")

    # The team load shows 王专员 with the one open task.
    page.get_by_test_id("nav-team-load").click()
    wang_load = page.locator('[data-testid="team-load-row"][data-username="specialist1"]')
    expect(wang_load.get_by_test_id("team-load-open")).to_have_text("1")
    shot(page, "console-team-load-tablet")

    page.set_viewport_size(PHONE)
    shot(page, "console-team-load-phone")
    page.get_by_test_id("nav-tasks").click()
    expect(page.get_by_test_id("task-row")).to_have_count(3)
    shot(page, "console-tasks-phone")
    page.get_by_test_id("task-filters-toggle").click()
    page.get_by_test_id("task-filter-status-assigned").click()
    expect(page.get_by_test_id("task-row")).to_have_count(1)
    shot(page, "console-tasks-filters-phone")
    page.get_by_test_id("task-open").first.click()
    expect(page.get_by_test_id("task-detail-assignee")).to_have_text("王专员")
    shot(page, "console-task-detail-phone")


def test_compliance_officer_resolves_a_shared_phone_alert_with_a_finding(page, base, jinan_tasks, shot):
    page.set_viewport_size(TABLET)
    page.goto(f"{base}/console/")
    sign_in(page, "compliance1")
    expect(page.get_by_test_id("nav-team-load")).to_have_count(0)
    page.get_by_test_id("nav-risk-alerts").click()
    row = page.get_by_test_id("risk-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("多个投保人共用电话")
    expect(row).to_contain_text("137****0000")
    expect(row.get_by_test_id("risk-status")).to_have_text("待处理")
    shot(page, "console-risk-tablet")

    row.get_by_test_id("risk-open").click()
    detail = page.get_by_test_id("risk-detail")
    expect(detail.get_by_test_id("risk-policy")).to_have_count(2)
    expect(detail.get_by_test_id("risk-policies")).to_contain_text("孙七")
    expect(detail.get_by_test_id("risk-policies")).to_contain_text("周八")
    detail.get_by_test_id("risk-to-investigating").click()
    expect(detail.get_by_test_id("risk-detail-status")).to_have_text("调查中")

    detail.get_by_test_id("risk-to-resolved").click()  # no finding yet
    expect(detail.get_by_test_id("risk-resolution-missing")).to_be_visible()
    detail.get_by_test_id("risk-resolution").fill("已电话联系两位投保人，系同一家庭共用座机，客户资料已更正")
    shot(page, "console-risk-detail-tablet")
    detail.get_by_test_id("risk-to-resolved").click()
    expect(detail.get_by_test_id("risk-detail-status")).to_have_text("已核实处理")
    expect(detail.get_by_test_id("risk-detail-resolution")).to_contain_text("同一家庭共用座机")
    detail.get_by_test_id("risk-detail-close").click()
    expect(row.get_by_test_id("risk-status")).to_have_text("已核实处理")

    page.set_viewport_size(PHONE)
    shot(page, "console-risk-phone")
    row.get_by_test_id("risk-open").click()
    expect(detail.get_by_test_id("risk-detail-status")).to_have_text("已核实处理")
    shot(page, "console-risk-detail-phone")


def test_admin_sees_2027_is_unknown_and_enters_its_schedule(page, base, shot):
    page.set_viewport_size(TABLET)
    page.goto(f"{base}/console/")
    sign_in(page, "admin")
    page.get_by_test_id("nav-calendar").click()
    page.get_by_test_id("calendar-year").select_option("2026")
    expect(page.get_by_test_id("calendar-source")).to_contain_text("内置")
    expect(page.get_by_test_id("calendar-holiday").filter(has_text="春节")).to_have_count(1)
    expect(page.locator('[data-testid="calendar-day"][data-date="2026-02-14"]')).to_have_attribute(
        "data-kind", "workday"
    )
    shot(page, "console-calendar-2026-tablet")

    page.get_by_test_id("calendar-year").select_option("2027")
    banner = page.get_by_test_id("calendar-unknown")
    expect(banner).to_contain_text("2027 年的法定节假日安排尚未录入")
    expect(page.get_by_test_id("calendar-entry")).to_be_visible()
    shot(page, "console-calendar-2027-unknown-tablet")

    page.get_by_test_id("calendar-entry-source").fill("国务院办公厅关于2027年部分节假日安排的通知")
    first = page.get_by_test_id("calendar-entry-row").nth(0)
    first.get_by_test_id("calendar-entry-from").fill("2027-02-06")
    first.get_by_test_id("calendar-entry-to").fill("2027-02-13")
    first.get_by_test_id("calendar-entry-name").fill("春节")
    page.get_by_test_id("calendar-entry-add-workday").click()
    second = page.get_by_test_id("calendar-entry-row").nth(1)
    second.get_by_test_id("calendar-entry-from").fill("2027-02-14")
    second.get_by_test_id("calendar-entry-name").fill("春节调休上班")
    page.set_viewport_size(PHONE)
    shot(page, "console-calendar-2027-entry-phone")
    page.set_viewport_size(TABLET)
    page.get_by_test_id("calendar-entry-submit").click()
    page.locator(".van-dialog__confirm").click()

    expect(page.get_by_test_id("calendar-unknown")).to_have_count(0)
    expect(page.get_by_test_id("calendar-source")).to_contain_text("管理员录入")
    expect(page.locator('[data-testid="calendar-day"][data-date="2027-02-08"]')).to_have_attribute(
        "data-kind", "holiday"
    )
    expect(page.locator('[data-testid="calendar-day"][data-date="2027-02-14"]')).to_have_attribute(
        "data-kind", "workday"
    )
    expect(page.get_by_test_id("calendar-holiday")).to_contain_text("春节")
    shot(page, "console-calendar-2027-entered-tablet")
    page.set_viewport_size(PHONE)
    shot(page, "console-calendar-2027-entered-phone")


def test_calendar_banner_tells_others_to_ask_an_administrator(page, base, shot):
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/console/")
    sign_in(page, "supervisor1")
    page.get_by_test_id("nav-calendar").click()
    page.get_by_test_id("calendar-year").select_option("2027")
    expect(page.get_by_test_id("calendar-unknown")).to_contain_text("请联系系统管理员录入")
    expect(page.get_by_test_id("calendar-entry")).to_have_count(0)
    shot(page, "console-calendar-2027-unknown-phone")


def test_auto_assignment_reports_what_it_assigned_and_skipped(page, base, jinan_tasks, shot):
    page.set_viewport_size(TABLET)
    page.goto(f"{base}/console/")
    sign_in(page, "admin")
    page.get_by_test_id("nav-tasks").click()
    expect(page.get_by_test_id("task-row")).to_have_count(4)  # the province sees 青岛 too
    page.get_by_test_id("task-auto-assign").click()
    page.locator(".van-dialog__confirm").click()
    # 历下区 → 王专员; 市中区's only specialist is a salesperson; 黄岛区 has no specialist.
    result = page.get_by_test_id("auto-assign-result")
    expect(result).to_contain_text("已分配 1 项")
    expect(result).to_contain_text("未能分配 2 项")
    expect(result).to_contain_text("本机构无符合条件的专员")
    lixia = page.locator('[data-testid="task-row"][data-policy="P20260001"]')
    expect(lixia.get_by_test_id("task-assignee")).to_have_text("王专员")
    shot(page, "console-tasks-auto-assign-tablet")
