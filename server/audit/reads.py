"""Reads of unmasked personal data, audited once per request (issue #11: "who saw what").

``server.policies.masking.sees_personal_data`` marks the request when the caller's role unmasks ID
numbers and phones. After a successful (2xx) JSON answer to such a request, this module walks the
answer for records whose ID-number or phone fields carry a value that is not masked, and writes ONE
``personal_data_read`` event: the actor, their institution, the endpoint and method, how many records,
and the records' type and ids (the first ``MAX_IDS`` of each type, plus the count).

Why it looks at the answer rather than at each view: the answer is what left the server, whichever
domain built it, and the walk costs one parse of a page that is already in memory, no query at all.

The event is written through a connection of its own (``db.engine.begin()``), never through the
request's session: a GET never commits anything of its own, and a failed audit write cannot undo or
half-commit the request's work. Answers that are not JSON are not walked: the search exports stream
files and are audited by server.search as ``search_exported`` (with ``personal_data: full``), the
evidence reports as ``evidence_report`` / ``evidence_exported``, so nothing is counted twice.

Registered for the whole app by server.audit.api (``after_app_request``).

Not audited here: a specialist seeing the phone of a customer on a task assigned to them (the tasks
domain unmasks that phone for the visitor to call ahead, not the role), and the tablet's sync pull.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from flask import Response, g, has_request_context, request
from sqlalchemy import insert

from server.audit.models import AuditEvent
from server.dbtypes import utcnow
from server.extensions import db
from server.policies.masking import ID_FIELDS, PHONE_FIELDS, UNMASKED_FLAG

log = logging.getLogger(__name__)

ACTION = "personal_data_read"
MAX_IDS = 50
PERSONAL_FIELDS = (*ID_FIELDS, *PHONE_FIELDS)
MASK = "*"

# Which kind of record a nested object is, by the key it sits under (a task's "policy", ...).
KEY_TYPES = {
    "policy": "policy",
    "policies": "policy",
    "salesperson": "salesperson",
    "salespersons": "salesperson",
    "callback": "phone_callback",
    "task": "visit_task",
}
# The kind of the top-level records (and of a list's "items") where the key does not say it.
ENDPOINT_TYPES = {
    "policies.list_salespersons": "salesperson",
    "policies.upsert_salesperson": "salesperson",
    "search.search_policies": "policy",
}
BLUEPRINT_TYPES = {
    "policies": "policy",
    "risk": "risk_alert",
    "callbacks": "phone_callback",
    "tasks": "visit_task",
}


def _is_unmasked(value) -> bool:
    return isinstance(value, str) and value != "" and MASK not in value


def unmasked_records(payload, root_type: str) -> dict[str, list]:
    """Each record type → the ids (None when the record has none) of the objects in ``payload``
    that carry at least one unmasked ID number or phone. Pure: plain JSON in, a dict out."""
    found: dict[str, dict] = defaultdict(dict)  # type -> {id: None} (ordered, distinct)
    anonymous: dict[str, int] = defaultdict(int)
    stack = [(payload, root_type)]
    while stack:
        node, kind = stack.pop()
        if isinstance(node, dict):
            if any(_is_unmasked(node.get(key)) for key in PERSONAL_FIELDS):
                ident = node.get("id")
                if ident is None:
                    anonymous[kind] += 1
                else:
                    found[kind][ident] = None
            # reversed so that records come out in the order the answer lists them
            for key, value in reversed(list(node.items())):
                if isinstance(value, dict | list):
                    stack.append((value, KEY_TYPES.get(key, kind)))
        elif isinstance(node, list):
            stack.extend((item, kind) for item in reversed(node))
    out = {kind: list(ids) for kind, ids in found.items()}
    for kind, count in anonymous.items():
        out.setdefault(kind, []).extend([None] * count)
    return out


def event_values(records: dict[str, list], *, actor, endpoint: str, method: str, path: str) -> dict | None:
    """The audit_event row for one request's unmasked records, or None when there were none."""
    if not records:
        return None
    targets = {}
    for kind, ids in sorted(records.items(), key=lambda item: -len(item[1])):
        known = [i for i in ids if i is not None]
        targets[kind] = {"count": len(ids), "ids": known[:MAX_IDS], "ids_truncated": len(known) > MAX_IDS}
    main = next(iter(targets))  # the type with the most records
    count = sum(t["count"] for t in targets.values())
    only = targets[main]["ids"] if count == 1 and len(targets) == 1 else []
    return {
        "at": utcnow(),
        "actor_id": actor.id,
        "action": ACTION,
        "target_type": main,
        "target_id": str(only[0]) if only else None,
        "institution_id": actor.institution_id,
        "data": {"endpoint": endpoint, "method": method, "path": path, "count": count, "targets": targets},
    }


def _root_type() -> str:
    return (
        ENDPOINT_TYPES.get(request.endpoint or "")
        or BLUEPRINT_TYPES.get(request.blueprint or "")
        or (request.blueprint or "record")
    )


def _release_sqlite_write_lock() -> None:
    """SQLite has one writer at a time: if this request's session still holds a write it never
    committed, the audit connection would wait for it and fail. Nothing commits after the response
    is built (the session is rolled back when the request ends), so rolling back now changes
    nothing that would have been kept. PostgreSQL has no such lock between the two: left alone."""
    session = db.session()
    if db.engine.dialect.name != "sqlite" or not session.in_transaction():
        return
    if getattr(session.connection().connection.dbapi_connection, "in_transaction", False):
        session.rollback()


def forget_reads() -> None:
    """before_request: a flag of an earlier request never carries over (tests share an app context)."""
    g.pop(UNMASKED_FLAG, None)


def record_read(response: Response) -> Response:
    """after_request: one ``personal_data_read`` event when a 2xx JSON answer carried unmasked data."""
    if not has_request_context() or not g.pop(UNMASKED_FLAG, False):
        return response
    actor = getattr(g, "user", None)
    if actor is None or not 200 <= response.status_code < 300 or response.is_streamed:
        return response
    if not response.is_json:
        return response
    payload = response.get_json(silent=True)
    values = event_values(
        unmasked_records(payload, _root_type()),
        actor=actor,
        endpoint=request.endpoint or "",
        method=request.method,
        path=request.path,
    )
    if values is None:
        return response
    values["request_id"] = getattr(g, "request_id", None)
    values["remote_addr"] = request.remote_addr
    _release_sqlite_write_lock()
    # A connection and transaction of its own: the request's session is never committed. If the
    # log cannot be written the read is refused (500) rather than left unrecorded.
    with db.engine.begin() as conn:
        conn.execute(insert(AuditEvent.__table__).values(**values))
    return response
