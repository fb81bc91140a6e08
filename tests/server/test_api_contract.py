"""The OpenAPI document, the docs pages, and the access rule of every endpoint."""

from __future__ import annotations

import re

import pytest

from server.auth.access import rule_of

# Endpoints anyone may call. Everything else must answer 401 to an anonymous caller.
PUBLIC_ENDPOINTS = {
    "auth.login",
    "auth.refresh",
    "auth.logout",
    # Passkey sign-in: the signed WebAuthn assertion is the credential (server/auth/passkeys.py).
    "passkeys.login_options",
    "passkeys.login",
    "health.health",
    "web.landing",
    "web.field_app",
    "web.console",
    "web.assets",
    "web.doc_assets",
    "api-docs.openapi_json",
    "api-docs.openapi_swagger_ui",
    "api-docs.openapi_redoc",
    # The call centre's outcome API: no user token, an HMAC signature instead (server/outbox/inbound.py).
    "callbacks.external_outcome",
}


def test_openapi_document_describes_the_api(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.1")
    assert {"/api/v1/auth/login", "/api/v1/me", "/api/v1/users", "/api/v1/institutions"} <= set(spec["paths"])
    assert spec["security"] == [{"bearerAuth": []}]
    assert spec["paths"]["/api/v1/auth/login"]["post"]["security"] == []
    error = spec["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"code", "message", "message_en", "details"}


@pytest.mark.parametrize("page", ["/api/v1/docs", "/api/v1/redoc"])
def test_docs_pages_load_nothing_from_the_internet(client, page):
    html = client.get(page).get_data(as_text=True)
    external = [url for url in re.findall(r"""(?:src|href)=["']([^"']+)""", html) if "://" in url]
    assert external == []
    for asset in re.findall(r"""(?:src|href)=["'](/api/v1/docs-assets/[^"']+)""", html):
        assert client.get(asset).status_code == 200, asset


def test_signed_endpoints_refuse_unsigned_callers(client):
    response = client.post("/api/v1/callbacks/outcomes", json={"id": "x", "callback_id": 1, "result": "busy"})
    assert response.status_code == 401 and response.json["code"] == "signature_missing"


def test_every_endpoint_has_a_deliberate_access_rule(app):
    rules = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        rules[rule.endpoint] = rule_of(
            view, rule.endpoint.rsplit(".", 1)[0] if "." in rule.endpoint else None
        )
    public = {endpoint for endpoint, rule in rules.items() if rule == "public"}
    assert public == PUBLIC_ENDPOINTS, "a new public endpoint must be added here on purpose"


def test_anonymous_callers_get_401_from_every_protected_endpoint(app, client):
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        url = re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method, json={})
            assert response.status_code == 401, (method, url, response.status_code)
            assert response.json["code"] == "token_missing"
            checked += 1
    assert checked >= 8


def test_request_id_is_echoed_or_made(client):
    assert (
        client.get("/api/v1/health", headers={"X-Request-ID": "abc-123-def"}).headers["X-Request-ID"]
        == "abc-123-def"
    )
    made = client.get("/api/v1/health", headers={"X-Request-ID": "bad id; with spaces"}).headers[
        "X-Request-ID"
    ]
    assert re.fullmatch(r"[0-9a-f]{32}", made)


def test_access_log_line_is_json_with_request_and_user(login_as, capfd):
    import json
    import logging

    from pythonjsonlogger.json import JsonFormatter

    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    keep = Keep()
    logging.getLogger("huifang.access").addHandler(keep)
    try:
        caller = login_as("specialist")
        caller.get(
            "/api/v1/me",
            headers={
                "Authorization": f"Bearer {caller.tokens['access_token']}",
                "X-Request-ID": "req-00000001",
            },
        )
    finally:
        logging.getLogger("huifang.access").removeHandler(keep)
    record = next(r for r in records if r.path == "/api/v1/me")
    assert record.status == 200 and record.request_id == "req-00000001" and record.user_id == caller.user.id
    line = json.loads(JsonFormatter("%(levelname)s %(message)s").format(record))
    assert line["request_id"] == "req-00000001" and line["path"] == "/api/v1/me"
