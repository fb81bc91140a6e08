"""How questionnaires take part in sync: versions reach tablets, pushed answers are checked.

- A publish or a retirement is a broadcast change in the pull sequence; the pull attaches the
  version (definition, number, status, content hash) so a tablet carries exactly what head office
  published, offline.
- A task's visit uses the newest published version of the task's questionnaire.
- Every pushed visit that was completed is validated against the version it names, with the
  task's policy facts: wrong answers reject the record (it stays on the tablet with the reasons);
  an identity check that does not match keeps the visit and flags it for the reviewer, because it
  is exactly the evidence a reviewer must see (R7, R13).
"""

from __future__ import annotations

from server.extensions import db
from server.policies.facts import build_facts
from server.questionnaires.models import Questionnaire, QuestionnaireVersion
from server.questionnaires.services import published_version
from server.questionnaires.submission import validate_submission
from server.sync import services as sync
from sync.records import Problem

# Evidence for the reviewer, not a reason to refuse the record.
FLAG_CODES = {"identity_mismatch": "identity_mismatch", "identity_unverifiable": "identity_unverifiable"}


def render_version(version_id: int) -> dict | None:
    version = db.session.get(QuestionnaireVersion, version_id)
    if version is None:
        return None
    questionnaire = db.session.get(Questionnaire, version.questionnaire_id)
    return {
        "id": version.id,
        "code": questionnaire.code,
        "number": version.number,
        "status": version.status,
        "content_hash": version.content_hash,
        "definition": version.definition,
    }


def version_for(code: str) -> int | None:
    version = published_version(code)
    return version.id if version else None


def check_visit(record: dict, task, user) -> tuple[list[Problem], list[str]]:
    if record.get("outcome") != "completed":
        return [], []  # not at home, refused, ...: nothing was asked, nothing to check
    version_id = record.get("questionnaire_version_id")
    version = db.session.get(QuestionnaireVersion, version_id) if isinstance(version_id, int) else None
    if version is None or version.status == "draft":
        return [
            Problem(
                "questionnaire_version_unknown",
                "问卷版本不存在或未发布",
                "The questionnaire version does not exist or was never published",
                "questionnaire_version_id",
            )
        ], []
    questionnaire = db.session.get(Questionnaire, version.questionnaire_id)
    if questionnaire.code != task.questionnaire_code:
        return [
            Problem(
                "questionnaire_mismatch",
                "所用问卷与任务要求的问卷不符",
                "The visit used another questionnaire than the task's",
                "questionnaire_version_id",
            )
        ], []
    signatures = {
        ref["signer"]: ref["sha256"]
        for ref in record.get("media", [])
        if ref.get("kind") == "signature_strokes" and ref.get("signer")
    }
    errors = validate_submission(version, build_facts(task.policy, task), record.get("answers"), signatures)
    problems, flags = [], []
    for error in errors:
        if error["code"] in FLAG_CODES:
            flags.append(FLAG_CODES[error["code"]])
        else:
            where = f"answers/{error['question_id']}" if error.get("question_id") else "answers"
            problems.append(Problem(error["code"], error["message"], error["message_en"], where))
    return problems, flags


def register() -> None:
    if check_visit not in sync.record_validators:
        sync.record_validators.append(check_visit)
        sync.version_lookup.append(version_for)
        sync.pull_renderers["questionnaire_version"] = render_version
