from marshmallow import Schema, fields, validate

from server.review.models import DECISIONS, REASONS
from server.visits.schemas import VisitDetailSchema, VisitSummarySchema


class ReviewQueueArgs(Schema):
    flagged = fields.Boolean(metadata={"description": "only visits with at least one weighted flag"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(validate=validate.Length(max=200))


class ReviewQueueSchema(Schema):
    items = fields.List(fields.Nested(VisitSummarySchema))
    next_cursor = fields.String(allow_none=True)
    total = fields.Integer(
        metadata={"description": "visits waiting in the caller's subtree, counted up to 10,000"}
    )
    total_capped = fields.Boolean(metadata={"description": "more than 10,000 wait: total stops there"})


class ReasonSchema(Schema):
    code = fields.String()
    text = fields.String()
    text_en = fields.String()


class DecisionViewSchema(Schema):
    id = fields.Integer()
    visit_uuid = fields.String()
    decision = fields.String(metadata={"enum": list(DECISIONS)})
    reasons = fields.List(fields.Nested(ReasonSchema))
    note = fields.String(allow_none=True)
    reviewer = fields.Dict()
    at = fields.AwareDateTime()


class ReviewDetailSchema(VisitDetailSchema):
    flag_details = fields.Dict(metadata={"description": "per flag: how late, how far, how quick, ..."})
    similarity = fields.Dict(metadata={"description": "per signer: the band against earlier signatures"})
    decisions = fields.List(fields.Nested(DecisionViewSchema))
    cases = fields.List(fields.Dict())
    callbacks = fields.List(fields.Dict())


class DecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    reasons = fields.List(
        fields.String(validate=validate.OneOf(list(REASONS))),
        load_default=list,
        validate=validate.Length(max=len(REASONS)),
    )
    note = fields.String(validate=validate.Length(max=1000))


class ReasonListSchema(Schema):
    items = fields.List(fields.Nested(ReasonSchema))
