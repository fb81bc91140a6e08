from flask import g
from flask_smorest import Blueprint

from server.auth.access import roles_required
from server.questionnaires import (
    commands,  # noqa: F401  (registers `huifang load-templates`)
    logic,
    placeholders,
    services,
    sync_hooks,
)
from server.questionnaires import definition as defs
from server.questionnaires.fields.signature import SIGNERS
from server.questionnaires.schemas import (
    CatalogSchema,
    DefinitionCheckResultSchema,
    DefinitionSchema,
    DiffArgs,
    DiffSchema,
    DraftCreateSchema,
    PreviewResultSchema,
    PreviewSchema,
    ProblemCategoryListArgs,
    ProblemCategoryListSchema,
    ProblemCategorySchema,
    ProblemCategoryUpdateSchema,
    QuestionnaireCreateSchema,
    QuestionnaireDetailSchema,
    QuestionnaireListSchema,
    VersionSchema,
    VersionUpdateSchema,
)
from server.schemas import ErrorSchema
from server.users.roles import ADMIN, COMPLIANCE_OFFICER

blp = Blueprint(
    "questionnaires",
    __name__,
    url_prefix="/api/v1",
    description="问卷 Questionnaires: versions, templates, problem categories (R6–R10, R14, R15)",
)

EDITORS = services.EDITORS
TAXONOMY_EDITORS = (ADMIN, COMPLIANCE_OFFICER)


@blp.route("/questionnaires", methods=["GET"])
@blp.response(200, QuestionnaireListSchema)
def list_questionnaires():
    """Questionnaires with their published version; designers also see drafts they may edit."""
    return {"items": services.list_questionnaires(g.user)}


@blp.route("/questionnaires", methods=["POST"])
@blp.arguments(QuestionnaireCreateSchema)
@blp.response(201, VersionSchema)
@blp.alt_response(409, schema=ErrorSchema, description="questionnaire_code_taken")
@roles_required(*EDITORS)
def create_questionnaire(args):
    """A new questionnaire owned by the caller's institution, with a starter draft (version 1)."""
    return services.create_questionnaire(g.user, args)


@blp.route("/questionnaires/schema", methods=["GET"])
@blp.response(200)
def definition_schema():
    """The JSON Schema (draft 2020-12) of a questionnaire definition."""
    return defs.schema()


@blp.route("/questionnaires/catalog", methods=["GET"])
@blp.response(200, CatalogSchema)
def catalog():
    """What a definition may use: policy facts, placeholders, question types, signers, operators."""
    return {
        "facts": {k: v for k, v in logic.fact_catalog().items() if k not in logic.SERVER_ONLY_FACTS},
        "placeholders": placeholders.catalog(),
        "question_types": defs.field_types(),
        "signers": [{"code": code, "name": zh, "name_en": en} for code, (zh, en) in SIGNERS.items()],
        "operators": sorted(logic.OPERATORS),
        "signer_rules": logic.SIGNER_RULES,
    }


@blp.route("/questionnaires/check", methods=["POST"])
@blp.arguments(DefinitionSchema)
@blp.response(200, DefinitionCheckResultSchema)
@roles_required(*EDITORS)
def check_definition(args):
    """Problems of a definition without saving it (the designer's live check); [] when it may be saved."""
    problems = defs.check_definition(args["definition"], services.active_category_codes())
    if not problems:
        problems = defs.check_publishable(args["definition"])
    return {"problems": problems}


@blp.route("/questionnaires/import", methods=["POST"])
@blp.arguments(DefinitionSchema)
@blp.response(201, VersionSchema)
@blp.alt_response(409, schema=ErrorSchema, description="draft_exists")
@blp.alt_response(422, schema=ErrorSchema, description="definition_invalid")
@roles_required(*EDITORS)
def import_definition(args):
    """An exported definition: a new questionnaire, or a new draft of the questionnaire with its code."""
    return services.import_definition(g.user, args["definition"])


@blp.route("/questionnaires/<int:questionnaire_id>", methods=["GET"])
@blp.response(200, QuestionnaireDetailSchema)
@blp.alt_response(404, schema=ErrorSchema)
def get_questionnaire(questionnaire_id):
    return services.get_questionnaire(g.user, questionnaire_id)


@blp.route("/questionnaires/<int:questionnaire_id>/versions", methods=["POST"])
@blp.arguments(DraftCreateSchema)
@blp.response(201, VersionSchema)
@blp.alt_response(409, schema=ErrorSchema, description="draft_exists")
@roles_required(*EDITORS)
def new_draft(args, questionnaire_id):
    """A new draft, copied from a version (default: the newest)."""
    return services.new_draft(g.user, questionnaire_id, args.get("from_version_id"))


@blp.route("/questionnaires/by-code/<code>/published", methods=["GET"])
@blp.response(200, VersionSchema)
@blp.alt_response(404, schema=ErrorSchema, description="questionnaire_not_published")
def published_by_code(code):
    """The current published version of a questionnaire code (what new visits bind)."""
    return services.published_by_code(code)


@blp.route("/questionnaire-versions/diff", methods=["GET"])
@blp.arguments(DiffArgs, location="query")
@blp.response(200, DiffSchema)
def diff_versions(args):
    """Questions added, removed and changed from one version to another of the same questionnaire."""
    return services.diff_versions(g.user, args["from_id"], args["to_id"])


@blp.route("/questionnaire-versions/<int:version_id>", methods=["GET"])
@blp.response(200, VersionSchema)
@blp.alt_response(404, schema=ErrorSchema)
def get_version(version_id):
    return services.get_version(g.user, version_id)


@blp.route("/questionnaire-versions/<int:version_id>", methods=["PATCH"])
@blp.arguments(VersionUpdateSchema)
@blp.response(200, VersionSchema)
@blp.alt_response(409, schema=ErrorSchema, description="version_immutable")
@blp.alt_response(422, schema=ErrorSchema, description="definition_invalid")
@roles_required(*EDITORS)
def update_version(args, version_id):
    """Replace a draft's definition (checked in full: schema, rules, placeholders, categories)."""
    return services.update_draft(g.user, version_id, args)


@blp.route("/questionnaire-versions/<int:version_id>", methods=["DELETE"])
@blp.response(204)
@blp.alt_response(409, schema=ErrorSchema, description="version_immutable")
@roles_required(*EDITORS)
def delete_version(version_id):
    """Discard a draft. Published and retired versions are never deleted."""
    services.delete_draft(g.user, version_id)


@blp.route("/questionnaire-versions/<int:version_id>/publish", methods=["POST"])
@blp.response(200, VersionSchema)
@blp.alt_response(409, schema=ErrorSchema, description="version_immutable")
@blp.alt_response(422, schema=ErrorSchema, description="definition_invalid")
@roles_required(*EDITORS)
def publish(version_id):
    """Publish a draft: from now on it never changes, and new visits bind it. Audited."""
    return services.publish(g.user, version_id)


@blp.route("/questionnaire-versions/<int:version_id>/retire", methods=["POST"])
@blp.response(200, VersionSchema)
@blp.alt_response(409, schema=ErrorSchema, description="version_not_published")
@roles_required(*EDITORS)
def retire(version_id):
    """Retire a published version: no new visit binds it; visits that did keep it. Audited."""
    return services.retire(g.user, version_id)


@blp.route("/questionnaire-versions/<int:version_id>/export", methods=["GET"])
@blp.response(200)
@blp.alt_response(404, schema=ErrorSchema)
def export_version(version_id):
    """The definition alone, as a file to import elsewhere."""
    version = services.get_version(g.user, version_id)
    filename = f"{version.questionnaire.code}-v{version.number}.json"
    return version.definition, 200, {"Content-Disposition": f'attachment; filename="{filename}"'}


@blp.route("/questionnaire-versions/<int:version_id>/preview", methods=["POST"])
@blp.arguments(PreviewSchema)
@blp.response(200, PreviewResultSchema)
@blp.alt_response(404, schema=ErrorSchema)
def preview(args, version_id):
    """The server's view of a sample visit: relevant questions, required signers, errors, problems."""
    return services.preview(g.user, version_id, args)


@blp.route("/problem-categories", methods=["GET"])
@blp.arguments(ProblemCategoryListArgs, location="query")
@blp.response(200, ProblemCategoryListSchema)
def list_problem_categories(args):
    """The problem taxonomy (R4 problem classification, R16)."""
    return {"items": services.list_categories(include_inactive=args["include_inactive"])}


@blp.route("/problem-categories", methods=["POST"])
@blp.arguments(ProblemCategorySchema)
@blp.response(201, ProblemCategorySchema)
@blp.alt_response(409, schema=ErrorSchema, description="problem_category_code_taken")
@roles_required(*TAXONOMY_EDITORS)
def create_problem_category(args):
    return services.create_category(args)


@blp.route("/problem-categories/<int:category_id>", methods=["PATCH"])
@blp.arguments(ProblemCategoryUpdateSchema)
@blp.response(200, ProblemCategorySchema)
@blp.alt_response(404, schema=ErrorSchema)
@roles_required(*TAXONOMY_EDITORS)
def update_problem_category(args, category_id):
    """Rename, reorder, deactivate or reactivate a category (never deleted: versions refer to it)."""
    return services.update_category(category_id, args)


sync_hooks.register()
