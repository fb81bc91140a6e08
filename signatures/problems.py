"""The one shape every refusal and every failed check takes: plain dicts a server can return as JSON.

A problem names the ``part`` that failed (``strokes``, ``manifest``, ``seal``, ``media``, ``keys``,
``inclusion_proof``, ``tree_head``, ``tree_head_chain``, ``consistency``, ``log``, ``bundle``), a stable
``code``, a Chinese and an English message, and where it happened (stroke and point index, file name,
leaf index, tree head index...). Nothing here raises: callers decide what a problem means to them.
"""

from __future__ import annotations

from typing import Any, TypedDict


class Problem(TypedDict, total=False):
    part: str
    code: str
    message_zh: str
    message_en: str


class Verdict(TypedDict):
    ok: bool
    problems: list[Problem]


def problem(part: str, code: str, zh: str, en: str, **where: Any) -> Problem:
    out: dict[str, Any] = {"part": part, "code": code, "message_zh": zh, "message_en": en}
    out.update(where)
    return out  # type: ignore[return-value]


def verdict(problems: list[Problem]) -> Verdict:
    return {"ok": not problems, "problems": problems}
