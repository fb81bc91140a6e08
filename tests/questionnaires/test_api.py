"""The questionnaire API: versions, immutability, roles and scoping, import/export, diff, categories."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.extensions import db
from server.questionnaires import services
from server.questionnaires.models import Questionnaire
from tests.questionnaires.conftest import TRADITIONAL
from tests.server.conftest import assert_error


@pytest.fixture
def seeded(app_ctx, org):
    services.ensure_problem_categories()
    db.session.commit()


@pytest.fixture
def builtins(seeded):
    services.load_templates()


@pytest.fixture
def designer(login_as, seeded):
    return login_as("designer")


def create(caller, code="home_visit", name="上门回访测试问卷", item="other"):
    response = caller.post("/api/v1/questionnaires", json={"code": code, "name": name, "item": item})
    assert response.status_code == 201, response.json
    return response.json


def with_question(definition, **question):
    changed = copy.deepcopy(definition)
    changed["sections"][0]["questions"].append({"type": "yes_no", "text": "您满意吗？", **question})
    return changed


def test_designer_creates_edits_and_publishes(designer):
    draft = create(designer)
    assert draft["status"] == "draft" and draft["number"] == 1
    definition = with_question(draft["definition"], id="satisfied")
    saved = designer.patch(f"/api/v1/questionnaire-versions/{draft['id']}", json={"definition": definition})
    assert saved.status_code == 200, saved.json
    published = designer.post(f"/api/v1/questionnaire-versions/{draft['id']}/publish")
    assert published.status_code == 200, published.json
    assert published.json["status"] == "published" and published.json["published_at"]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "questionnaire_published")).one()
    assert event.actor_id == designer.user.id and event.data["code"] == "home_visit"
    assert services.published_version("home_visit").id == draft["id"]


def test_a_published_version_never_changes(designer):
    draft = create(designer)
    designer.post(f"/api/v1/questionnaire-versions/{draft['id']}/publish")
    url = f"/api/v1/questionnaire-versions/{draft['id']}"
    body = assert_error(
        designer.patch(url, json={"definition": draft["definition"]}), 409, "version_immutable"
    )
    assert body["details"]["status"] == "published"
    assert_error(designer.patch(url, json={"note": "改备注"}), 409, "version_immutable")
    assert_error(designer.delete(url), 409, "version_immutable")
    assert_error(designer.post(f"{url}/publish"), 409, "version_immutable")
    assert designer.get(url).json["definition"] == draft["definition"]


def test_new_draft_copies_the_newest_and_only_one_draft_at_a_time(designer):
    v1 = create(designer)
    qid = v1["questionnaire"]["id"]
    assert_error(designer.post(f"/api/v1/questionnaires/{qid}/versions", json={}), 409, "draft_exists")
    designer.post(f"/api/v1/questionnaire-versions/{v1['id']}/publish")
    v2 = designer.post(f"/api/v1/questionnaires/{qid}/versions", json={})
    assert v2.status_code == 201 and v2.json["number"] == 2 and v2.json["definition"] == v1["definition"]
    assert designer.delete(f"/api/v1/questionnaire-versions/{v2.json['id']}").status_code == 204
    assert designer.post(f"/api/v1/questionnaires/{qid}/versions", json={}).json["number"] == 2


def test_unknown_placeholder_is_refused_at_save_time(designer):
    draft = create(designer)
    definition = with_question(draft["definition"], id="q_fee", text="本期保费{premum}")
    body = assert_error(
        designer.patch(f"/api/v1/questionnaire-versions/{draft['id']}", json={"definition": definition}),
        422,
        "definition_invalid",
    )
    (problem,) = body["details"]["problems"]
    assert problem["code"] == "unknown_placeholder" and problem["question_id"] == "q_fee"
    assert problem["path"] == "sections[0].questions[1].text"


@pytest.mark.parametrize(
    ("question", "code"),
    [
        ({"id": "bad id", "type": "yes_no", "text": "x"}, "schema"),
        (
            {
                "id": "q",
                "type": "yes_no",
                "text": "x",
                "relevant": {"==": [{"var": "policy.channel"}, "bank"]},
            },
            "rule_loose_equality",
        ),
        (
            {"id": "q", "type": "yes_no", "text": "x", "relevant": {"===": [{"var": "answers.later"}, True]}},
            "rule_unknown_question",
        ),
        (
            {"id": "q", "type": "yes_no", "text": "x", "problem_when": False, "problem_category": "no_such"},
            "unknown_problem_category",
        ),
        ({"id": "holder_id_check", "type": "yes_no", "text": "x"}, "duplicate_id"),
        (
            {
                "id": "q",
                "type": "single_choice",
                "text": "x",
                "choices": [{"value": "a", "label": "A"}, {"value": "a", "label": "B"}],
            },
            "duplicate_choice",
        ),
        ({"id": "q", "type": "signature", "signer": "holder", "text": "再签一次"}, "duplicate_signer"),
    ],
)
def test_definition_problems_are_reported(designer, question, code):
    draft = create(designer)
    definition = copy.deepcopy(draft["definition"])
    definition["sections"][0]["questions"].append(question)
    body = assert_error(
        designer.patch(f"/api/v1/questionnaire-versions/{draft['id']}", json={"definition": definition}),
        422,
        "definition_invalid",
    )
    assert code in {p["code"] for p in body["details"]["problems"]}


def test_publishing_needs_the_signatures(designer):
    draft = create(designer)
    definition = copy.deepcopy(draft["definition"])
    definition["sections"] = definition["sections"][:1]
    assert (
        designer.patch(
            f"/api/v1/questionnaire-versions/{draft['id']}", json={"definition": definition}
        ).status_code
        == 200
    )
    body = assert_error(
        designer.post(f"/api/v1/questionnaire-versions/{draft['id']}/publish"), 422, "definition_invalid"
    )
    assert {p["code"] for p in body["details"]["problems"]} == {"signature_missing"}
    # a phone callback's script (channel phone, R11) is published without signatures
    definition["channel"] = "phone"
    assert (
        designer.patch(
            f"/api/v1/questionnaire-versions/{draft['id']}", json={"definition": definition}
        ).status_code
        == 200
    )
    published = designer.post(f"/api/v1/questionnaire-versions/{draft['id']}/publish")
    assert published.status_code == 200, published.json
    assert published.json["definition"]["channel"] == "phone"


def test_a_published_question_keeps_its_type(designer):
    v1 = create(designer)
    designer.post(f"/api/v1/questionnaire-versions/{v1['id']}/publish")
    v2 = designer.post(f"/api/v1/questionnaires/{v1['questionnaire']['id']}/versions", json={}).json
    definition = copy.deepcopy(v2["definition"])
    definition["sections"][0]["questions"][0] = {"id": "holder_id_check", "type": "text", "text": "证件号"}
    body = assert_error(
        designer.patch(f"/api/v1/questionnaire-versions/{v2['id']}", json={"definition": definition}),
        422,
        "definition_invalid",
    )
    assert body["details"]["problems"][0]["code"] == "question_type_changed"


def test_retire_and_diff(designer):
    v1 = create(designer)
    qid = v1["questionnaire"]["id"]
    designer.post(f"/api/v1/questionnaire-versions/{v1['id']}/publish")
    v2 = designer.post(f"/api/v1/questionnaires/{qid}/versions", json={}).json
    definition = with_question(v2["definition"], id="satisfied")
    definition["sections"][0]["questions"][0]["text"] = "请说出证件号码后四位。"
    definition["sections"][1]["questions"] = [
        q for q in definition["sections"][1]["questions"] if q["id"] != "sign_insured"
    ]
    designer.patch(f"/api/v1/questionnaire-versions/{v2['id']}", json={"definition": definition})
    diff = designer.get(f"/api/v1/questionnaire-versions/diff?from={v1['id']}&to={v2['id']}").json
    assert [q["id"] for q in diff["added"]] == ["satisfied"]
    assert [q["id"] for q in diff["removed"]] == ["sign_insured"]
    assert diff["changed"] == [{"id": "holder_id_check", "type": "identity_check", "fields": ["text"]}]
    assert_error(
        designer.post(f"/api/v1/questionnaire-versions/{v2['id']}/retire"), 409, "version_not_published"
    )
    retired = designer.post(f"/api/v1/questionnaire-versions/{v1['id']}/retire")
    assert retired.status_code == 200 and retired.json["status"] == "retired"
    assert services.published_version("home_visit") is None
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "questionnaire_retired")).one()
    # A visit bound to the retired version can still read it.
    assert designer.get(f"/api/v1/questionnaire-versions/{v1['id']}").json["status"] == "retired"


def test_export_then_import_makes_a_new_draft_or_questionnaire(designer):
    v1 = create(designer)
    exported = designer.get(f"/api/v1/questionnaire-versions/{v1['id']}/export")
    assert exported.status_code == 200 and "attachment" in exported.headers["Content-Disposition"]
    definition = exported.json
    designer.post(f"/api/v1/questionnaire-versions/{v1['id']}/publish")
    again = designer.post("/api/v1/questionnaires/import", json={"definition": definition})
    assert again.status_code == 201 and again.json["number"] == 2 and again.json["status"] == "draft"
    assert_error(
        designer.post("/api/v1/questionnaires/import", json={"definition": definition}), 409, "draft_exists"
    )
    other = designer.post(
        "/api/v1/questionnaires/import", json={"definition": {**definition, "code": "copy_of_it"}}
    )
    assert other.status_code == 201 and other.json["questionnaire"]["code"] == "copy_of_it"
    broken = assert_error(
        designer.post("/api/v1/questionnaires/import", json={"definition": {"code": "x"}}),
        422,
        "definition_invalid",
    )
    assert broken["details"]["problems"][0]["code"] == "schema"


def test_everyone_reads_published_versions_only(login_as, builtins):
    specialist = login_as("specialist", institution="370102")
    designer = login_as("designer")
    draft = create(designer)
    listed = specialist.get("/api/v1/questionnaires").json["items"]
    assert {i["questionnaire"]["code"] for i in listed} == {
        "new_business",
        "new_business_new_type",
        "grace_period",
        "after_grace",
        "surrender_claim",
        "explanation",
        "re_sign",
        "phone_new_business",
        "phone_grace_period",
        "phone_after_grace",
        "phone_surrender_claim",
    }
    assert all(i["draft"] is None and not i["editable"] for i in listed)
    assert_error(specialist.get(f"/api/v1/questionnaire-versions/{draft['id']}"), 404, "not_found")
    assert_error(specialist.get(f"/api/v1/questionnaires/{draft['questionnaire']['id']}"), 404, "not_found")
    published = specialist.get("/api/v1/questionnaires/by-code/grace_period/published")
    assert published.status_code == 200 and published.json["definition"]["code"] == "grace_period"
    assert_error(
        specialist.get("/api/v1/questionnaires/by-code/home_visit/published"),
        404,
        "questionnaire_not_published",
    )


@pytest.mark.parametrize(
    "role", ["specialist", "reviewer", "supervisor", "phone_agent", "compliance_officer"]
)
def test_only_designers_and_administrators_edit(login_as, builtins, role):
    caller = login_as(role)
    version = services.published_version("new_business")
    assert_error(
        caller.post("/api/v1/questionnaires", json={"code": "x_y", "name": "x", "item": "other"}),
        403,
        "forbidden",
    )
    assert_error(caller.post(f"/api/v1/questionnaire-versions/{version.id}/retire"), 403, "forbidden")
    assert_error(
        caller.post(f"/api/v1/questionnaires/{version.questionnaire_id}/versions", json={}), 403, "forbidden"
    )
    assert_error(
        caller.post("/api/v1/questionnaires/import", json={"definition": version.definition}),
        403,
        "forbidden",
    )
    assert caller.get(f"/api/v1/questionnaire-versions/{version.id}").status_code == 200


def test_administrator_may_edit(login_as, seeded):
    admin = login_as("admin")
    create(admin, code="by_admin")


def test_a_city_designer_cannot_change_the_provinces_questionnaires(login_as, builtins):
    city = login_as("designer", institution="3701")
    version = services.published_version("new_business")
    body = assert_error(
        city.post(f"/api/v1/questionnaires/{version.questionnaire_id}/versions", json={}),
        403,
        "questionnaire_not_editable",
    )
    assert body["message_en"]
    assert_error(
        city.post(f"/api/v1/questionnaire-versions/{version.id}/retire"), 403, "questionnaire_not_editable"
    )
    # Its own questionnaire, owned by the city, is hidden from a designer of another city until published.
    own = create(city, code="jinan_extra")
    qingdao = login_as("designer", institution="3702")
    assert_error(qingdao.get(f"/api/v1/questionnaire-versions/{own['id']}"), 404, "not_found")
    province = login_as("designer", institution="37")
    assert province.get(f"/api/v1/questionnaire-versions/{own['id']}").status_code == 200


def test_preview_reports_relevance_errors_and_signers(login_as, builtins):
    specialist = login_as("specialist", institution="370102")
    version = services.published_version("new_business")
    body = specialist.post(
        f"/api/v1/questionnaire-versions/{version.id}/preview",
        json={
            "policy": TRADITIONAL,
            "answers": {"holder_present": True, "holder_id_check": "0000"},
            "signatures": {},
        },
    ).json
    assert "bank_insurer" not in body["relevant"] and "payment_period" in body["relevant"]
    assert body["required_signers"] == ["holder", "insured", "specialist"]
    assert ("holder_id_check", "identity_mismatch") in {(e["question_id"], e["code"]) for e in body["errors"]}


def test_schema_and_catalog_are_served(login_as, seeded):
    caller = login_as("specialist", institution="370102")
    schema = caller.get("/api/v1/questionnaires/schema").json
    assert schema["$schema"].startswith("https://json-schema.org/draft/2020-12")
    catalog = caller.get("/api/v1/questionnaires/catalog").json
    assert catalog["facts"]["channel"]["values"][:2] == ["agency", "bank"]
    assert "holder_id_number" not in catalog["facts"]
    assert {"premium", "grace_end", "fee_items"} <= {p["name"] for p in catalog["placeholders"]}
    assert len(catalog["question_types"]) == 10
    assert "==" not in catalog["operators"]


def test_problem_categories_are_an_editable_taxonomy(login_as, seeded):
    compliance = login_as("compliance_officer")
    items = compliance.get("/api/v1/problem-categories").json["items"]
    assert {"misleading_sale", "premium_misappropriated", "proxy_signature", "money_not_received"} <= {
        i["code"] for i in items
    }
    assert next(i for i in items if i["code"] == "proxy_signature")["name"] == "代签名"
    made = compliance.post(
        "/api/v1/problem-categories",
        json={"code": "fake_documents", "name": "资料造假", "name_en": "Forged papers"},
    )
    assert made.status_code == 201
    assert_error(
        compliance.post(
            "/api/v1/problem-categories", json={"code": "fake_documents", "name": "x", "name_en": "x"}
        ),
        409,
        "problem_category_code_taken",
    )
    off = compliance.patch(f"/api/v1/problem-categories/{made.json['id']}", json={"active": False})
    assert off.status_code == 200 and off.json["active"] is False
    active = compliance.get("/api/v1/problem-categories").json["items"]
    assert "fake_documents" not in {i["code"] for i in active}
    designer = login_as("designer")
    assert_error(
        designer.post("/api/v1/problem-categories", json={"code": "a_b", "name": "x", "name_en": "x"}),
        403,
        "forbidden",
    )
    # A deactivated category cannot be used in a definition.
    draft = create(designer)
    definition = with_question(
        draft["definition"], id="forged", problem_when=True, problem_category="fake_documents"
    )
    assert_error(
        designer.patch(f"/api/v1/questionnaire-versions/{draft['id']}", json={"definition": definition}),
        422,
        "definition_invalid",
    )


def test_load_templates_is_idempotent(app_ctx, org):
    first = services.load_templates()
    assert {r.action for r in first} == {"created"}
    assert {r.action for r in services.load_templates()} == {"unchanged"}
    assert {r.action for r in services.load_templates(update=True)} == {"unchanged"}
    assert len(db.session.scalars(select(Questionnaire)).all()) == 11  # 7 visit and 4 phone templates
    assert all(services.published_version(r.code).number == 1 for r in first)


def test_load_templates_command(app, org):
    result = app.test_cli_runner().invoke(args=["huifang", "load-templates"])
    assert result.exit_code == 0, result.output
    assert "new_business" in result.output and "created" in result.output


def test_demo_data_includes_the_published_templates(app_ctx):
    from server import demo

    demo.load()
    demo.load()
    assert services.published_version("explanation") is not None
