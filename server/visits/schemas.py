from marshmallow import Schema, fields, validate

from server.schemas import Id
from server.tasks.schemas import PersonRefSchema, TaskSchema
from server.visits.models import REVIEW_STATES, STATES


class VisitMediaSchema(Schema):
    sha256 = fields.String()
    kind = fields.String(metadata={"enum": ["signature_strokes", "signature_png", "photo"]})
    mime = fields.String()
    size = fields.Integer()
    question_id = fields.String(allow_none=True)
    signer = fields.String(allow_none=True)
    complete = fields.Boolean()


class VisitSummarySchema(Schema):
    uuid = fields.String()
    state = fields.String(metadata={"enum": list(STATES)})
    outcome = fields.String()
    flags = fields.List(fields.String())
    task_id = fields.Integer()
    policy_number = fields.String()
    holder_name = fields.String()
    specialist = fields.Nested(PersonRefSchema)
    institution = fields.Dict()
    started_at = fields.String(metadata={"description": "device time with its offset, as captured"})
    finished_at = fields.String()
    received_at = fields.AwareDateTime()
    submitted_at = fields.AwareDateTime(allow_none=True)
    review_state = fields.String(
        allow_none=True, metadata={"enum": [None, *REVIEW_STATES], "description": "null: needs no review"}
    )
    review_priority = fields.Integer()
    reviewed_at = fields.AwareDateTime(allow_none=True)


class VisitDetailSchema(VisitSummarySchema):
    record = fields.Dict(metadata={"description": "the record exactly as the tablet sent it"})
    hash = fields.String()
    questionnaire = fields.Dict(allow_none=True)
    device = fields.Dict()
    media = fields.List(fields.Nested(VisitMediaSchema))
    task = fields.Nested(TaskSchema)


class VisitListArgs(Schema):
    state = fields.String(validate=validate.OneOf(STATES))
    review_state = fields.String(validate=validate.OneOf(REVIEW_STATES))
    outcome = fields.String()
    flagged = fields.Boolean(metadata={"description": "only visits with at least one flag"})
    task_id = Id(query=True)
    user_id = Id(query=True)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(validate=validate.Length(max=100))


class VisitListSchema(Schema):
    items = fields.List(fields.Nested(VisitSummarySchema))
    next_cursor = fields.String(allow_none=True)
