"""JSONLogic for relevance and constraints, as the tablet evaluates it.

Rules are evaluated over ``{"answers": {...}, "policy": PolicyFacts}`` (a constraint also sees
``"value"``, the answer being checked) with datalogic-py here and json-logic-js on the tablet. The two
agree on a profile of JSONLogic, proven by ``tests/vectors/questionnaire_logic.json`` in pytest and
Vitest. Outside that profile they do not agree, so ``check_rule`` refuses it at save time:

* loose ``==`` / ``!=``: datalogic says ``null == 0`` and ``"true" == true``, JavaScript says no;
  ``0 == ""`` raises in datalogic. The profile uses ``===`` / ``!==``.
* an object as a truth value: ``{}`` is false in datalogic and true in JavaScript. ``var`` may only
  name ``answers.<question id>`` or ``policy.<fact>`` (or the current item inside some/all/none), and
  no answer or fact is an object.
* an evaluation error (datalogic raises on ``"a" < 1``; JavaScript answers false) counts as false.
"""

from __future__ import annotations

import math
import types
import typing
from typing import Any

from datalogic_py import Engine

from server.policies.facts import SERVER_ONLY_FACTS, PolicyFacts

_ENGINE = Engine()

# The profile both engines agree on (see the vectors).
OPERATORS = frozenset(
    {
        "var",
        "missing",
        "missing_some",
        "if",
        "?:",
        "===",
        "!==",
        "!",
        "!!",
        "or",
        "and",
        "<",
        "<=",
        ">",
        ">=",
        "in",
        "some",
        "all",
        "none",
        "+",
        "-",
        "*",
        "/",
        "%",
        "min",
        "max",
        "cat",
    }
)
LOOSE = {"==": "===", "!=": "!=="}
ITERATORS = frozenset({"some", "all", "none"})

# Full ID numbers never reach a tablet (server.policies.facts.SERVER_ONLY_FACTS): the server
# compares them; rules, which also run on the tablet, may not read them.


def _describe(tp) -> dict:
    origin = typing.get_origin(tp)
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if origin is typing.Literal:
        return {"type": "enum", "values": list(typing.get_args(tp))}
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return {**_describe(args[0]), "nullable": True}
    if origin is list:
        return {"type": "list"}
    if tp is bool:
        return {"type": "bool"}
    if tp is int:
        return {"type": "int"}
    return {"type": "str"}


def fact_catalog() -> dict[str, dict]:
    """Every fact a rule may read, with its type (and values for enumerations): the rule helper's list."""
    hints = typing.get_type_hints(PolicyFacts)
    catalog = {name: _describe(tp) for name, tp in hints.items() if name not in SERVER_ONLY_FACTS}
    for name, info in catalog.items():
        if name.endswith("_fen"):
            info["unit"] = "fen"
        elif name.endswith(("_date", "_end")):
            info["format"] = "date"
    return catalog


FACTS = frozenset(fact_catalog())


def truthy(value: Any) -> bool:
    """JSONLogic truth as json-logic-js has it: [] is false, "0" is true, objects are true."""
    if value is None or value is False:
        return False
    if value is True:
        return True
    if isinstance(value, int | float):
        return value != 0 and not math.isnan(value)
    if isinstance(value, str | list):
        return len(value) > 0
    return True


def evaluate(rule: Any, data: dict) -> Any:
    """The rule's value; an evaluation error is None (false), as JavaScript's NaN comparisons are."""
    try:
        return _ENGINE.eval(rule, data)
    except Exception:  # datalogic raises where JavaScript yields NaN/false
        return None


def holds(rule: Any, data: dict) -> bool:
    """Whether a relevance or constraint rule holds. No rule (None) always holds."""
    if rule is None:
        return True
    return truthy(evaluate(rule, data))


def check_rule(
    rule: Any, question_ids: set[str] | frozenset[str], *, allow_value: bool = False
) -> list[tuple[str, str]]:
    """Problems with a rule as (code, English detail) pairs; [] when it is fine.

    ``question_ids`` are the questions the rule may read (those before it, for relevance).
    """
    problems: list[tuple[str, str]] = []

    def walk(node: Any, in_iteration: bool) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item, in_iteration)
            return
        if not isinstance(node, dict):
            return
        if len(node) != 1:
            problems.append(("rule_shape", "an operation is an object with exactly one operator"))
            return
        ((op, args),) = node.items()
        if op in LOOSE:
            problems.append(
                ("loose_equality", f"use {LOOSE[op]} instead of {op} (server and tablet differ on {op})")
            )
        elif op not in OPERATORS:
            problems.append(("unknown_operator", f"{op}"))
        if op == "var":
            path = args[0] if isinstance(args, list) and args else args
            check_var(path, in_iteration)
            if isinstance(args, list) and len(args) > 1:
                walk(args[1:], in_iteration)
            return
        if op in ("and", "or") and (not isinstance(args, list) or not args):
            problems.append(("empty_operation", f"{op} needs at least one argument"))
        if op in ITERATORS and isinstance(args, list) and len(args) == 2:
            walk(args[0], in_iteration)
            walk(args[1], True)
            return
        walk(args, in_iteration)

    def check_var(path: Any, in_iteration: bool) -> None:
        if in_iteration:
            return  # the current item of some/all/none: any path into it
        if not isinstance(path, str):
            problems.append(("var_path", "var takes a text path"))
            return
        head, _, rest = path.partition(".")
        key = rest.split(".", 1)[0]
        if head in ("answers", "policy") and not key:
            problems.append(("var_path", f"{path!r} names a whole object (true in JavaScript, false here)"))
            return
        if head == "answers" and key in question_ids:
            return
        if head == "policy" and key in FACTS:
            return
        if path == "value" and allow_value:
            return
        if head == "answers":
            problems.append(("unknown_question", f"{path} names no earlier question"))
        elif head == "policy":
            if key in SERVER_ONLY_FACTS:
                problems.append(("server_only_fact", f"{path} is never sent to the tablet"))
            else:
                problems.append(("unknown_fact", f"{path} is not a policy fact"))
        else:
            problems.append(("var_path", f"{path!r} must start with answers. or policy."))

    walk(rule, False)
    return problems


# R7: the policyholder always signs; for a contract paying on death the insured signs too (when not the
# holder); the specialist confirms the visit. R7 is about new business: an explanation (R14) or re-sign
# (R15) visit is a new-business matter too, while a grace-period, lapse, surrender or claim visit does
# not verify the insured's signature (and on a death claim the insured cannot sign).
INSURED_SIGNS: dict = {
    "and": [
        {"===": [{"var": "policy.pays_on_death"}, True]},
        {"!==": [{"var": "policy.insured_is_holder"}, True]},
        {
            "or": [
                {"===": [{"var": "policy.item"}, "new_business"]},
                {"in": [{"var": "policy.source"}, ["explanation", "re_sign"]]},
            ]
        },
    ]
}
SIGNER_RULES: dict[str, Any] = {"holder": True, "insured": INSURED_SIGNS, "specialist": True}
SIGNERS = tuple(SIGNER_RULES)


def required_signers(facts: dict) -> list[str]:
    """Who must sign a visit on this policy (R7, R13): holder, insured where R7 asks, specialist."""
    data = {"answers": {}, "policy": facts}
    return [signer for signer, rule in SIGNER_RULES.items() if holds(rule, data)]
