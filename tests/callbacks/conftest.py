"""Fixtures for first phone callbacks (R11): published phone questionnaires, a supervisor, an agent."""

from __future__ import annotations

import pytest

from tests.review.conftest import *  # noqa: F403 - login_as, make_policy, agent, specialist, ...


@pytest.fixture
def templates(org):
    """The built-in questionnaires (their phone versions too), published."""
    from server.questionnaires.services import load_templates

    load_templates()
    return True


@pytest.fixture
def supervisor(login_as):
    return login_as("supervisor", institution="3701")


@pytest.fixture
def all_day(app):
    """Calling hours around the clock, so the queue answers whenever the tests run."""
    app.config["HUIFANG_CALLING_HOURS"] = "00:00-23:59"
    yield
    app.config["HUIFANG_CALLING_HOURS"] = "08:00-21:00"


@pytest.fixture
def first_call(templates, supervisor, make_policy, all_day):
    def make(item="new_business", **fields):
        policy = make_policy(institution="370102", **fields)
        body = {"items": [{"policy_id": policy.id, "item": item, "external_ref": f"FC-{policy.id}"}]}
        answer = supervisor.post("/api/v1/callbacks/first-calls", json=body)
        assert answer.status_code == 200, answer.json
        return policy, answer.json["items"][0]["id"]

    return make


def answers_for(script: list[dict], policy, **overrides) -> dict:
    """A complete, problem-free answer set for a first call's script."""
    out = {}
    for q in script:
        if q["type"] == "yes_no":
            out[q["id"]] = q["id"] not in ("bank_called_deposit", "extra_promises")
        elif q["type"] == "identity_check":
            out[q["id"]] = policy.holder_id_number[-4:]
        elif q["type"] == "statement":
            out[q["id"]] = "understood"
        elif q["type"] == "text":
            if q.get("required", True):
                out[q["id"]] = "无"
        elif q["type"] == "single_choice":
            out[q["id"]] = q["choices"][0]["value"]
    out.update(overrides)
    return out
