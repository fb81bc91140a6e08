"""Questionnaires (R6–R10, R14, R15): versions, publishing, the problem taxonomy, built-in templates.

Rules of the game:
- a draft is editable; a published or retired version never changes (409 ``version_immutable``);
- one draft at a time per questionnaire; publishing checks the whole definition again;
- R6: the content is province-wide: every signed-in user reads published versions; designers (and
  administrators) edit questionnaires owned by an institution in their subtree;
- every publish and retire is audited.

``validate_submission`` (re-exported from ``submission``) is pure and is what the sync push calls.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from server.audit import services as audit
from server.dbtypes import utcnow
from server.errors import HuifangError, not_found
from server.extensions import db
from server.institutions.models import Institution
from server.questionnaires import definition as defs
from server.questionnaires import logic
from server.questionnaires.models import DRAFT, PUBLISHED, RETIRED, ProblemCategory, Questionnaire
from server.questionnaires.models import QuestionnaireVersion as Version
from server.questionnaires.submission import (
    expected_signers,
    problems_found,
    relevant_questions,
    validate_submission,
)
from server.scoping import Scope
from server.sync import changes
from server.users.models import User
from server.users.roles import ADMIN, DESIGNER

EDITORS = (DESIGNER, ADMIN)
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

# (code, 中文, English, reportable under R16)
SEED_CATEGORIES = (
    ("misleading_sale", "销售误导", "Misleading sale", True),
    (
        "premium_misappropriated",
        "业务员挪用或截留保费",
        "Premium held back or misused by a salesperson",
        True,
    ),
    ("proxy_signature", "代签名", "Signed by someone else", False),
    ("unsigned", "资料未签名", "Documents not signed", False),
    ("money_not_received", "未收到款项", "Did not receive the money", True),
    ("not_policyholder", "非投保人本人", "Not the policyholder", False),
    ("not_understood", "不清楚保单权益", "Unclear about the policy's rights", False),
    ("dissatisfied", "对服务不满意", "Dissatisfied with the service", False),
    ("wants_cancel", "要求撤单或退保", "Wants to cancel or surrender", False),
    # Found by review, the confirming phone callback (R14) and letter callbacks (R13).
    ("visit_not_confirmed", "客户称未上门面访", "Customer says no visit took place", True),
    ("signature_not_genuine", "签名非本人所签", "Signature not the customer's own", True),
    ("visit_rejected", "面访审核不通过", "Visit rejected at review", False),
    ("letter_rejected", "信函回访审核不通过", "Returned letter rejected at review", False),
    ("other", "其他", "Other", False),
)


# ---------------------------------------------------------------- problem categories


def ensure_problem_categories() -> int:
    """Add the seeded categories that are missing (idempotent); the number added."""
    have = set(db.session.scalars(select(ProblemCategory.code)))
    added = 0
    for order, (code, zh, en, reportable) in enumerate(SEED_CATEGORIES):
        if code not in have:
            db.session.add(
                ProblemCategory(
                    code=code, name=zh, name_en=en, reportable=reportable, sort_order=(order + 1) * 10
                )
            )
            added += 1
    db.session.flush()
    return added


def list_categories(include_inactive: bool = True) -> list[ProblemCategory]:
    stmt = select(ProblemCategory).order_by(ProblemCategory.sort_order, ProblemCategory.id)
    if not include_inactive:
        stmt = stmt.where(ProblemCategory.active.is_(True))
    return list(db.session.scalars(stmt))


def active_category_codes() -> set[str]:
    return set(db.session.scalars(select(ProblemCategory.code).where(ProblemCategory.active.is_(True))))


def create_category(data: dict) -> ProblemCategory:
    if db.session.scalars(select(ProblemCategory.id).where(ProblemCategory.code == data["code"])).first():
        raise HuifangError(
            "problem_category_code_taken",
            f"问题类别代码 {data['code']} 已存在",
            f"Problem category code {data['code']} is taken",
            409,
        )
    category = ProblemCategory(**data)
    db.session.add(category)
    db.session.flush()
    audit.record("problem_category_created", target=category, code=category.code)
    db.session.commit()
    return category


def update_category(category_id: int, changes: dict) -> ProblemCategory:
    category = db.session.get(ProblemCategory, category_id)
    if category is None:
        raise not_found("问题类别", "problem category")
    before = {key: getattr(category, key) for key in changes}
    for key, value in changes.items():
        setattr(category, key, value)
    audit.record("problem_category_updated", target=category, before=before, after=changes)
    db.session.commit()
    return category


# ---------------------------------------------------------------- reading


def is_editor(user: User) -> bool:
    return user.has_role(*EDITORS)


def _editable_by(user: User, questionnaire: Questionnaire) -> bool:
    return is_editor(user) and Scope.of(user).contains(
        db.session.get(Institution, questionnaire.institution_id)
    )


def list_questionnaires(user: User) -> list[dict]:
    """Editors see what they may edit plus everything published; others see what is published."""
    rows = db.session.scalars(select(Questionnaire).order_by(Questionnaire.code)).all()
    out = []
    for row in rows:
        editable = _editable_by(user, row)
        published = [v for v in row.versions if v.status == PUBLISHED]
        if not editable and not published:
            continue
        draft = next((v for v in row.versions if v.status == DRAFT), None)
        out.append(
            {
                "questionnaire": row,
                "editable": editable,
                "published": published[-1] if published else None,
                "draft": draft if editable else None,
                "version_count": len(row.versions),
            }
        )
    return out


def get_questionnaire(user: User, questionnaire_id: int) -> dict:
    row = db.session.get(Questionnaire, questionnaire_id)
    if row is None:
        raise not_found("问卷", "questionnaire")
    editable = _editable_by(user, row)
    versions = [v for v in row.versions if editable or v.status != DRAFT]
    if not versions and not editable:
        raise not_found("问卷", "questionnaire")
    return {"questionnaire": row, "editable": editable, "versions": versions}


def get_version(user: User, version_id: int) -> Version:
    """A version the user may read: published and retired ones for everyone, drafts for their editors."""
    version = db.session.get(Version, version_id)
    if version is None or (version.status == DRAFT and not _editable_by(user, version.questionnaire)):
        raise not_found("问卷版本", "questionnaire version")
    return version


def published_version(code: str) -> Version | None:
    """The version new visits of this questionnaire should bind: its newest published one (or None).

    For server/tasks: the rule table maps a task to a questionnaire code, this gives the version.
    """
    stmt = (
        select(Version)
        .join(Questionnaire)
        .where(Questionnaire.code == code, Version.status == PUBLISHED)
        .order_by(Version.number.desc())
        .limit(1)
    )
    return db.session.scalars(stmt).first()


def published_by_code(code: str) -> Version:
    version = published_version(code)
    if version is None:
        raise HuifangError(
            "questionnaire_not_published",
            f"问卷 {code} 没有已发布的版本",
            f"Questionnaire {code} has no published version",
            404,
        )
    return version


# ---------------------------------------------------------------- writing


def _editable_questionnaire(user: User, questionnaire_id: int) -> Questionnaire:
    row = db.session.get(Questionnaire, questionnaire_id)
    if row is None or not _editable_by(user, row):
        # Out of scope answers as missing when it is not readable at all, else as forbidden.
        if row is not None and any(v.status != DRAFT for v in row.versions):
            raise HuifangError(
                "questionnaire_not_editable",
                "该问卷不属于您所在机构，不能修改",
                "This questionnaire belongs to an institution outside yours and cannot be changed here",
                403,
            )
        raise not_found("问卷", "questionnaire")
    return row


def _draft(user: User, version_id: int) -> Version:
    version = db.session.get(Version, version_id)
    if version is None:
        raise not_found("问卷版本", "questionnaire version")
    _editable_questionnaire(user, version.questionnaire_id)
    if version.status != DRAFT:
        raise immutable(version)
    return version


def immutable(version: Version) -> HuifangError:
    status_zh = {PUBLISHED: "已发布", RETIRED: "已停用"}[version.status]
    return HuifangError(
        "version_immutable",
        f"该问卷版本{status_zh}，不能修改；请新建草稿版本",
        f"This questionnaire version is {version.status} and cannot change; make a new draft version",
        409,
        {"version_id": version.id, "status": version.status},
    )


def _invalid(problems: list[dict]) -> HuifangError:
    first = problems[0]
    return HuifangError(
        "definition_invalid",
        f"问卷定义有误（共{len(problems)}处）：{first['message']}",
        f"The questionnaire definition has {len(problems)} problem(s): {first['message_en']}",
        422,
        {"problems": problems},
    )


def _check(questionnaire: Questionnaire, definition: dict, *, publishing: bool = False) -> None:
    problems = defs.check_definition(definition, active_category_codes())
    if not problems and definition["code"] != questionnaire.code:
        problems.append(
            {
                "path": "code",
                "code": "code_mismatch",
                "message": f"问卷代码应为 {questionnaire.code}",
                "message_en": f"The code must stay {questionnaire.code}",
            }
        )
    if not problems:
        problems += _type_changes(questionnaire, definition)
    if not problems and publishing:
        problems += defs.check_publishable(definition)
    if problems:
        raise _invalid(problems)


def _type_changes(questionnaire: Questionnaire, definition: dict) -> list[dict]:
    """Stable ids: a question id once published keeps its type (answers across versions stay comparable)."""
    known: dict[str, str] = {}
    for version in questionnaire.versions:
        if version.status != DRAFT:
            known.update({qid: q["type"] for qid, q in defs.questions_by_id(version.definition).items()})
    return [
        {
            "path": qid,
            "question_id": qid,
            "code": "question_type_changed",
            "message": f"题目 {qid} 已发布为“{known[qid]}”类型，不能改为其他类型；请用新的编号",
            "message_en": f"Question {qid} was published as {known[qid]}; use a new id for a different type",
        }
        for qid, q in defs.questions_by_id(definition).items()
        if qid in known and known[qid] != q["type"]
    ]


def starter_definition(code: str, name: str, item: str) -> dict:
    """A new questionnaire's first draft: an identity check and the signatures R7 and R13 ask for."""
    return {
        "schema_version": 1,
        "code": code,
        "title": name,
        "item": item,
        "intro": "您好，我是{institution_name}的客户服务专员，今天上门对您的保单{policy_number}进行回访。",
        "sections": [
            {
                "id": "identity",
                "title": "身份核实",
                "title_en": "Identity",
                "questions": [
                    {
                        "id": "holder_id_check",
                        "type": "identity_check",
                        "text": "请您出示身份证件，并说出您证件号码的后四位。",
                        "text_en": "Please show your ID and say its last four characters.",
                        "match": "last_digits",
                        "digits": 4,
                        "clauses": ["R7.identity"],
                    }
                ],
            },
            signature_section(),
        ],
    }


def signature_section() -> dict:
    return {
        "id": "signatures",
        "title": "签名确认",
        "title_en": "Signatures",
        "questions": [
            {
                "id": "sign_holder",
                "type": "signature",
                "signer": "holder",
                "text": "请投保人{holder_name}本人确认以上回访内容属实并签名。",
                "text_en": "The policyholder confirms the answers above and signs.",
                "clauses": ["R13.holder_signs"],
            },
            {
                "id": "sign_insured",
                "type": "signature",
                "signer": "insured",
                "relevant": logic.INSURED_SIGNS,
                "text": "本合同以死亡为给付保险金条件，请被保险人{insured_name}本人签名确认。",
                "text_en": "The contract pays on death: the insured signs too.",
                "clauses": ["R7.insured_signature"],
            },
            {
                "id": "sign_specialist",
                "type": "signature",
                "signer": "specialist",
                "text": "客户服务专员确认本次回访由本人当面完成、记录如实，并签名。",
                "text_en": "The specialist confirms the visit happened in person and was recorded truly.",
            },
        ],
    }


def _new_version(questionnaire: Questionnaire, definition: dict, user: User | None, note=None) -> Version:
    number = (
        db.session.scalar(
            select(func.max(Version.number)).where(Version.questionnaire_id == questionnaire.id)
        )
        or 0
    ) + 1
    version = Version(
        questionnaire=questionnaire,
        number=number,
        status=DRAFT,
        definition=definition,
        content_hash=defs.content_hash(definition),
        note=note,
        created_by_id=user.id if user else None,
    )
    db.session.add(version)
    db.session.flush()
    return version


def create_questionnaire(user: User, data: dict) -> Version:
    """A new questionnaire with its first draft (the given definition, or a starter)."""
    code = data["code"]
    if db.session.scalars(select(Questionnaire.id).where(Questionnaire.code == code)).first():
        raise HuifangError(
            "questionnaire_code_taken", f"问卷代码 {code} 已存在", f"Questionnaire code {code} is taken", 409
        )
    definition = data.get("definition") or starter_definition(code, data["name"], data["item"])
    questionnaire = Questionnaire(
        code=code, name=data["name"], item=data["item"], institution_id=user.institution_id
    )
    db.session.add(questionnaire)
    db.session.flush()
    _check(questionnaire, definition)
    version = _new_version(questionnaire, definition, user)
    audit.record(
        "questionnaire_created", target=questionnaire, institution_id=questionnaire.institution_id, code=code
    )
    db.session.commit()
    return version


def new_draft(user: User, questionnaire_id: int, from_version_id: int | None = None) -> Version:
    """A new draft copied from a version (default: the newest)."""
    questionnaire = _editable_questionnaire(user, questionnaire_id)
    existing = next((v for v in questionnaire.versions if v.status == DRAFT), None)
    if existing is not None:
        raise HuifangError(
            "draft_exists",
            f"该问卷已有草稿版本 V{existing.number}，请先编辑或删除它",
            f"This questionnaire already has a draft (version {existing.number})",
            409,
            {"version_id": existing.id},
        )
    source = questionnaire.versions[-1] if questionnaire.versions else None
    if from_version_id is not None:
        source = next((v for v in questionnaire.versions if v.id == from_version_id), None)
        if source is None:
            raise not_found("问卷版本", "questionnaire version")
    definition = (
        json.loads(json.dumps(source.definition))
        if source
        else starter_definition(questionnaire.code, questionnaire.name, questionnaire.item)
    )
    version = _new_version(questionnaire, definition, user)
    db.session.commit()
    return version


def update_draft(user: User, version_id: int, data: dict) -> Version:
    version = _draft(user, version_id)
    if "definition" in data:
        _check(version.questionnaire, data["definition"])
        version.definition = data["definition"]
        version.content_hash = defs.content_hash(data["definition"])
    if "note" in data:
        version.note = data["note"]
    db.session.commit()
    return version


def delete_draft(user: User, version_id: int) -> None:
    version = _draft(user, version_id)
    questionnaire = version.questionnaire
    db.session.delete(version)
    db.session.commit()
    db.session.expire(questionnaire)


def publish(user: User | None, version_id: int, *, check_user: bool = True) -> Version:
    version = _draft(user, version_id) if check_user else db.session.get(Version, version_id)
    if version.status != DRAFT:
        raise immutable(version)
    questionnaire = version.questionnaire
    _check(questionnaire, version.definition, publishing=True)
    version.status = PUBLISHED
    version.published_at = utcnow()
    changes.record("questionnaire_version", version.id, None)  # every tablet pulls it
    version.published_by_id = user.id if user else None
    questionnaire.name = version.definition["title"]
    questionnaire.item = version.definition["item"]
    audit.record(
        "questionnaire_published",
        target=version,
        actor=user,
        institution_id=questionnaire.institution_id,
        code=questionnaire.code,
        number=version.number,
        content_hash=version.content_hash,
    )
    db.session.commit()
    return version


def retire(user: User, version_id: int) -> Version:
    """No new visit binds a retired version; visits that already did keep it (and it stays readable)."""
    version = db.session.get(Version, version_id)
    if version is None:
        raise not_found("问卷版本", "questionnaire version")
    _editable_questionnaire(user, version.questionnaire_id)
    if version.status != PUBLISHED:
        raise HuifangError(
            "version_not_published",
            "只有已发布的版本可以停用（草稿可直接删除）",
            "Only a published version can be retired (delete a draft instead)",
            409,
            {"status": version.status},
        )
    version.status = RETIRED
    version.retired_at = utcnow()
    version.retired_by_id = user.id
    changes.record("questionnaire_version", version.id, None)  # tablets stop starting visits with it
    audit.record(
        "questionnaire_retired",
        target=version,
        institution_id=version.questionnaire.institution_id,
        code=version.questionnaire.code,
        number=version.number,
    )
    db.session.commit()
    return version


def import_definition(user: User, definition: dict) -> Version:
    """An exported definition back in: a new questionnaire, or a new draft of the one with its code."""
    problems = defs.check_definition(definition, active_category_codes())
    if problems:
        raise _invalid(problems)
    code = definition["code"]
    questionnaire = db.session.scalars(select(Questionnaire).where(Questionnaire.code == code)).first()
    if questionnaire is None:
        return create_questionnaire(
            user,
            {"code": code, "name": definition["title"], "item": definition["item"], "definition": definition},
        )
    draft = new_draft(user, questionnaire.id)
    return update_draft(user, draft.id, {"definition": definition, "note": "导入 imported"})


def diff_versions(user: User, old_id: int, new_id: int) -> dict:
    old, new = get_version(user, old_id), get_version(user, new_id)
    if old.questionnaire_id != new.questionnaire_id:
        raise HuifangError(
            "versions_of_different_questionnaires",
            "只能比较同一问卷的两个版本",
            "Only two versions of one questionnaire can be compared",
            422,
        )
    return {"from_version": old, "to_version": new, **defs.diff(old.definition, new.definition)}


def preview(user: User, version_id: int, data: dict) -> dict:
    """What the server says of a sample answer set: relevance, errors, signers, problems."""
    version = get_version(user, version_id)
    facts, answers, signatures = data.get("policy", {}), data.get("answers", {}), data.get("signatures", {})
    return {
        "relevant": relevant_questions(version, facts, answers),
        "required_signers": expected_signers(version, facts, answers),
        "errors": validate_submission(version, facts, answers, signatures),
        "problems": problems_found(version, facts, answers),
    }


# ---------------------------------------------------------------- built-in templates


def template_files() -> list[Path]:
    return sorted(TEMPLATES_DIR.glob("*.json"))


def read_template(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass
class TemplateResult:
    code: str
    action: str  # created | updated | unchanged | draft_pending
    version: int | None


def load_templates(*, update: bool = False) -> list[TemplateResult]:
    """Load the built-in province templates, published, owned by the province (idempotent).

    A template whose code is missing is created and published. One that exists is left alone, unless
    ``update`` is set and its content differs from every version: then it becomes a new published
    version (a pending draft blocks that, so a designer's work is never overwritten).
    """
    root = db.session.scalars(
        select(Institution).where(Institution.parent_id.is_(None)).order_by(Institution.id)
    ).first()
    if root is None:
        raise HuifangError(
            "no_institution", "请先创建省级机构", "Create the province first (huifang bootstrap)", 409
        )
    ensure_problem_categories()
    results = []
    for path in template_files():
        definition = read_template(path)
        code = definition["code"]
        questionnaire = db.session.scalars(select(Questionnaire).where(Questionnaire.code == code)).first()
        if questionnaire is None:
            questionnaire = Questionnaire(
                code=code,
                name=definition["title"],
                item=definition["item"],
                institution_id=root.id,
                builtin=True,
            )
            db.session.add(questionnaire)
            db.session.flush()
            action = "created"
        else:
            digest = defs.content_hash(definition)
            if not update or any(v.content_hash == digest for v in questionnaire.versions):
                results.append(TemplateResult(code, "unchanged", None))
                continue
            if any(v.status == DRAFT for v in questionnaire.versions):
                results.append(TemplateResult(code, "draft_pending", None))
                continue
            action = "updated"
        _check(questionnaire, definition, publishing=True)
        version = _new_version(questionnaire, definition, None, note="内置模板 built-in template")
        publish(None, version.id, check_user=False)
        results.append(TemplateResult(code, action, version.number))
    db.session.commit()
    return results
