"""Property-based requests against every operation of the OpenAPI document: never a server error.

schemathesis generates valid and invalid inputs from the schema itself (STACK.md: its first run on a
fresh flask-smorest app found a 405 without Allow and integers that accepted 2.6e-42). Every answer
must be a deliberate one: a 500 anywhere fails the test with the request that caused it.
The schema is read from an app built at import; the requests go to the test's own app and database.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from server import create_app
from server.extensions import db

schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json", create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})
)


@pytest.fixture
def caller(login_as, org):
    """Signed in once per operation, not once per example: a sign-in hashes a password, which cost
    more than the requests themselves (670 of them per run)."""
    return login_as(
        "admin", "supervisor", "reviewer", "designer", "compliance_officer", "phone_agent", "specialist"
    )


@schema.parametrize()
@settings(max_examples=5, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_with_a_server_error(case, caller, app):
    kwargs = case.as_transport_kwargs(
        base_url="http://localhost", headers={"Authorization": f"Bearer {caller.tokens['access_token']}"}
    )
    response = app.test_client().open(**kwargs)  # Werkzeug-style arguments, for the test's own app
    case.validate_response(response, checks=[not_a_server_error])
    db.session.remove()
