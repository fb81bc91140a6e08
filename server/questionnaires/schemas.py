from marshmallow import Schema, fields, validate

from server.questionnaires.models import STATUSES
from server.schemas import Id

CODE = validate.Regexp(
    r"^[a-z][a-z0-9_]{1,63}$", error="代码为小写字母开头的字母、数字或下划线 / lower-case code"
)
ITEMS = ["new_business", "grace_period", "lapse", "surrender", "claim", "other"]


class VersionRefSchema(Schema):
    id = fields.Integer()
    number = fields.Integer()
    status = fields.String(validate=validate.OneOf(STATUSES))
    content_hash = fields.String()
    note = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    published_at = fields.AwareDateTime(allow_none=True)
    retired_at = fields.AwareDateTime(allow_none=True)


class QuestionnaireRefSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    item = fields.String()
    builtin = fields.Boolean()
    institution_id = fields.Integer()


class VersionSchema(VersionRefSchema):
    questionnaire = fields.Nested(QuestionnaireRefSchema)
    definition = fields.Dict(metadata={"description": "The definition; see GET /questionnaires/schema"})


class QuestionnaireSummarySchema(Schema):
    questionnaire = fields.Nested(QuestionnaireRefSchema)
    editable = fields.Boolean()
    published = fields.Nested(VersionRefSchema, allow_none=True)
    draft = fields.Nested(VersionRefSchema, allow_none=True)
    version_count = fields.Integer()


class QuestionnaireListSchema(Schema):
    items = fields.List(fields.Nested(QuestionnaireSummarySchema))


class QuestionnaireDetailSchema(Schema):
    questionnaire = fields.Nested(QuestionnaireRefSchema)
    editable = fields.Boolean()
    versions = fields.List(fields.Nested(VersionRefSchema))


class QuestionnaireCreateSchema(Schema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    item = fields.String(required=True, validate=validate.OneOf(ITEMS))


class DraftCreateSchema(Schema):
    from_version_id = Id(allow_none=True)


class VersionUpdateSchema(Schema):
    definition = fields.Dict()
    note = fields.String(allow_none=True, validate=validate.Length(max=500))


class DefinitionSchema(Schema):
    definition = fields.Dict(required=True)


class DiffArgs(Schema):
    from_id = Id(query=True, required=True, data_key="from")
    to_id = Id(query=True, required=True, data_key="to")


class QuestionRefSchema(Schema):
    id = fields.String()
    type = fields.String()
    text = fields.String()


class ChangedQuestionSchema(Schema):
    id = fields.String()
    type = fields.String()
    fields = fields.List(fields.String())


class DiffSchema(Schema):
    from_version = fields.Nested(VersionRefSchema)
    to_version = fields.Nested(VersionRefSchema)
    added = fields.List(fields.Nested(QuestionRefSchema))
    removed = fields.List(fields.Nested(QuestionRefSchema))
    changed = fields.List(fields.Nested(ChangedQuestionSchema))
    sections_added = fields.List(fields.String())
    sections_removed = fields.List(fields.String())
    sections_changed = fields.List(fields.String())
    fields_changed = fields.List(fields.String())


class PreviewSchema(Schema):
    policy = fields.Dict(
        load_default=dict, metadata={"description": "PolicyFacts (server/policies/facts.py)"}
    )
    answers = fields.Dict(load_default=dict)
    signatures = fields.Dict(load_default=dict, metadata={"description": "signer -> signature record"})


class SubmissionErrorSchema(Schema):
    question_id = fields.String(allow_none=True)
    code = fields.String()
    message = fields.String()
    message_en = fields.String()
    details = fields.Dict()


class ProblemFoundSchema(Schema):
    question_id = fields.String()
    category = fields.String()


class PreviewResultSchema(Schema):
    relevant = fields.List(fields.String())
    required_signers = fields.List(fields.String())
    errors = fields.List(fields.Nested(SubmissionErrorSchema))
    problems = fields.List(fields.Nested(ProblemFoundSchema))


class DefinitionCheckResultSchema(Schema):
    problems = fields.List(fields.Dict())


class CatalogSchema(Schema):
    facts = fields.Dict(metadata={"description": "fact name -> {type, values?, unit?, format?}"})
    placeholders = fields.List(fields.Dict())
    question_types = fields.List(fields.Dict())
    signers = fields.List(fields.Dict())
    operators = fields.List(fields.String())
    signer_rules = fields.Dict()


class ProblemCategorySchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=100))
    description = fields.String(allow_none=True, validate=validate.Length(max=500))
    reportable = fields.Boolean(load_default=False)
    active = fields.Boolean(load_default=True)
    sort_order = fields.Integer(load_default=100, strict=True, validate=validate.Range(min=0, max=10000))


class ProblemCategoryUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    name_en = fields.String(validate=validate.Length(min=1, max=100))
    description = fields.String(allow_none=True, validate=validate.Length(max=500))
    reportable = fields.Boolean()
    active = fields.Boolean()
    sort_order = fields.Integer(strict=True, validate=validate.Range(min=0, max=10000))


class ProblemCategoryListArgs(Schema):
    include_inactive = fields.Boolean(load_default=False)


class ProblemCategoryListSchema(Schema):
    items = fields.List(fields.Nested(ProblemCategorySchema))
