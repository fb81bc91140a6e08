"""The shared vectors, on the server side; Vitest runs the same files against the PWA."""

from __future__ import annotations

import json
from pathlib import Path

import datalogic_py
import pytest

from server.questionnaires import logic, placeholders
from server.questionnaires.submission import relevant_questions

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
LOGIC = json.loads((VECTORS / "questionnaire_logic.json").read_text(encoding="utf-8"))
PH = json.loads((VECTORS / "placeholders.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", LOGIC["rules"], ids=lambda c: c["name"])
def test_rule_vector(case):
    if "expected" in case:
        assert logic.evaluate(case["rule"], case["data"]) == case["expected"]
    assert logic.holds(case["rule"], case["data"]) is case["holds"]


@pytest.mark.parametrize("case", LOGIC["divergent"], ids=lambda c: c["name"])
def test_datalogic_differs_from_javascript_where_definitions_may_not_go(case):
    assert (
        datalogic_py.Engine().eval(case["rule"], case["data"]) == case["datalogic"] != case["json_logic_js"]
    )
    # ...which is why check_rule refuses loose equality and vars naming objects.
    assert logic.check_rule(case["rule"], set()) != []


@pytest.mark.parametrize("case", LOGIC["relevance"]["cases"], ids=lambda c: c["name"])
def test_relevance_vector(case):
    assert (
        relevant_questions(LOGIC["relevance"]["definition"], case["policy"], case["answers"])
        == case["expected"]
    )


def test_signer_rules_are_the_servers():
    assert LOGIC["signer_rules"] == logic.SIGNER_RULES


@pytest.mark.parametrize("case", LOGIC["signers"], ids=lambda c: c["name"])
def test_required_signers_vector(case):
    assert logic.required_signers(case["policy"]) == case["expected"]


@pytest.mark.parametrize(("value", "expected"), PH["money"])
def test_money_vector(value, expected):
    assert placeholders.format_money(value) == expected


@pytest.mark.parametrize(("value", "expected"), PH["date"])
def test_date_vector(value, expected):
    assert placeholders.format_date(value) == expected


@pytest.mark.parametrize(("value", "expected"), PH["fee_items"])
def test_fee_items_vector(value, expected):
    assert placeholders.format_fee_items(value) == expected


@pytest.mark.parametrize("case", PH["names"], ids=lambda c: c["text"] or "empty")
def test_placeholder_names_vector(case):
    assert placeholders.names_in(case["text"]) == case["names"]


@pytest.mark.parametrize("case", PH["fill"], ids=lambda c: c["text"])
def test_fill_vector(case):
    assert placeholders.fill(case["text"], case["policy"]) == case["expected"]


def test_vectors_cover_the_formats_the_issue_names():
    assert PH["money"][0] == [123450, "¥1,234.50"]
    assert PH["date"][0] == ["2026-03-05", "2026年3月5日"]


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        ({"==": [{"var": "policy.channel"}, "bank"]}, "loose_equality"),
        ({"!=": [{"var": "policy.channel"}, "bank"]}, "loose_equality"),
        ({"!!": [{"var": "policy"}]}, "var_path"),
        ({"var": "answers"}, "var_path"),
        ({"===": [{"var": "answers.later"}, True]}, "unknown_question"),
        ({"===": [{"var": "policy.colour"}, "red"]}, "unknown_fact"),
        ({"===": [{"var": "policy.holder_id_number"}, "x"]}, "server_only_fact"),
        ({"frobnicate": [1]}, "unknown_operator"),
        ({"and": []}, "empty_operation"),
        ({"===": [1, 1], "!": [2]}, "rule_shape"),
    ],
)
def test_rules_outside_the_shared_profile_are_refused(rule, code):
    assert code in [found for found, _ in logic.check_rule(rule, {"earlier"})]


def test_rules_inside_the_profile_pass():
    rule = {
        "and": [
            {"===": [{"var": "answers.earlier"}, True]},
            {"some": [{"var": "policy.fee_items"}, {"===": [{"var": "code"}, "initial_charge"]}]},
            {">=": [{"var": "policy.amount_fen"}, 100000]},
        ]
    }
    assert logic.check_rule(rule, {"earlier"}) == []
    assert logic.check_rule({"<": [{"var": "value"}, 10]}, set(), allow_value=True) == []
