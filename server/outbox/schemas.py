from marshmallow import Schema, fields, validate

from server.outbox.models import STATUSES
from server.schemas import Id


class OutboxJobSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    payload = fields.Dict()
    dedupe_key = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": list(STATUSES)})
    attempts = fields.Integer()
    max_attempts = fields.Integer()
    next_attempt_at = fields.AwareDateTime()
    locked_by = fields.String(allow_none=True)
    locked_at = fields.AwareDateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    done_at = fields.AwareDateTime(allow_none=True)
    institution_id = fields.Integer(allow_none=True)


class OutboxListArgs(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    kind = fields.String(validate=validate.Length(min=1, max=64))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = Id(query=True, metadata={"description": "next_cursor of the previous page"})


class OutboxListSchema(Schema):
    items = fields.List(fields.Nested(OutboxJobSchema))
    next_cursor = fields.Integer(allow_none=True)


class OutboxCountsSchema(Schema):
    pending = fields.Integer()
    running = fields.Integer()
    done = fields.Integer()
    dead = fields.Integer()


class OutboxStatsSchema(Schema):
    counts = fields.Nested(OutboxCountsSchema)
    oldest_pending_age_seconds = fields.Float(
        allow_none=True, metadata={"description": "seconds since the oldest pending job was enqueued"}
    )
    oldest_due_age_seconds = fields.Float(
        allow_none=True,
        metadata={"description": "seconds the oldest due pending job has waited past its time (worker lag)"},
    )


class WebhookEventSchema(Schema):
    """The body of every webhook POST (documented in the OpenAPI document's ``webhooks``)."""

    id = fields.String(
        required=True,
        metadata={"description": "event id, the same on every retry and replay: dedupe on it"},
    )
    event = fields.String(required=True, metadata={"description": "event name, e.g. visit.submitted"})
    created_at = fields.AwareDateTime(required=True, metadata={"description": "when the event happened"})
    data = fields.Dict(
        required=True, metadata={"description": "the event's data; its shape depends on event"}
    )
