"""A lost tablet, revoked (issue 11): it stops syncing and wipes itself, in Debian's Chromium.

The specialist signs in on the field app, syncs and starts a visit; an administrator revokes the
tablet through the API; at the tablet's next sync the server answers ``device_revoked`` and the app
deletes every database it keeps (drafts, outbox, tasks, questionnaires, keys) and says so on the
login page. The tokens it held are refused afterwards. The console's 设备 page revokes too.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server import demo
from server.audit.models import AuditEvent
from server.auth.models import Device
from server.extensions import db
from server.tasks.models import VisitTask
from server.users.models import User
from tests.e2e.conftest import TABLET
from tests.e2e.test_login import sign_in

DEMO_PASSWORD = "huifang-demo"

# What the field app keeps in IndexedDB: its databases and how many rows the tables that matter hold.
# A function, not an evaluated string: the CSP forbids eval.
LOCAL_DATA = """async () => {
  const names = (await indexedDB.databases()).map((d) => d.name).filter((n) => n.startsWith('huifang-'))
  const counts = { drafts: 0, tasks: 0, questionnaireVersions: 0, visits: 0 }
  for (const name of names) {
    const db = await new Promise((resolve, reject) => {
      const req = indexedDB.open(name)
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    })
    for (const store of Object.keys(counts)) {
      if (!db.objectStoreNames.contains(store)) continue
      counts[store] += await new Promise((resolve) => {
        const req = db.transaction(store).objectStore(store).count()
        req.onsuccess = () => resolve(req.result)
      })
    }
    db.close()
  }
  return { names: names.sort(), counts }
}"""

SESSION = "() => JSON.parse(localStorage.getItem('huifang.session.field'))"


def _admin(app):
    client = app.test_client()
    response = client.post(
        "/api/v1/auth/login",
        json={
            "username": "admin",
            "password": DEMO_PASSWORD,
            "device_id": "0e2e0e2e-0000-4000-8000-00000000ad01",
        },
    )
    assert response.status_code == 200, response.get_json()
    return client, {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def _listed_device(app, client, headers, device_uuid: str) -> dict:
    """The device as the administrator's list shows it (found by the uuid the browser made)."""
    with app.app_context():
        device_id = db.session.scalars(select(Device.id).where(Device.device_uuid == device_uuid)).one()
        db.session.remove()
    items = client.get("/api/v1/devices?q=specialist1&client=field", headers=headers).get_json()["items"]
    return next(item for item in items if item["id"] == device_id)


@pytest.fixture
def demo_work(app, demo_data):
    """The demo book: specialist1's tasks, to sync and start a visit on; the id of one assigned."""
    with app.app_context():
        demo.load_work()
        specialist = db.session.scalars(select(User).where(User.username == "specialist1")).one()
        task_id = db.session.scalars(
            select(VisitTask.id)
            .where(VisitTask.assignee_id == specialist.id, VisitTask.status == "assigned")
            .order_by(VisitTask.id)
        ).first()
        db.session.remove()
    assert task_id is not None
    return task_id


def test_a_revoked_tablet_is_wiped_at_its_next_sync_and_its_tokens_are_refused(
    page, base, app, demo_work, shot
):
    context = page.context
    context.grant_permissions(["geolocation"], origin=base)
    context.set_geolocation({"latitude": 36.6612, "longitude": 117.0235, "accuracy": 20})
    page.set_viewport_size(TABLET)
    page.goto(f"{base}/app/")
    sign_in(page, "specialist1")

    # Synced: the demo's tasks are on the tablet. A visit is started, so a draft is on it too.
    task = page.locator(f'[data-testid="field-task"][data-task-id="{demo_work}"]')
    expect(task).to_be_visible()
    task.click()
    page.get_by_test_id("start-visit").click()
    page.get_by_test_id("visit-begin").click()
    expect(page.get_by_test_id("place-ok")).to_be_visible()
    expect(page.get_by_test_id("draft-saved")).to_have_text("已保存")
    page.goto(f"{base}/app/#/")
    expect(page.get_by_test_id("sync-bar")).to_be_visible()
    before = page.evaluate(LOCAL_DATA)
    assert len(before["names"]) == 2, before  # the specialist's sync and field databases
    assert before["counts"]["drafts"] >= 1 and before["counts"]["tasks"] >= 1, before
    assert before["counts"]["questionnaireVersions"] >= 1, before
    tokens = page.evaluate(SESSION)
    device_uuid = page.evaluate("() => localStorage.getItem('huifang.device_id')")
    assert tokens["access_token"] and tokens["refresh_token"] and device_uuid

    # The administrator revokes the tablet through the API.
    client, headers = _admin(app)
    tablet = _listed_device(app, client, headers, device_uuid)
    assert tablet["revoked_at"] is None and tablet["name"]  # named from its user agent
    revoked = client.post(
        f"/api/v1/devices/{tablet['id']}/revoke", json={"reason": "平板遗失"}, headers=headers
    )
    assert revoked.status_code == 200, revoked.get_json()

    # The tablet's next sync is refused; it wipes itself and says so on the login page.
    page.get_by_test_id("sync-bar-sync").click()
    expect(page.get_by_test_id("login-error")).to_contain_text("此设备已被管理员停用")
    expect(page.get_by_test_id("login-wiped")).to_contain_text("已全部清除")
    shot(page, "field-device-revoked-tablet")
    after = page.evaluate(LOCAL_DATA)
    assert after == {
        "names": [],
        "counts": {"drafts": 0, "tasks": 0, "questionnaireVersions": 0, "visits": 0},
    }
    assert page.evaluate(SESSION) is None  # no token and no cached user left either
    page.reload()  # nothing comes back on a reload
    expect(page.get_by_test_id("login-submit")).to_be_visible()
    assert page.evaluate(LOCAL_DATA)["names"] == []

    # The tokens the tablet held are refused: a sync with the old access token, and a refresh.
    pull = client.get(
        "/api/v1/sync/pull?cursor=0", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert pull.status_code == 401 and pull.get_json()["code"] == "device_revoked"
    push = client.post(
        "/api/v1/sync/push",
        json={"visits": []},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert push.status_code == 401 and push.get_json()["code"] == "device_revoked"
    refresh = client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"], "device_id": device_uuid}
    )
    assert refresh.status_code == 401 and refresh.get_json()["code"] == "device_revoked"

    # Signing in again on the tablet is refused too.
    sign_in(page, "specialist1")
    expect(page.get_by_test_id("login-error")).to_contain_text("此设备已被停用")
    assert page.evaluate(LOCAL_DATA)["names"] == []

    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "device_revoked")).one()
        admin = db.session.scalars(select(User).where(User.username == "admin")).one()
        assert event.actor_id == admin.id and event.data["reason"] == "平板遗失"
        assert event.target_id == str(tablet["id"])
        db.session.remove()


def test_the_console_lists_devices_and_revokes_one_with_a_reason(page, base, app, shot):
    # specialist1's tablet signs in once (through the API, as the field app does).
    client = app.test_client()
    signed = client.post(
        "/api/v1/auth/login",
        json={
            "username": "specialist1",
            "password": DEMO_PASSWORD,
            "device_id": "0e2e0e2e-0000-4000-8000-0000000000f1",
            "device_name": "Android · Chrome 131",
            "client": "field",
        },
    )
    assert signed.status_code == 200

    page.set_viewport_size(TABLET)
    page.goto(f"{base}/console/")
    sign_in(page, "supervisor1")  # 济南市: sees 历下区's specialist1
    expect(page.get_by_test_id("me-name")).to_contain_text("陈主管")
    page.get_by_test_id("nav-devices").first.click()
    row = page.locator('[data-testid="device-row"]', has_text="Android · Chrome 131")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("王专员")
    expect(row).to_contain_text("外勤面访")
    shot(page, "console-devices-tablet")

    row.get_by_test_id("device-revoke").click()
    page.get_by_test_id("device-revoke-submit").click()  # no reason yet: refused before the server
    expect(page.get_by_test_id("form-error")).to_contain_text("请填写停用原因")
    page.get_by_test_id("device-revoke-reason").fill("平板在出租车上遗失")
    page.get_by_test_id("device-revoke-submit").click()
    expect(row.get_by_test_id("device-revoked-tag")).to_be_visible()
    expect(row.get_by_test_id("device-revoked-info")).to_contain_text("平板在出租车上遗失")
    expect(row.get_by_test_id("device-revoked-info")).to_contain_text("陈主管")
    expect(row.get_by_test_id("device-revoke")).to_have_count(0)

    # 已停用 lists it; 使用中 (the default) no longer does.
    tablet = page.locator('[data-testid="device-row"]', has_text="Android · Chrome 131")
    page.get_by_test_id("device-filter-revoked").select_option("true")
    expect(tablet).to_have_count(1)
    page.get_by_test_id("device-filter-revoked").select_option("false")
    expect(tablet).to_have_count(0)

    with app.app_context():
        device = db.session.scalars(
            select(Device).where(Device.device_uuid == "0e2e0e2e-0000-4000-8000-0000000000f1")
        ).one()
        assert device.revoked_at is not None
        db.session.remove()
    refused = client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {signed.get_json()['access_token']}"}
    )
    assert refused.status_code == 401 and refused.get_json()["code"] == "device_revoked"
