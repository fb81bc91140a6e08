"""Masking of ID numbers and phones (ARCHITECTURE: masked unless the role needs them).

The one place that decides who sees a customer's full ID number and phone, and how the others see
them. Every domain that shows policy data (tasks, visits, search, exports) uses these helpers.
"""

from __future__ import annotations

from flask import g, has_request_context

from server.users.roles import ADMIN, PHONE_AGENT

# Phone agents call the customer; administrators maintain the data. The specialist assigned to a
# visit needs the phone too, but only for their own tasks: the tasks domain decides that, so the
# specialist role alone does not unmask.
FULL_ROLES = frozenset({ADMIN, PHONE_AGENT})


# Set on flask.g when the signed-in caller was found to see full data in this request: the audit
# log then looks at what the answer actually carries (server.audit.reads, issue #11).
UNMASKED_FLAG = "personal_data_unmasked"


def sees_personal_data(user) -> bool:
    """True when this user's roles need full ID numbers and phones.

    When the answer is yes for the caller of the current request, the request is marked so that
    an answer carrying unmasked data is audited once (``personal_data_read``)."""
    full = user is not None and user.has_role(*FULL_ROLES)
    if full and has_request_context() and getattr(g, "user", None) is user:
        setattr(g, UNMASKED_FLAG, True)
    return full


def mask_id_number(value: str | None) -> str | None:
    """370102199003071234 → 3701**********1234: the city (who cares for it) and the last four."""
    if not value:
        return value
    if len(value) <= 8:
        return value[:1] + "*" * (len(value) - 1)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str | None:
    """13812345678 → 138****5678; 053186001234 → 0531****1234."""
    if not value:
        return value
    if len(value) == 11 and value.startswith("1"):
        return value[:3] + "****" + value[-4:]
    if len(value) > 8:
        return value[: len(value) - 8] + "****" + value[-4:]
    return "*" * (len(value) - 4) + value[-4:] if len(value) > 4 else "****"


ID_FIELDS = ("holder_id_number", "insured_id_number")
PHONE_FIELDS = ("holder_phone", "insured_phone", "phone")


def masked(data: dict, full: bool) -> dict:
    """A copy of a serialised record with its ID numbers and phones masked unless ``full``."""
    if full:
        return data
    out = dict(data)
    for key in ID_FIELDS:
        if key in out:
            out[key] = mask_id_number(out[key])
    for key in PHONE_FIELDS:
        if key in out:
            out[key] = mask_phone(out[key])
    return out
