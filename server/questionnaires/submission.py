"""A submitted answer set checked against its questionnaire version, as plain data.

``validate_submission`` is what the sync push calls for every returned visit (and the designer's
preview calls through the API): no request, no session, only the definition, the policy facts, the
answers and the signatures. The tablet computes the same relevance with
``pwa/src/shared/questionnaire/logic.js``; ``tests/vectors/questionnaire_logic.json`` keeps them equal.
"""

from __future__ import annotations

from typing import Any

from server.questionnaires import logic
from server.questionnaires.fields import FIELDS, Issue
from server.questionnaires.fields.signature import SIGNERS as SIGNER_NAMES


def _definition(version: Any) -> dict:
    return version.definition if hasattr(version, "definition") else version


def relevant_questions(version: Any, facts: dict, answers: dict) -> list[str]:
    """Ids of the questions the specialist must put, in order.

    Rules are evaluated in document order over the answers of the relevant questions before, so an
    answer left behind by a question that has since become irrelevant changes nothing.
    """
    definition = _definition(version)
    effective: dict[str, Any] = {}
    relevant: list[str] = []
    for section in definition.get("sections", []):
        section_on = logic.holds(section.get("relevant"), {"answers": dict(effective), "policy": facts})
        for question in section.get("questions", []):
            if not section_on:
                continue
            if not logic.holds(question.get("relevant"), {"answers": dict(effective), "policy": facts}):
                continue
            relevant.append(question["id"])
            if FIELDS[question["type"]].answered and question["id"] in answers:
                effective[question["id"]] = answers[question["id"]]
    return relevant


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _error(question_id: str | None, code: str, zh: str, en: str, details: dict | None = None) -> dict:
    return {
        "question_id": question_id,
        "code": code,
        "message": zh,
        "message_en": en,
        "details": details or {},
    }


def _from_issue(question_id: str, issue: Issue) -> dict:
    return _error(question_id, issue.code, issue.message, issue.message_en, issue.details)


def expected_signers(version: Any, facts: dict, answers: dict) -> list[str]:
    """R7/R13: the policy's required signers plus the signer of every relevant signature question."""
    definition = _definition(version)
    relevant = set(relevant_questions(definition, facts, answers))
    wanted = logic.required_signers(facts)
    for _, _, _, question in _questions(definition):
        if (
            question["type"] == "signature"
            and question["id"] in relevant
            and question["signer"] not in wanted
        ):
            wanted.append(question["signer"])
    return [s for s in logic.SIGNERS if s in wanted]


def _questions(definition: dict):
    for s_index, section in enumerate(definition.get("sections", [])):
        for q_index, question in enumerate(section.get("questions", [])):
            yield s_index, section, q_index, question


def validate_submission(version: Any, facts: dict, answers: Any, signatures: Any) -> list[dict]:
    """Every error of a submission; [] when it is complete and consistent.

    Each error: ``{question_id, code, message (中文), message_en, details}``. Checks: required answers
    for relevant questions only; no answers to irrelevant or unknown questions; each answer's type and
    constraint; the identity check against the policy's ID number; the required signatures present.
    """
    definition = _definition(version)
    if not isinstance(answers, dict):
        return [_error(None, "answers_type", "答案格式有误", "answers must be an object")]
    if not isinstance(signatures, dict):
        return [
            _error(None, "signatures_type", "签名格式有误", "signatures must be an object keyed by signer")
        ]
    questions = {q["id"]: q for _, _, _, q in _questions(definition)}
    relevant = set(relevant_questions(definition, facts, answers))
    errors: list[dict] = []

    for qid in answers:
        question = questions.get(qid)
        if question is None or not FIELDS[question["type"]].answered:
            errors.append(
                _error(qid, "unknown_question", "问卷中没有这道题", "No such question in this version")
            )
        elif qid not in relevant and not _empty(answers[qid]):
            errors.append(
                _error(
                    qid,
                    "not_relevant",
                    "此题按保单情况和前面的回答无需询问，不应有答案",
                    "This question does not apply to this policy and answers, so it must not be answered",
                )
            )

    effective = {qid: v for qid, v in answers.items() if qid in relevant}
    for qid, question in questions.items():
        field = FIELDS[question["type"]]
        if qid not in relevant or not field.answered:
            continue
        value = answers.get(qid)
        if _empty(value):
            if question.get("required", True):
                errors.append(_error(qid, "required", "此题必须回答", "This question must be answered"))
            continue
        issues = field.check_answer(value, question, facts)
        if issues:
            errors.extend(_from_issue(qid, issue) for issue in issues)
            continue
        data = {"answers": effective, "policy": facts, "value": value}
        if not logic.holds(question.get("constraint"), data):
            errors.append(
                _error(
                    qid,
                    "constraint",
                    question.get("constraint_message") or "答案不符合本题要求",
                    question.get("constraint_message_en") or "The answer does not meet this question's rule",
                )
            )

    wanted = expected_signers(definition, facts, answers)
    box = {q["signer"]: qid for qid, q in questions.items() if q["type"] == "signature"}
    for signer in wanted:
        if not signatures.get(signer):
            zh, en = SIGNER_NAMES[signer]
            errors.append(
                _error(
                    box.get(signer),
                    "signature_missing",
                    f"缺少{zh}签名",
                    f"The {en.lower()}'s signature is missing",
                )
            )
    for signer in signatures:
        if signer not in wanted and signatures[signer]:
            errors.append(
                _error(
                    box.get(signer),
                    "signature_not_expected",
                    "此签名人无需签名",
                    f"No signature is expected from {signer!s:.32}",
                )
            )
    return errors


def problems_found(version: Any, facts: dict, answers: dict) -> list[dict]:
    """The problem categories the answers signal (R16), each with its question: what a problem case gets."""
    definition = _definition(version)
    relevant = relevant_questions(definition, facts, answers)
    questions = {q["id"]: q for _, _, _, q in _questions(definition)}
    found = []
    for qid in relevant:
        question = questions[qid]
        if qid in answers and not _empty(answers[qid]):
            for code in FIELDS[question["type"]].problems(answers[qid], question):
                found.append({"question_id": qid, "category": code})
    return found
