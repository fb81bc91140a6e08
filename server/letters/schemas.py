from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate

from server.letters.models import DECISIONS, REJECT_REASONS, STATUSES
from server.schemas import Id

NOT_BLANK = validate.Regexp(r"\S", error="must not be blank")


def _plausible_time(value) -> None:
    # Checked on the year alone: arithmetic on year 1 or 9999 with an offset would overflow.
    if not 2000 <= value.year <= 2099:
        raise ValidationError("must be a time between the years 2000 and 2099")


class LetterPersonSchema(Schema):
    id = fields.Integer()
    display_name = fields.String()


class LetterTaskSchema(Schema):
    id = fields.Integer()
    status = fields.String()
    item = fields.String()
    source = fields.String()


class LetterPolicySchema(Schema):
    id = fields.Integer()
    policy_number = fields.String()
    product_name = fields.String()
    holder_name = fields.String()


class LetterInstitutionSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class LetterQuestionnaireSchema(Schema):
    version_id = fields.Integer()
    code = fields.String()
    number = fields.Integer()
    title = fields.String()


class LetterScanSchema(Schema):
    sha256 = fields.String()
    mime = fields.String(metadata={"enum": ["application/pdf", "image/jpeg", "image/png"]})
    size = fields.Integer()


class LetterEventSchema(Schema):
    id = fields.Integer()
    at = fields.AwareDateTime()
    action = fields.String(
        metadata={
            "description": "created | printed | mailed | mailing_corrected | scan_uploaded | scan_replaced"
            " | verified | rejected | cancelled"
        }
    )
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    actor = fields.Nested(LetterPersonSchema, allow_none=True)
    data = fields.Dict()


class LetterCaseSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    category = fields.String()
    status = fields.String()
    summary = fields.String()


class LetterSchema(Schema):
    id = fields.Integer()
    code = fields.String(metadata={"description": "printed on every page, in text and as a QR code"})
    status = fields.String(metadata={"enum": list(STATUSES)})
    task = fields.Nested(LetterTaskSchema)
    policy = fields.Nested(LetterPolicySchema)
    institution = fields.Nested(LetterInstitutionSchema)
    reason = fields.String()
    recipient_name = fields.String()
    address = fields.String(allow_none=True)
    questionnaire = fields.Nested(LetterQuestionnaireSchema, allow_none=True)
    mailed_at = fields.AwareDateTime(allow_none=True)
    carrier = fields.String(allow_none=True)
    tracking_no = fields.String(allow_none=True)
    returned_at = fields.AwareDateTime(allow_none=True)
    scan = fields.Nested(LetterScanSchema, allow_none=True)
    reviewer = fields.Nested(LetterPersonSchema, allow_none=True)
    decided_at = fields.AwareDateTime(allow_none=True)
    decision_reasons = fields.List(fields.String())
    note = fields.String(allow_none=True)
    created_by = fields.Nested(LetterPersonSchema, allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    history = fields.List(fields.Nested(LetterEventSchema), metadata={"description": "one letter only"})
    cases = fields.List(fields.Nested(LetterCaseSchema), metadata={"description": "one letter only"})


class LetterListArgs(Schema):
    status = fields.List(fields.String(validate=validate.OneOf(STATUSES)))
    task_id = Id(query=True)
    q = fields.String(
        validate=validate.Length(max=64),
        metadata={"description": "letter code, policy number or holder name"},
    )
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = Id(query=True)


class LetterListSchema(Schema):
    items = fields.List(fields.Nested(LetterSchema))
    next_cursor = fields.Integer(allow_none=True)


class LetterCreateSchema(Schema):
    task_id = Id(required=True)
    reason = fields.String(required=True, validate=[validate.Length(min=1, max=500), NOT_BLANK])


class LetterMailingSchema(Schema):
    mailed_at = fields.AwareDateTime(required=True, validate=_plausible_time)
    carrier = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=40), NOT_BLANK],
        metadata={"description": "中国邮政挂号信, EMS, ..."},
    )
    tracking_no = fields.String(allow_none=True, validate=validate.Length(max=64))
    address = fields.String(
        allow_none=True,
        validate=validate.Length(max=300),
        metadata={"description": "the address it went to, when not the policy's (required if it has none)"},
    )


class LetterScanUploadSchema(Schema):
    file = Upload(required=True, metadata={"description": "PDF, JPEG or PNG, at most 20 MB"})


class LetterDecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    reasons = fields.List(
        fields.String(validate=validate.OneOf(list(REJECT_REASONS))),
        load_default=list,
        validate=validate.Length(max=len(REJECT_REASONS)),
    )
    note = fields.String(allow_none=True, validate=validate.Length(max=1000))


class LetterCancelSchema(Schema):
    reason = fields.String(required=True, validate=[validate.Length(min=1, max=500), NOT_BLANK])


class LetterReasonSchema(Schema):
    code = fields.String()
    text = fields.String()
    text_en = fields.String()


class LetterReasonListSchema(Schema):
    items = fields.List(fields.Nested(LetterReasonSchema))
