"""The first callback by phone (R11 phone first) and the explanation visit it opens (R14), in Chromium.

agent1 takes the next call, answers the phone questionnaire's script with the keyboard alone, and
marks the customer as unclear and wanting a visit: an explanation visit task is created, linked to
the call. Explanation tasks are not auto-assigned: supervisor1 assigns it to specialist1 through
the API (as the tasks console does), and specialist1's field app receives it at its next sync.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.callbacks import first_calls
from server.callbacks.models import PhoneCallback
from server.extensions import db
from server.institutions.models import Institution
from server.policies.models import Policy
from server.scoping import Scope
from server.tasks.models import VisitTask
from server.users.models import User
from tests.e2e.conftest import TABLET
from tests.e2e.test_field_visit import _policy
from tests.e2e.test_login import sign_in

POLICY = "P20261201"


@pytest.fixture
def first_call(app, demo_data):
    """A first call for a new-business policy of 历下区, callable around the clock for the test."""
    hours = app.config["HUIFANG_CALLING_HOURS"]
    app.config["HUIFANG_CALLING_HOURS"] = "00:00-23:59"
    with app.app_context():
        org = {inst.code: inst.id for inst in db.session.scalars(select(Institution))}
        policy = _policy(org, POLICY, "孙桂兰", "370102196505051234")
        root = db.session.get(Institution, org["37"])
        [call], _ = first_calls.create_first_calls(
            Scope(root.path),
            None,
            [{"policy_id": policy.id, "item": "new_business", "external_ref": "E2E-1"}],
        )
        # Nothing else in the queue before it.
        for other in db.session.scalars(select(PhoneCallback).where(PhoneCallback.id != call.id)):
            other.due_date = max(other.due_date, call.due_date)
        db.session.commit()
        call_id = call.id
        db.session.remove()
    yield call_id
    app.config["HUIFANG_CALLING_HOURS"] = hours


def _sign_out(page):
    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("login-submit")).to_be_visible()


def test_first_call_unclear_customer_becomes_an_explanation_visit(page, base, app, first_call, shot):
    page.set_viewport_size(TABLET)
    page.goto(f"{base}/console/")
    sign_in(page, "agent1")
    page.get_by_test_id("nav-callbacks").click()
    page.get_by_test_id("callback-next").click()
    bench = page.get_by_test_id("callback-workbench")
    expect(bench.get_by_test_id("callback-policy")).to_have_text(POLICY)
    questions = bench.get_by_test_id("callback-question")
    expect(questions.first).to_contain_text("孙桂兰")
    expect(questions.first).to_be_focused()

    # The whole script with the keyboard: choices by number, typed answers then Enter.
    for i in range(questions.count()):
        question = questions.nth(i)
        kind, qid = question.get_attribute("data-type"), question.get_attribute("data-question")
        if kind == "yes_no":
            page.keyboard.press("2" if qid in ("extra_promises", "bank_called_deposit") else "1")
        elif kind in ("statement", "single_choice"):
            page.keyboard.press("1")
        elif kind == "identity_check":
            expect(question.get_by_test_id("callback-question-input")).to_be_focused()
            page.keyboard.type("1234")
            page.keyboard.press("Enter")
        else:  # the optional remarks
            page.keyboard.press("Enter")
    expect(bench.get_by_test_id("callback-submit")).to_be_focused()
    expect(bench.get_by_test_id("callback-preview-outcome")).to_have_text("问卷答完")

    # The customer is still unclear and wants someone to come and explain.
    bench.get_by_test_id("callback-outcome-choice").select_option("wants_explanation")
    expect(bench.get_by_test_id("callback-preview")).to_contain_text("再次解释的面访任务")
    shot(page, "console-first-call-tablet")
    bench.get_by_test_id("callback-submit").click()
    expect(bench.get_by_test_id("callback-status")).to_have_text("已完成")
    expect(bench.get_by_test_id("callback-outcome")).to_have_text("不清楚，需上门解释")
    _sign_out(page)

    # Exactly one explanation task, linked back to the call; supervisor1 assigns it.
    with app.app_context():
        call = db.session.get(PhoneCallback, first_call)
        task = db.session.get(VisitTask, call.followup_task_id)
        assert (task.source, task.status) == ("explanation", "unassigned")
        assert f"#{call.id}" in task.notes
        assert db.session.query(VisitTask).filter(VisitTask.policy_id == call.policy_id).count() == 1
        specialist_id = db.session.scalars(select(User.id).where(User.username == "specialist1")).one()
        task_id = task.id
        db.session.remove()
    client = app.test_client()
    login = client.post(
        "/api/v1/auth/login",
        json={"username": "supervisor1", "password": "huifang-demo", "device_id": str(uuid.uuid4())},
    )
    token = login.json["access_token"]
    assigned = client.post(
        "/api/v1/tasks/assign",
        json={"task_ids": [task_id], "assignee_id": specialist_id},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert assigned.status_code == 200, assigned.json

    # specialist1's field app gets it at its next sync.
    page.goto(f"{base}/app/")
    sign_in(page, "specialist1")
    row = page.locator(f'[data-testid="field-task"][data-policy="{POLICY}"]')
    expect(row).to_have_count(1)
    expect(row).to_contain_text("孙桂兰")
    expect(row).to_have_attribute("data-task-id", str(task_id))
    shot(page, "field-first-call-explanation-tablet")


def test_unreached_call_goes_to_recontact_and_a_confirmed_phone_queues_it_again(
    page, base, app, first_call, shot
):
    """R12: after the last unanswered attempt the call waits for a re-confirmed phone; supervisor1
    enters it in the console and the call is back in agent1's queue, with the policy's phone updated."""
    with app.app_context():
        call = db.session.get(PhoneCallback, first_call)
        call.status, call.attempts = "recontact", first_calls.max_attempts()
        db.session.commit()
        db.session.remove()

    page.set_viewport_size(TABLET)
    page.goto(f"{base}/console/")
    sign_in(page, "supervisor1")
    home = page.get_by_test_id("home-pages")
    expect(home.locator('[data-page="callbacks"]')).to_contain_text("复核联系方式")
    expect(home.locator('[data-page="users"]')).to_have_count(0)  # administrators only
    page.goto(f"{base}/console/#/callbacks?status=recontact&id={first_call}")
    bench = page.get_by_test_id("callback-workbench")
    expect(bench.get_by_test_id("callback-policy")).to_have_text(POLICY)
    form = bench.get_by_test_id("callback-recontact")
    expect(form).to_contain_text("联系方式复核")
    form.get_by_test_id("callback-recontact-submit").click()
    expect(form).to_contain_text("请填写核实后的电话")  # nothing sent without a phone
    form.get_by_test_id("callback-recontact-phone").locator("input").fill("12")
    form.get_by_test_id("callback-recontact-submit").click()
    expect(form).to_be_visible()  # the server refused the number; the form stays
    form.get_by_test_id("callback-recontact-phone").locator("input").fill("13912345678")
    shot(page, "console-recontact-tablet")
    form.get_by_test_id("callback-recontact-submit").click()
    expect(bench.get_by_test_id("callback-recontact")).to_have_count(0)
    expect(bench.get_by_test_id("callback-status")).to_have_text("待回访")
    expect(bench.get_by_test_id("callback-phone")).to_contain_text("139")

    with app.app_context():
        call = db.session.get(PhoneCallback, first_call)
        assert (call.status, call.attempts) == ("pending", 0)
        policy = db.session.get(Policy, call.policy_id)
        assert policy.holder_phone == "13912345678"
        db.session.remove()
