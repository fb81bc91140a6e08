"""The confirming callback refuses the outcomes of a first call (they would open the wrong follow-up)."""

from __future__ import annotations

from tests.review.test_callbacks import approved  # noqa: F401 - the fixture
from tests.server.conftest import assert_error


def test_a_confirmation_refuses_a_first_call_outcome(approved, agent):  # noqa: F811
    _, callback_id = approved
    answer = agent.post(
        f"/api/v1/callbacks/{callback_id}/attempts",
        json={"result": "reached", "outcome": "wants_explanation"},
    )
    assert_error(answer, 422, "outcome_invalid")
