from __future__ import annotations

from flask import g, has_request_context, request

from server.audit.models import AuditEvent
from server.extensions import db


def record(action: str, *, target=None, actor=None, institution_id=None, **data) -> AuditEvent:
    """Add an audit event to the current transaction: it commits or rolls back with the change."""
    if actor is None and has_request_context():
        actor = getattr(g, "user", None)
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor is not None else None,
        target_type=type(target).__tablename__ if target is not None else None,
        target_id=str(target.id) if target is not None else None,
        institution_id=institution_id,
        request_id=getattr(g, "request_id", None) if has_request_context() else None,
        remote_addr=request.remote_addr if has_request_context() else None,
        data=data,
    )
    db.session.add(event)
    return event
