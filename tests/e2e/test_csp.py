"""The Content-Security-Policy breaks nothing: every page signs in and renders with no violation.

Chromium reports a blocked script, style, image, font, worker or connection both as a console error
("Refused to ...") and as a ``securitypolicyviolation`` event; both are collected from the first
script of the page on, and the test fails naming what was refused (server/security/headers.py).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, TABLET
from tests.e2e.test_login import sign_in

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${where})`);
});
"""


@pytest.fixture
def violations(page):
    """CSP refusals seen by the page: console errors and violation events."""
    seen: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)

    def on_console(message):
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            seen.append(text)

    page.on("console", on_console)

    def collect() -> list[str]:
        try:
            seen.extend(page.evaluate("window.__cspViolations || []"))
        except Exception as exc:  # a page being torn down has nothing more to tell
            seen.append(f"(could not read violations: {exc})")
        return sorted(set(seen))

    return collect


def test_field_app_signs_in_under_the_policy(page, base, violations):
    page.set_viewport_size(PHONE)
    response = page.goto(f"{base}/app/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    sign_in(page, "specialist1")
    expect(page.get_by_test_id("me-name")).to_contain_text("王专员")
    page.wait_for_load_state("networkidle")
    assert violations() == []


def test_console_signs_in_under_the_policy(page, base, violations):
    page.set_viewport_size(TABLET)
    response = page.goto(f"{base}/console/")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    sign_in(page, "admin")
    expect(page.get_by_test_id("me-name")).to_contain_text("系统管理员")
    page.wait_for_load_state("networkidle")
    assert violations() == []


def test_swagger_ui_renders_under_the_docs_policy(page, base, violations):
    page.goto(f"{base}/api/v1/docs")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=15_000)
    assert violations() == []


def test_redoc_renders_under_the_docs_policy(page, base, violations):
    page.goto(f"{base}/api/v1/redoc")
    expect(page.locator("redoc .api-content").first).to_be_visible(timeout=15_000)
    page.wait_for_load_state("networkidle")
    # ReDoc's "powered by" logo comes from its CDN: blocked on purpose (nothing leaves the network).
    assert [v for v in violations() if "cdn.redoc.ly" not in v] == []
