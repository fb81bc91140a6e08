"""Question types, one small class each, registered by name (in the manner of Indico's survey fields).

Each knows what its definition may hold, how to check an answer, which problem categories an answer
signals, and how to summarise an answer for a reviewer. ``field_for(question)`` finds the class.
"""

from __future__ import annotations

from server.questionnaires.fields import (  # noqa: F401  (each module registers its type)
    choice,
    date,
    identity,
    number,
    photo,
    signature,
    statement,
    text,
    yes_no,
)
from server.questionnaires.fields.base import FIELDS, Field, Issue, register


def field_for(question: dict) -> Field:
    return FIELDS[question["type"]]


__all__ = ["FIELDS", "Field", "Issue", "field_for", "register"]
