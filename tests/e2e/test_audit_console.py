"""The console's 审计日志 page (issue #11): an administrator finds who saw full personal data."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import TABLET
from tests.e2e.test_csp import violations  # noqa: F401 - the fixture
from tests.e2e.test_login import sign_in


def test_admin_finds_the_personal_data_read_of_a_policy_list(page, base, violations):  # noqa: F811
    page.set_viewport_size(TABLET)
    page.goto(f"{base}/console/")
    sign_in(page, "admin")
    expect(page.get_by_test_id("me-name")).to_contain_text("系统管理员")
    token = page.evaluate(
        "() => Object.values(sessionStorage).concat(Object.values(localStorage))"
        ".map((v) => { try { return JSON.parse(v).access_token } catch { return null } }).find(Boolean)"
    )
    auth = {"Authorization": f"Bearer {token}"}
    policy = {
        "product_name": "鑫福年年终身寿险",
        "product_type": "traditional",
        "channel": "bank",
        "holder_name": "张三",
        "holder_id_number": "11010519491231002X",
        "holder_phone": "13800138000",
        "insured_name": "张三",
        "premium_fen": 500000,
        "institution_code": "3701",
    }
    assert page.request.put(f"{base}/api/v1/policies/PAUDIT01", headers=auth, data=policy).ok
    # The admin reads the policies with full ID numbers: one personal_data_read in the log.
    read = page.request.get(f"{base}/api/v1/policies", headers=auth)
    assert read.ok and read.json()["items"][0]["holder_id_number"] == "11010519491231002X"

    page.get_by_test_id("nav-audit").first.click()
    page.get_by_test_id("audit-filter-action").select_option("personal_data_read")
    page.get_by_test_id("audit-search").click()
    row = page.get_by_test_id("audit-row").first
    expect(row).to_have_attribute("data-action", "personal_data_read")
    expect(row).to_contain_text("查看完整个人信息")
    expect(row).to_contain_text("GET /api/v1/policies")
    row.get_by_role("button").first.click()
    expect(row.get_by_test_id("audit-details")).to_contain_text('"endpoint": "policies.list_policies"')
    page.wait_for_load_state("networkidle")
    assert violations() == []
