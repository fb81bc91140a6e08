"""A questionnaire definition: its JSON Schema, the checks beyond the schema, and the diff of two.

Plain data in, plain data out (no Flask, no database): the designer's save, the publish step, the
template loader and the tests all call ``check_definition``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from server.questionnaires import logic, placeholders
from server.questionnaires.fields import FIELDS, field_for

SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "questionnaire.schema.json"

RULE_MESSAGES = {
    "loose_equality": "请使用 === 或 !== 比较（== 与 != 在服务器和平板上结果不一致）",
    "unknown_operator": "规则使用了不支持的运算符",
    "unknown_question": "规则引用了不存在或排在后面的题目",
    "unknown_fact": "规则引用了不存在的保单要素",
    "server_only_fact": "规则引用了只保存在服务器上的要素",
    "var_path": "变量须以 answers. 或 policy. 开头",
    "rule_shape": "规则格式有误：每个运算是只有一个运算符的对象",
    "empty_operation": "and / or 至少需要一个参数",
}


@cache
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


def canonical(definition: dict) -> str:
    return json.dumps(definition, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def content_hash(definition: dict) -> str:
    """SHA-256 of the canonical JSON: what a visit's evidence names, and how imports spot repeats."""
    return hashlib.sha256(canonical(definition).encode()).hexdigest()


def iter_questions(definition: dict) -> Iterator[tuple[int, dict, int, dict]]:
    """(section index, section, question index, question) in document order."""
    for s_index, section in enumerate(definition.get("sections", [])):
        for q_index, question in enumerate(section.get("questions", [])):
            yield s_index, section, q_index, question


def questions_by_id(definition: dict) -> dict[str, dict]:
    return {q["id"]: q for _, _, _, q in iter_questions(definition)}


def _problem(path: str, code: str, message: str, message_en: str, question_id: str | None = None) -> dict:
    found = {"path": path, "code": code, "message": message, "message_en": message_en}
    if question_id:
        found["question_id"] = question_id
    return found


def _json_path(error) -> str:
    out = ""
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "$"


def check_definition(definition: Any, categories: set[str] | None = None) -> list[dict]:
    """Every problem with a definition; [] when it may be saved.

    Each problem: ``{path, code, message (中文), message_en, question_id?}``. ``categories`` are the
    known problem category codes (None: not checked).
    """
    errors = sorted(_validator().iter_errors(definition), key=lambda e: list(e.absolute_path))
    if errors:
        return [
            _problem(
                _json_path(e),
                "schema",
                f"不符合问卷格式：{e.message}",
                f"Not a valid definition: {e.message}",
            )
            for e in errors[:50]
        ]

    problems: list[dict] = []
    seen: dict[str, str] = {}
    before: set[str] = set()
    signers: dict[str, str] = {}

    def texts(node: dict, path: str, keys=("title", "text", "hint", "intro", "closing")) -> None:
        for key in keys:
            for lang_key in (key, f"{key}_en"):
                for name in placeholders.unknown_in(node.get(lang_key, "")):
                    problems.append(
                        _problem(
                            f"{path}.{lang_key}" if path else lang_key,
                            "unknown_placeholder",
                            f"未知的占位符 {{{name}}}",
                            f"Unknown placeholder {{{name}}}",
                            node.get("id") if path and "questions" in path else None,
                        )
                    )

    def rule(node: dict, key: str, path: str, known: set[str], question_id: str | None, **kw) -> None:
        if key not in node or isinstance(node[key], bool):
            return
        for code, detail in logic.check_rule(node[key], known, **kw):
            problems.append(
                _problem(
                    f"{path}.{key}",
                    f"rule_{code}",
                    f"{RULE_MESSAGES.get(code, '规则有误')}：{detail}",
                    f"Rule: {detail}",
                    question_id,
                )
            )

    texts(definition, "")
    for s_index, section in enumerate(definition["sections"]):
        s_path = f"sections[{s_index}]"
        if section["id"] in seen:
            problems.append(
                _problem(
                    f"{s_path}.id",
                    "duplicate_id",
                    f"编号 {section['id']} 重复",
                    f"Duplicate id {section['id']}",
                )
            )
        seen[section["id"]] = s_path
        texts(section, s_path)
        rule(section, "relevant", s_path, set(before), None)
        for q_index, question in enumerate(section["questions"]):
            q_path = f"{s_path}.questions[{q_index}]"
            qid = question["id"]
            if qid in seen:
                problems.append(
                    _problem(f"{q_path}.id", "duplicate_id", f"编号 {qid} 重复", f"Duplicate id {qid}", qid)
                )
            seen[qid] = q_path
            texts(question, q_path)
            for c_index, choice in enumerate(question.get("choices", [])):
                texts(choice, f"{q_path}.choices[{c_index}]", keys=("label",))
            rule(question, "relevant", q_path, set(before), qid)
            rule(question, "constraint", q_path, before | {qid}, qid, allow_value=True)
            field = FIELDS[question["type"]]
            for detail in field.check_definition(question):
                code, _, en = detail.partition(": ")
                problems.append(_problem(q_path, code, f"题目设置有误：{en}", en, qid))
            if categories is not None:
                for code in sorted(field.categories(question) - categories):
                    problems.append(
                        _problem(
                            q_path,
                            "unknown_problem_category",
                            f"问题类别 {code} 不存在或已停用",
                            f"Problem category {code} does not exist or is inactive",
                            qid,
                        )
                    )
            if question["type"] == "signature":
                signer = question["signer"]
                if signer in signers:
                    problems.append(
                        _problem(
                            q_path,
                            "duplicate_signer",
                            f"同一签名人（{signer}）有两个签名题",
                            f"Two signature questions for {signer}",
                            qid,
                        )
                    )
                signers[signer] = qid
            if field.answered:
                before.add(qid)
    return problems


def check_publishable(definition: dict) -> list[dict]:
    """Beyond a valid draft: R13 the policyholder signs; the specialist confirms; R7 the insured signs."""
    if definition.get("channel", "visit") == "phone":
        return []  # a phone callback's script (R11): the customer signs nothing on the phone
    have = {q.get("signer") for _, _, _, q in iter_questions(definition) if q["type"] == "signature"}
    names = {"holder": "投保人", "insured": "被保险人", "specialist": "客户服务专员"}
    return [
        _problem(
            "sections",
            "signature_missing",
            f"问卷缺少{names[signer]}签名题",
            f"The questionnaire has no signature question for the {signer}",
        )
        for signer in logic.SIGNERS
        if signer not in have
    ]


# The keys of a question whose change the diff reports (everything but the id).
def diff(old: dict, new: dict) -> dict:
    """Questions and sections added, removed and changed between two definitions, matched by id."""
    old_q, new_q = questions_by_id(old), questions_by_id(new)

    def where(definition: dict) -> dict[str, str]:
        return {q["id"]: s["id"] for _, s, _, q in iter_questions(definition)}

    old_where, new_where = where(old), where(new)
    changed = []
    for qid in old_q.keys() & new_q.keys():
        keys = sorted(
            k for k in old_q[qid].keys() | new_q[qid].keys() if old_q[qid].get(k) != new_q[qid].get(k)
        )
        if old_where[qid] != new_where[qid]:
            keys.append("section")
        if keys:
            changed.append({"id": qid, "type": new_q[qid]["type"], "fields": keys})
    order = list(new_q)
    changed.sort(key=lambda c: order.index(c["id"]))
    old_s = {s["id"]: s for s in old.get("sections", [])}
    new_s = {s["id"]: s for s in new.get("sections", [])}
    section_changes = [
        sid
        for sid in new_s.keys() & old_s.keys()
        if {k: v for k, v in old_s[sid].items() if k != "questions"}
        != {k: v for k, v in new_s[sid].items() if k != "questions"}
    ]
    top = sorted(k for k in old.keys() | new.keys() if k != "sections" and old.get(k) != new.get(k))
    return {
        "added": [
            {"id": q, "type": new_q[q]["type"], "text": new_q[q]["text"]} for q in new_q if q not in old_q
        ],
        "removed": [
            {"id": q, "type": old_q[q]["type"], "text": old_q[q]["text"]} for q in old_q if q not in new_q
        ],
        "changed": changed,
        "sections_added": [s for s in new_s if s not in old_s],
        "sections_removed": [s for s in old_s if s not in new_s],
        "sections_changed": sorted(section_changes),
        "fields_changed": top,
    }


def field_types() -> list[dict]:
    return [{"type": name, "label": f.label, "label_en": f.label_en} for name, f in FIELDS.items()]


__all__ = [
    "canonical",
    "check_definition",
    "check_publishable",
    "content_hash",
    "diff",
    "field_for",
    "field_types",
    "iter_questions",
    "questions_by_id",
    "schema",
]
