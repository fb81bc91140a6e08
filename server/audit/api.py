"""The audit log, searchable by administrators (issue #11).

Scoped like everything else (R2): an administrator sees the events whose institution lies in their
subtree; events with no institution only at the top of the tree (server.audit.services). Reading
the log is not itself a personal-data read: the events never hold a whole ID number or phone.
"""

from flask import g
from flask_smorest import Blueprint

from server.audit import reads, services
from server.audit.schemas import AuditEventListArgs, AuditEventListSchema
from server.auth.access import roles_required
from server.schemas import ErrorSchema
from server.scoping import current_scope
from server.users.roles import ADMIN

blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="审计日志 Audit log (issue #11)")
# Reads of unmasked personal data are audited for every blueprint, once per request.
blp.before_app_request(reads.forget_reads)
blp.after_app_request(reads.record_read)


@blp.route("/audit-events", methods=["GET"])
@blp.arguments(AuditEventListArgs, location="query")
@blp.response(200, AuditEventListSchema)
@blp.alt_response(404, schema=ErrorSchema, description="institution_id outside the caller's subtree")
@roles_required(ADMIN)
def list_events(args):
    """Audit events of the caller's subtree, newest first; filters combine; keyset pages via next_cursor."""
    rows, next_cursor = services.search(current_scope(), g.user, args)
    return {"items": services.event_views(rows), "next_cursor": next_cursor}
