"""The authorization matrix, read from the app's URL map (tests/security/matrix.py holds the decisions).

1. Every endpoint has a row, and every row an endpoint: a new endpoint cannot ship without a decision.
2. The roles each view declares (``@public``, ``@roles_required``) are the row's.
3. Every endpoint called as nobody and as each role: without a token 401 before anything else, a role
   that may not call it 403 before any lookup or validation, a role that may never 401/403
   ``forbidden`` (and, for one record by id, 404 for an id that does not exist).

Scoping with real records is in test_scope_matrix.py.
"""

from __future__ import annotations

import pytest

from server import create_app
from server.auth.access import rule_of
from server.users.roles import ROLES
from tests.security.helpers import load_org, new_user, sign_in, truncate_all
from tests.security.matrix import ANYONE, MATRIX, ONE, PUBLIC

IGNORED_METHODS = {"HEAD", "OPTIONS"}
MISSING_ID = 2**31 - 1  # the largest id the URL converter accepts: never a row in these tests

# A value for each URL argument: ids that do not exist, well-formed strings that name nothing.
STRING_ARGS = {
    "uuid": "00000000-0000-4000-8000-000000000000",
    "sha256": "0" * 64,
    "signer": "holder",
    "policy_number": "PNOSUCHPOLICY",
    "code": "HF0000000",
    "day": "2099-01-02",
    "bundle": "swagger_ui",
    "path": "no-such-file.js",
}


def _blueprint(endpoint: str) -> str | None:
    return endpoint.rsplit(".", 1)[0] if "." in endpoint else None


def endpoint_rules(app) -> dict[str, list]:
    found: dict[str, list] = {}
    for rule in app.url_map.iter_rules():
        found.setdefault(rule.endpoint, []).append(rule)
    return found


def url_for_rule(rule) -> str:
    values = {}
    for name, converter in rule._converters.items():
        if converter.__class__.__name__.endswith("IntConverter") or "Integer" in type(converter).__name__:
            values[name] = MISSING_ID
        else:
            values[name] = STRING_ARGS[name]
    return rule.build(values, append_unknown=False)[1]


# The URL map as create_app makes it, read once at collection to parametrise the HTTP checks.
_MAP_APP = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True, "RATELIMIT_ENABLED": False})
CALLS = sorted(
    {
        (rule.endpoint, method): rule
        for rules in endpoint_rules(_MAP_APP).values()
        for rule in sorted(rules, key=lambda r: -len(r.arguments))
        for method in sorted(rule.methods - IGNORED_METHODS)
    }.items()
)


def test_every_endpoint_has_a_decision(app):
    endpoints = set(endpoint_rules(app))
    missing = sorted(endpoints - set(MATRIX))
    assert not missing, (
        "endpoints without a decision in tests/security/matrix.py (who may call it, how it is scoped): "
        + ", ".join(missing)
    )
    stale = sorted(set(MATRIX) - endpoints)
    assert not stale, "tests/security/matrix.py names endpoints that no longer exist: " + ", ".join(stale)


def test_views_declare_the_roles_of_the_matrix(app):
    wrong = []
    for endpoint, decision in sorted(MATRIX.items()):
        view = app.view_functions.get(endpoint)
        if view is None:
            continue  # reported by test_every_endpoint_has_a_decision
        declared = rule_of(view, _blueprint(endpoint))
        expected = decision.roles
        if declared != expected:
            shown = declared if isinstance(declared, str) else sorted(declared)
            wanted = expected if isinstance(expected, str) else sorted(expected)
            wrong.append(f"{endpoint}: the view declares {shown}, the matrix says {wanted}")
    assert not wrong, "\n".join(wrong)


def test_every_role_of_the_matrix_exists():
    for endpoint, decision in MATRIX.items():
        if not isinstance(decision.roles, str):
            assert decision.roles <= set(ROLES), endpoint


# --- Calling every endpoint as nobody and as each role -------------------------------------------


@pytest.fixture(autouse=True)
def _empty_tables():
    """Overrides the suite's per-test emptying: the callers below live for the whole module."""
    yield


@pytest.fixture(scope="module")
def callers(app):
    """One signed-in user per role, at the province (so that scope never hides a missing id)."""
    truncate_all(app)
    with app.app_context():
        org = load_org()
        signed_in = {role: sign_in(app, new_user(org, f"gate.{role}", [role], "37")) for role in ROLES}
    yield signed_in
    truncate_all(app)


def _call(client, method: str, url: str, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    kwargs = {} if method in ("GET", "DELETE") else {"json": {}}
    response = client.open(url, method=method, headers=headers, **kwargs)
    response.get_data()  # read a streamed answer (exports) to its end, then let it go
    response.close()
    return response


def _code(response) -> str | None:
    body = response.get_json(silent=True)
    return body.get("code") if isinstance(body, dict) else None


@pytest.mark.parametrize(
    ("endpoint", "method", "rule"),
    [(e, m, r) for (e, m), r in CALLS],
    ids=[f"{e}-{m}" for (e, m), _ in CALLS],
)
def test_each_role_is_let_in_or_refused_before_anything_else(endpoint, method, rule, app, callers):
    if endpoint not in MATRIX:
        pytest.fail(f"{endpoint} has no decision in tests/security/matrix.py")
    decision = MATRIX[endpoint]
    url = url_for_rule(rule)
    client = app.test_client()
    problems = []

    anonymous = _call(client, method, url, None)
    if anonymous.status_code >= 500:
        problems.append(f"without a token: {anonymous.status_code}")
    if decision.roles == PUBLIC:
        if _code(anonymous) in ("token_missing", "forbidden"):
            problems.append(f"public, but without a token it answered {_code(anonymous)}")
    else:
        if (anonymous.status_code, _code(anonymous)) != (401, "token_missing"):
            problems.append(f"without a token: {anonymous.status_code} {_code(anonymous)}, not 401")
        for role, caller in callers.items():
            response = _call(caller.client, method, url, caller.tokens["access_token"])
            status, code = response.status_code, _code(response)
            allowed = decision.roles == ANYONE or role in decision.roles
            if status >= 500:
                problems.append(f"{role}: {status} {code}")
            elif not allowed and (status, code) != (403, "forbidden"):
                problems.append(f"{role} may not call it, yet got {status} {code} (403 forbidden first)")
            elif allowed and (status == 401 or code == "forbidden"):
                problems.append(f"{role} may call it, yet got {status} {code}")
            elif allowed and decision.scope == ONE and method == "GET" and status != 404:
                problems.append(f"{role}: a missing record answered {status} {code}, not 404")
    assert not problems, f"{method} {url} ({endpoint}):\n  " + "\n  ".join(problems)
