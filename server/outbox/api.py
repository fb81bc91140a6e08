"""The operator's view of the outbox: jobs, their counts, and replay of dead ones (administrators)."""

from flask import g
from flask_smorest import Blueprint

from server.auth.access import roles_required
from server.outbox import services, webhook
from server.outbox.schemas import (
    OutboxJobSchema,
    OutboxListArgs,
    OutboxListSchema,
    OutboxStatsSchema,
    WebhookEventSchema,
)
from server.schemas import ErrorSchema
from server.users.roles import ADMIN

blp = Blueprint(
    "outbox", __name__, url_prefix="/api/v1/outbox", description="后台任务与 Webhook Outbox jobs and webhooks"
)


@blp.route("", methods=["GET"])
@blp.arguments(OutboxListArgs, location="query")
@blp.response(200, OutboxListSchema)
@roles_required(ADMIN)
def list_jobs(args):
    """Jobs of the caller's subtree, newest first; filter by status and kind; keyset pages via next_cursor."""
    rows, cursor = services.list_jobs(g.user, args)
    return {"items": rows, "next_cursor": cursor}


@blp.route("/stats", methods=["GET"])
@blp.response(200, OutboxStatsSchema)
@roles_required(ADMIN)
def stats():
    """Jobs by status and the age of the oldest pending job (for alerting on a stopped worker)."""
    return services.stats(g.user)


@blp.route("/<int:job_id>/replay", methods=["POST"])
@blp.response(200, OutboxJobSchema)
@blp.alt_response(404, schema=ErrorSchema, description="not_found")
@blp.alt_response(409, schema=ErrorSchema, description="job_not_dead")
@roles_required(ADMIN)
def replay(job_id):
    """Send a dead job again: back to pending with its attempts reset (audited)."""
    return services.replay(g.user, job_id)


WEBHOOK_NAME = "huifangEvent"


@blp.record
def _document_webhooks(state) -> None:
    """Describe the outgoing webhook in the OpenAPI 3.1 document's top-level ``webhooks``."""
    api = state.app.extensions.get("huifang_api")
    if api is None:
        return
    if "WebhookEvent" not in api.spec.components.schemas:
        api.spec.components.schema("WebhookEvent", schema=WebhookEventSchema)
    header = {"in": "header", "required": True, "schema": {"type": "string"}}
    api.spec.options.setdefault("webhooks", {})[WEBHOOK_NAME] = {
        "post": {
            "summary": "事件通知 An event for the call centre",
            "description": (
                "Sent by 回访通 to HUIFANG_WEBHOOK_URL. Verify X-Huifang-Signature before trusting the body: "
                "v1=<hex HMAC-SHA256(secret, timestamp + '.' + raw body)>, and refuse timestamps more than "
                "300 s from your clock. Answer 2xx once stored; anything else is retried with exponential "
                "backoff (60 s doubling, up to 6 h, 8 attempts), then kept as dead until an operator replays "
                "it. The same event may arrive more than once: dedupe on its id. See docs/webhooks.md."
            ),
            "operationId": "huifangEvent",
            "security": [],
            "parameters": [
                {**header, "name": "X-Huifang-Event-Id", "description": "the event id, as in the body"},
                {
                    **header,
                    "name": "X-Huifang-Timestamp",
                    "description": "unix seconds when this attempt was sent (part of the signed content)",
                    "schema": {"type": "string", "pattern": "^[0-9]+$"},
                },
                {
                    **header,
                    "name": "X-Huifang-Signature",
                    "description": "v1=<lowercase hex HMAC-SHA256(secret, f'{timestamp}.{body}')>",
                    "schema": {"type": "string", "pattern": "^v1=[0-9a-f]{64}$"},
                },
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WebhookEvent"}}},
            },
            "responses": {
                "2XX": {"description": "received: the event will not be sent again"},
                "default": {"description": "not received: sent again later (the same event id)"},
            },
        }
    }


__all__ = ["blp", "webhook"]  # webhook: importing the api registers the "webhook" handler
