from marshmallow import Schema, fields, validate

from server.callbacks.first_calls import ITEMS
from server.callbacks.models import ATTEMPT_RESULTS, KINDS, OUTCOMES, STATUSES
from server.callbacks.services import SCRIPT_IDS

ID = validate.Range(min=1, max=2**31 - 1)


class CallbackSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": list(KINDS)})
    status = fields.String(metadata={"enum": list(STATUSES)})
    outcome = fields.String(allow_none=True, metadata={"enum": [None, *OUTCOMES]})
    task_id = fields.Integer(allow_none=True)
    visit_uuid = fields.String(allow_none=True)
    institution = fields.Dict()
    policy = fields.Dict()
    agent = fields.Dict(allow_none=True)
    attempts = fields.Integer()
    next_attempt_at = fields.AwareDateTime(allow_none=True)
    due_date = fields.Date()
    overdue = fields.Boolean()
    answers = fields.Dict()
    note = fields.String(allow_none=True)
    recording_ref = fields.String(allow_none=True)
    recording_sha256 = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    completed_at = fields.AwareDateTime(allow_none=True)
    item = fields.String(allow_none=True)
    questionnaire_code = fields.String(allow_none=True)
    questionnaire_version_id = fields.Integer(allow_none=True)
    external_ref = fields.String(allow_none=True)
    preferred_time = fields.String(allow_none=True)
    followup_task_id = fields.Integer(allow_none=True)
    script = fields.List(fields.Dict())
    history = fields.List(fields.Dict())
    cases = fields.List(fields.Dict())


class CallbackListArgs(Schema):
    kind = fields.String(validate=validate.OneOf(KINDS))
    status = fields.String(validate=validate.OneOf(STATUSES))
    outcome = fields.String(validate=validate.OneOf(OUTCOMES))
    mine = fields.Boolean(metadata={"description": "only calls held by the caller"})
    overdue = fields.Boolean()
    visit_uuid = fields.String(validate=validate.Length(min=1, max=36))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.Integer(validate=ID)


class CallbackListSchema(Schema):
    items = fields.List(fields.Nested(CallbackSchema))
    next_cursor = fields.Integer(allow_none=True)


class NextCallSchema(Schema):
    callback = fields.Nested(CallbackSchema, allow_none=True)


class AnswersSchema(Schema):
    visit_happened = fields.Boolean()
    signature_own = fields.Boolean()
    explanation_understood = fields.Boolean()


class AttemptSchema(Schema):
    result = fields.String(required=True, validate=validate.OneOf(ATTEMPT_RESULTS))
    outcome = fields.String(
        validate=validate.OneOf([o for o in OUTCOMES if o != "unreachable"]),
        metadata={"description": "when reached; derived from the answers when they are all given"},
    )
    answers = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=64)),
        metadata={
            "description": "confirmation: the AnswersSchema booleans; first_call: the phone "
            "questionnaire's answers by question id (validated by the questionnaire engine)"
        },
    )
    category = fields.String(
        validate=validate.Length(min=1, max=40),
        metadata={"description": "first_call misconduct / unsigned_papers: the problem category"},
    )
    note = fields.String(validate=validate.Length(max=1000))
    recording_ref = fields.String(
        validate=validate.Length(min=1, max=200), metadata={"description": "the call centre's recording id"}
    )


class ExternalOutcomeSchema(AttemptSchema):
    id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=128),
        metadata={
            "description": "the event id, the same as the X-Huifang-Event-Id header (signed with the body)"
        },
    )
    callback_id = fields.Integer(required=True, validate=ID)
    called_at = fields.AwareDateTime(metadata={"description": "when the call centre made the call"})


assert set(AnswersSchema._declared_fields) == set(SCRIPT_IDS)


class FirstCallItemSchema(Schema):
    policy_id = fields.Integer(required=True, validate=ID)
    item = fields.String(required=True, validate=validate.OneOf(ITEMS))
    event_date = fields.Date(metadata={"description": "grace_period / lapse: the grace period's end"})
    external_ref = fields.String(validate=validate.Length(min=1, max=80))
    preferred_time = fields.Time(metadata={"description": "the customer's preferred time of day (Beijing)"})
    call_from = fields.Time()
    call_until = fields.Time()


class FirstCallsSchema(Schema):
    items = fields.List(
        fields.Nested(FirstCallItemSchema), required=True, validate=validate.Length(min=1, max=500)
    )


class FirstCallsResultSchema(Schema):
    created = fields.Integer()
    items = fields.List(fields.Nested(CallbackSchema))


class CallbackRecontactSchema(Schema):
    phone = fields.String(required=True, validate=validate.Length(min=5, max=20))
