from __future__ import annotations

from flask import g, has_request_context, request
from sqlalchemy import or_, select

from server.audit.models import AuditEvent
from server.extensions import db
from server.institutions.models import Institution
from server.scoping import Scope
from server.users.models import User


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


# ---- Searching the log (administrators, issue #11) --------------------------------------------


def sees_unplaced_events(user) -> bool:
    """Events with no institution (a failed sign-in with an unknown name, ...) belong to no
    subtree: only administrators of the top of the tree (the province) see them."""
    return user.institution.parent_id is None


def search(scope: Scope, viewer, args: dict) -> tuple[list[AuditEvent], int | None]:
    """Events of the caller's subtree, newest first; keyset pages on the id (ids only grow, so a
    page stays stable while new events arrive)."""
    in_scope = AuditEvent.institution_id.in_(scope.institution_ids())
    if sees_unplaced_events(viewer):
        in_scope = or_(in_scope, AuditEvent.institution_id.is_(None))
    stmt = select(AuditEvent).where(in_scope)
    if args.get("action"):
        stmt = stmt.where(AuditEvent.action.in_(args["action"]))
    if args.get("actor"):
        actor = args["actor"].strip()
        if actor.isdigit():
            stmt = stmt.where(AuditEvent.actor_id == int(actor))
        else:
            stmt = stmt.where(AuditEvent.actor_id.in_(select(User.id).where(User.username == actor)))
    if args.get("target_type"):
        stmt = stmt.where(AuditEvent.target_type == args["target_type"])
    if args.get("target_id"):
        stmt = stmt.where(AuditEvent.target_id == args["target_id"])
    if "institution_id" in args:
        root = scope.get(Institution, args["institution_id"], "机构", "institution")
        stmt = stmt.where(AuditEvent.institution_id.in_(Scope(root.path).institution_ids()))
    if "at_from" in args:
        stmt = stmt.where(AuditEvent.at >= args["at_from"])
    if "at_to" in args:
        stmt = stmt.where(AuditEvent.at < args["at_to"])
    if "cursor" in args:
        stmt = stmt.where(AuditEvent.id < args["cursor"])
    limit = args["limit"]
    rows = list(db.session.scalars(stmt.order_by(AuditEvent.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, rows[-1].id if more else None


def event_views(rows: list[AuditEvent]) -> list[dict]:
    """Rows as the API shows them, with the actor and institution named (two queries a page)."""
    actor_ids = {r.actor_id for r in rows if r.actor_id is not None}
    inst_ids = {r.institution_id for r in rows if r.institution_id is not None}
    actors = (
        {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(actor_ids)))} if actor_ids else {}
    )
    insts = (
        {i.id: i for i in db.session.scalars(select(Institution).where(Institution.id.in_(inst_ids)))}
        if inst_ids
        else {}
    )
    out = []
    for row in rows:
        actor = actors.get(row.actor_id)
        inst = insts.get(row.institution_id)
        out.append(
            {
                "id": row.id,
                "at": row.at,
                "action": row.action,
                "actor": None
                if actor is None
                else {"id": actor.id, "username": actor.username, "display_name": actor.display_name},
                "actor_id": row.actor_id,
                "target_type": row.target_type,
                "target_id": row.target_id,
                "institution": None
                if inst is None
                else {"id": inst.id, "code": inst.code, "name": inst.name},
                "request_id": row.request_id,
                "remote_addr": row.remote_addr,
                "data": row.data or {},
            }
        )
    return out
