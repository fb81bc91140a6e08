from marshmallow import Schema, fields, validate

from server.intake.models import OUTCOMES, STATUSES

REF = validate.Length(min=1, max=80)


class IntakeUploadArgs(Schema):
    filename = fields.String(required=True, validate=validate.Length(min=1, max=255))
    institution_code = fields.String(
        validate=validate.Length(min=1, max=32),
        metadata={"description": "the institution of rows whose 机构代码 is empty"},
    )


class IntakeFailureSchema(Schema):
    code = fields.String()
    message = fields.String()
    message_en = fields.String()
    details = fields.Dict()


class IntakeBatchSummarySchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "file | api | cli"})
    external_ref = fields.String(allow_none=True)
    filename = fields.String(allow_none=True)
    file_size = fields.Integer(allow_none=True)
    file_format = fields.String(allow_none=True)
    encoding = fields.String(allow_none=True)
    default_institution_code = fields.String(allow_none=True)
    institution_id = fields.Integer()
    created_by = fields.Integer(allow_none=True)
    mode = fields.String(metadata={"description": "dry_run | import: the current or last run"})
    status = fields.String(metadata={"description": " | ".join(STATUSES)})
    stale = fields.Boolean(metadata={"description": "running, but its process stopped sending heartbeats"})
    progress = fields.Float(metadata={"description": "0.0–1.0"})
    rows_done = fields.Integer()
    rows_total = fields.Integer(allow_none=True)
    counts = fields.Dict(
        metadata={
            "description": "rows, "
            + ", ".join(OUTCOMES)
            + ", policy_created, policy_updated, policy_unchanged, "
            "salesperson_created, risk_alerts, note:id15_upgraded, seconds"
        }
    )
    error_count = fields.Integer()
    failure = fields.Nested(IntakeFailureSchema, allow_none=True)
    unknown_columns = fields.List(fields.String())
    created_at = fields.AwareDateTime()
    started_at = fields.AwareDateTime(allow_none=True)
    finished_at = fields.AwareDateTime(allow_none=True)
    checked_at = fields.AwareDateTime(allow_none=True)


class IntakeBatchSchema(IntakeBatchSummarySchema):
    preview = fields.List(fields.Dict(), metadata={"description": "the first rows' outcomes"})


class IntakeBatchListArgs(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = fields.String(validate=validate.Length(max=64))


class IntakeBatchListSchema(Schema):
    items = fields.List(fields.Nested(IntakeBatchSummarySchema))
    next_cursor = fields.String(allow_none=True)


class IntakeRowErrorSchema(Schema):
    row = fields.Integer(attribute="row_number")
    column = fields.String(allow_none=True)
    value = fields.String(allow_none=True)
    code = fields.String()
    message = fields.String()
    message_en = fields.String()


class IntakeRowErrorArgs(Schema):
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**62))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class IntakeRowErrorListSchema(Schema):
    items = fields.List(fields.Nested(IntakeRowErrorSchema))
    total = fields.Integer()


class IntakeJsonBatchSchema(Schema):
    """Visit needs from the policy system. Each row has the fields of an intake file's columns, by
    their English keys (policy_number, item, source, product_name, ..., amounts in yuan)."""

    external_ref = fields.String(required=True, validate=REF)
    institution_code = fields.String(validate=validate.Length(min=1, max=32))
    dry_run = fields.Boolean(load_default=False)
    rows = fields.List(fields.Dict(), required=True, validate=validate.Length(min=1, max=5000))


class IntakeOutcomeSchema(Schema):
    row = fields.Integer()
    outcome = fields.String(metadata={"description": " | ".join(OUTCOMES)})
    policy_number = fields.String(allow_none=True)
    item = fields.String(allow_none=True)
    policy = fields.String(metadata={"description": "created | updated | unchanged"})
    task_id = fields.Integer()
    callback_id = fields.Integer(metadata={"description": "the first phone callback made (source phone)"})
    reason = fields.String()
    reason_en = fields.String()
    code = fields.String()
    column = fields.String(allow_none=True)
    errors = fields.Integer()


class IntakeJsonResultSchema(Schema):
    external_ref = fields.String()
    batch_id = fields.Integer()
    dry_run = fields.Boolean()
    replayed = fields.Boolean()
    counts = fields.Dict()
    outcomes = fields.List(fields.Nested(IntakeOutcomeSchema))
    errors = fields.List(fields.Dict())
