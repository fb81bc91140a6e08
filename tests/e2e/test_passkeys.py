"""Passkeys in a real Chromium, with the DevTools virtual authenticator standing in for the phone's.

The authenticator (CTAP2, built in, resident keys, user verification that always succeeds) answers
navigator.credentials.create()/get() the way a phone's fingerprint reader would. WebAuthn accepts
http://localhost as a secure relying party (127.0.0.1 it refuses), which is where conftest.py
points the browser.
"""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.auth.models import Passkey
from server.extensions import db
from tests.e2e.conftest import PHONE, TABLET
from tests.e2e.test_login import sign_in


def virtual_authenticator(page):
    """A platform authenticator in this tab; answers the CDP session that holds it."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def stored_credentials(cdp, authenticator_id) -> list[dict]:
    return cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]


def passkey_sign_ins(app, username: str) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login")).all()
        db.session.remove()
    return [e for e in events if e.data.get("method") == "passkey"]


def test_console_password_then_register_a_passkey_sign_out_and_sign_in_with_it(page, base, app, shot):
    page.set_viewport_size(TABLET)
    page.goto(f"{base}/console/")
    cdp, authenticator = virtual_authenticator(page)
    sign_in(page, "admin")
    expect(page.get_by_test_id("me-name").first).to_contain_text("系统管理员")

    page.get_by_test_id("nav-account").click()
    expect(page.get_by_test_id("passkeys-empty")).to_be_visible()
    page.get_by_test_id("passkey-add").click()
    # the password again first: a wrong one starts nothing
    page.get_by_test_id("passkey-password").fill("not-the-password")
    page.get_by_test_id("passkey-continue").click()
    expect(page.get_by_test_id("passkey-password-error")).to_contain_text("密码不正确")
    assert stored_credentials(cdp, authenticator) == []
    page.get_by_test_id("passkey-password").fill("huifang-demo")
    page.get_by_test_id("passkey-continue").click()
    rows = page.get_by_test_id("passkey-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("从未使用")
    (credential,) = stored_credentials(cdp, authenticator)
    assert credential["isResidentCredential"] is True
    assert credential["rpId"] == "localhost"
    shot(page, "console-account-passkey-tablet")

    # Renamed in place
    page.get_by_test_id("passkey-rename").click()
    page.get_by_test_id("passkey-name-input").fill("办公室电脑")
    page.get_by_test_id("passkey-name-save").click()
    expect(page.get_by_test_id("passkey-name")).to_have_text("办公室电脑")

    page.get_by_test_id("logout").first.click()
    expect(page.get_by_test_id("login-passkey")).to_be_visible()
    expect(page.get_by_test_id("login-passkey")).to_contain_text("使用通行密钥登录")
    shot(page, "console-login-passkey-tablet")
    # No username typed: the authenticator offers the account it holds (a discoverable credential)
    page.get_by_test_id("login-passkey").click()
    expect(page.get_by_test_id("me-name").first).to_contain_text("系统管理员")
    (signed_in,) = passkey_sign_ins(app, "admin")
    with app.app_context():
        passkey = db.session.scalars(select(Passkey)).one()
        assert signed_in.data["passkey_id"] == passkey.id
        assert passkey.name == "办公室电脑"
        assert passkey.last_used_at is not None
        db.session.remove()
    (credential,) = stored_credentials(cdp, authenticator)
    assert credential["signCount"] >= 1

    # Removed, the passkey no longer signs in; the page says so in the person's language
    page.get_by_test_id("nav-account").click()
    page.get_by_test_id("passkey-remove").click()
    page.locator(".van-dialog__confirm").click()
    expect(page.get_by_test_id("passkeys-empty")).to_be_visible()
    page.get_by_test_id("logout").first.click()
    page.get_by_test_id("login-passkey").click()
    expect(page.get_by_test_id("login-error")).to_contain_text("未登记或已被删除")


def test_field_app_registers_a_passkey_on_the_me_page_and_signs_in_username_first(page, base, app):
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/app/")
    virtual_authenticator(page)
    sign_in(page, "specialist1")
    expect(page.get_by_test_id("me-name").first).to_contain_text("王专员")
    page.get_by_test_id("tab-me").click()
    page.get_by_test_id("passkey-add").click()
    page.get_by_test_id("passkey-password").fill("huifang-demo")
    page.get_by_test_id("passkey-continue").click()
    expect(page.get_by_test_id("passkey-row")).to_have_count(1)

    page.get_by_test_id("logout").click()
    page.get_by_test_id("logout-keep").click()
    expect(page.get_by_test_id("login-passkey")).to_be_visible()
    page.get_by_test_id("login-username").fill("specialist1")
    page.get_by_test_id("login-passkey").click()
    expect(page.get_by_test_id("me-name").first).to_contain_text("王专员")
    assert len(passkey_sign_ins(app, "specialist1")) == 1
