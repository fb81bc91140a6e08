from marshmallow import Schema, fields, validate

from sync.records import UUID, VISIT_SCHEMA


class PullArgs(Schema):
    cursor = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**62))  # fits BIGINT
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=500))


class ChangeSchema(Schema):
    seq = fields.Integer()
    kind = fields.String(metadata={"enum": ["task", "tombstone", "questionnaire_version"]})
    id = fields.Integer()
    data = fields.Dict(allow_none=True)


class PullSchema(Schema):
    changes = fields.List(fields.Nested(ChangeSchema))
    next_cursor = fields.Integer()
    more = fields.Boolean()
    server_time = fields.AwareDateTime()


class PushSchema(Schema):
    # Records are checked by the sync package's JSON Schema (GET /api/v1/sync/schema), not here:
    # a malformed record must come back as "rejected" with its reasons, not fail the whole batch.
    visits = fields.List(fields.Dict(), required=True, validate=validate.Length(min=1, max=100))


class ProblemSchema(Schema):
    code = fields.String()
    message = fields.String()
    message_en = fields.String()
    field = fields.String(allow_none=True)


class PushResultSchema(Schema):
    uuid = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": ["accepted", "duplicate", "conflict", "rejected"]})
    problems = fields.List(fields.Nested(ProblemSchema))
    missing_media = fields.List(fields.String())
    state = fields.String(metadata={"enum": ["awaiting_media", "submitted"]})


class PushAnswerSchema(Schema):
    results = fields.List(fields.Nested(PushResultSchema))
    server_time = fields.AwareDateTime()


class StatusQuerySchema(Schema):
    uuids = fields.List(
        fields.String(validate=validate.Regexp(UUID)),
        required=True,
        validate=validate.Length(min=1, max=500),
    )


class VisitStatusSchema(Schema):
    uuid = fields.String()
    state = fields.String(metadata={"enum": ["unknown", "awaiting_media", "submitted"]})
    hash = fields.String(allow_none=True)
    missing_media = fields.List(fields.String())


class StatusAnswerSchema(Schema):
    visits = fields.List(fields.Nested(VisitStatusSchema))


class MediaStateSchema(Schema):
    sha256 = fields.String()
    state = fields.String(metadata={"enum": ["missing", "partial", "complete"]})
    offset = fields.Integer()
    total = fields.Integer(allow_none=True)


class ChunkArgs(Schema):
    offset = fields.Integer(required=True, validate=validate.Range(min=0, max=2**62))
    total = fields.Integer(required=True, validate=validate.Range(min=1, max=2**62))


def visit_record_schema() -> dict:
    return VISIT_SCHEMA
