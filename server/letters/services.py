"""Letter callbacks (R13): the questionnaire goes by post when the phone cannot reach the customer.

A task becomes a letter when the customer has no phone (R12/R13 ``no_phone``), refuses phone callbacks
(``phone_refused``), or a confirming phone callback never reached them (server/callbacks calls
``create_for_task``). The life of a letter::

    created ──mailing──▶ mailed ──scan──▶ returned ──verify──▶ verified   (the task is closed)
       │                   │                 │      ──reject──▶ rejected   (a problem case is opened)
       └───────────────────┴─────────────────┴──cancel──▶ cancelled

- **The code** printed on every page (text and QR) is ``HF`` + the id in Crockford base32 (at least
  four characters) + a Luhn mod 32 check character. Crockford's alphabet has no I, L, O or U, and
  reading accepts the usual confusions (O→0, I/L→1) and ignores spaces and dashes; the check character
  catches every single mistyped character and almost every swap of two neighbours, so a mistyped code
  is refused (``letter_code_invalid``) rather than finding another customer's letter.
- **One open letter per task** (created, mailed or returned). ``create_for_task`` returns the open one
  if there is one; on PostgreSQL the task row is locked first, so two clerks cannot make two.
- **What is printed** is the newest published version of the task's questionnaire at creation (bound
  then, so a reprint shows the same questions as the letter that was mailed). Questions whose
  relevance depends only on the policy are printed or left out for this policy; those that depend on
  earlier answers are printed with a note naming the questions they depend on. Photo questions and
  the specialist's signature do not apply by post.
- **A mailing** may be corrected while the letter is out (``mailed`` again: the history keeps both).
  A letter without an address on the policy needs the address it was sent to.
- **A scan** is taken only once the letter was mailed, and may be replaced until a reviewer decides
  (a clearer scan of the same paper). It is judged by its content, never by its name or declared type:
  PDF, JPEG or PNG, at most 20 MB, images decoded in full under a pixel limit (decompression bombs).
- **Reject** ends this letter as ``rejected`` and keeps it as it came back: the paper is evidence and
  is never overwritten. A problem case (``letter_rejected``) is opened for follow-up, and the task stays
  ``to_letter``, so the callback department can issue a new letter (a new code, a fresh print) or
  resolve the case another way. Sending the same letter back to ``created`` would mix two mailings
  and two returned papers under one code; a callback department wants one paper per code.
- **Verify** closes the task (R13: the policyholder answered and signed in person).
- Every change is audited (server.audit) and written to the letter's own history (``LetterEvent``).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import warnings
from datetime import datetime, timedelta

from PIL import Image, UnidentifiedImageError
from sqlalchemy import or_, select

from server.audit import services as audit
from server.dbtypes import utcnow
from server.errors import HuifangError, not_found
from server.extensions import db
from server.institutions.models import Institution
from server.letters.models import OPEN_STATUSES, REJECT_REASONS, LetterCallback, LetterEvent
from server.policies.facts import build_facts
from server.questionnaires import logic
from server.questionnaires.models import QuestionnaireVersion
from server.questionnaires.placeholders import fill
from server.scoping import Scope
from server.sync import changes
from server.tasks.models import TaskEvent, VisitTask
from server.tasks.services import SHANGHAI
from server.users.models import User

# ---------------------------------------------------------------- the code

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
PREFIX = "HF"
MIN_DIGITS = 4
_READ_AS = {"O": "0", "I": "1", "L": "1"}


def _check_char(payload: str) -> str:
    """Luhn mod 32 over the payload: the character that makes the whole code's sum divisible by 32."""
    n, total, factor = len(ALPHABET), 0, 2
    for char in reversed(payload):
        addend = factor * ALPHABET.index(char)
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def code_for(letter_id: int) -> str:
    digits = ""
    value = letter_id
    while value:
        value, rest = divmod(value, 32)
        digits = ALPHABET[rest] + digits
    payload = digits.rjust(MIN_DIGITS, "0")
    return PREFIX + payload + _check_char(payload)


def code_invalid(code: str) -> HuifangError:
    return HuifangError(
        "letter_code_invalid",
        "回访码无效，请核对后重新输入（可能有字符输错）",
        "The letter code is not valid: check it and type it again (a character may be wrong)",
        422,
        {"fields": {"code": ["invalid"]}, "code": code[:40]},
    )


def parse_code(text: str) -> str:
    """The code in its canonical form, or 422 letter_code_invalid (wrong shape or check character)."""
    cleaned = "".join(text.split()).replace("-", "").upper()
    if not cleaned.startswith(PREFIX) or len(cleaned) < len(PREFIX) + MIN_DIGITS + 1 or len(cleaned) > 16:
        raise code_invalid(text)
    body = "".join(_READ_AS.get(char, char) for char in cleaned[len(PREFIX) :])
    if any(char not in ALPHABET for char in body):
        raise code_invalid(text)
    payload, check = body[:-1], body[-1]
    if _check_char(payload) != check:
        raise code_invalid(text)
    return PREFIX + body


# ---------------------------------------------------------------- history


def _event(letter: LetterCallback, action: str, actor: User | None, from_status=None, **data) -> None:
    db.session.add(
        LetterEvent(
            letter_id=letter.id,
            actor_id=actor.id if actor else None,
            action=action,
            from_status=from_status,
            to_status=letter.status,
            data=data,
        )
    )


def _task_event(task: VisitTask, action: str, actor: User | None, before: str, **data) -> None:
    db.session.add(
        TaskEvent(
            task_id=task.id,
            actor_id=actor.id if actor else None,
            action=action,
            from_status=before,
            to_status=task.status,
            data=data,
        )
    )


# ---------------------------------------------------------------- creation


def _task_closed(task: VisitTask) -> HuifangError:
    return HuifangError(
        "task_closed",
        "该任务已结束或已取消，不能再发出回访函",
        "The task is closed or cancelled: no letter can be sent for it",
        409,
        {"status": task.status},
    )


def open_letter(task_id: int) -> LetterCallback | None:
    return db.session.scalars(
        select(LetterCallback)
        .where(LetterCallback.task_id == task_id, LetterCallback.status.in_(OPEN_STATUSES))
        .order_by(LetterCallback.id.desc())
    ).first()


def _version_for(task: VisitTask) -> int | None:
    from server.questionnaires.services import published_version

    version = published_version(task.questionnaire_code)
    return version.id if version is not None else task.questionnaire_version_id


def create_for_task(task: VisitTask, actor: User | None, reason: str) -> LetterCallback:
    """R13: the task's questionnaire goes by post. Inside the caller's transaction (never commits).

    Moves the task to ``to_letter`` if it is not there yet, and returns the task's open letter when
    it has one; a closed or cancelled task is refused (409 task_closed).
    """
    return _create_for_task(task, actor, reason)[0]


def _create_for_task(task: VisitTask, actor: User | None, reason: str) -> tuple[LetterCallback, bool]:
    if task.status in ("closed", "cancelled"):
        raise _task_closed(task)
    if db.session.get_bind().dialect.name == "postgresql":
        # One open letter per task, also when two clerks click at once.
        db.session.execute(select(VisitTask.id).where(VisitTask.id == task.id).with_for_update())
    reason = (reason or "").strip()[:500] or "信函回访（R13）"
    if task.status != "to_letter":
        before = task.status
        task.status = "to_letter"
        _task_event(task, "to_letter", actor, before, reason=reason)
        changes.task_moved(task, task.assignee_id)  # a specialist's tablet drops the task
    found = open_letter(task.id)
    if found is not None:
        return found, False
    policy = task.policy
    letter = LetterCallback(
        task_id=task.id,
        policy_id=policy.id,
        institution_id=task.institution_id,
        status="created",
        reason=reason,
        recipient_name=policy.holder_name,
        address=policy.holder_address,
        questionnaire_version_id=_version_for(task),
        decision_reasons=[],
        created_by=actor.id if actor else None,
    )
    db.session.add(letter)
    db.session.flush()
    letter.code = code_for(letter.id)
    _event(letter, "created", actor, None, reason=reason, code=letter.code)
    db.session.add(
        TaskEvent(
            task_id=task.id,
            actor_id=actor.id if actor else None,
            action="letter_created",
            from_status=task.status,
            to_status=task.status,
            data={"letter_id": letter.id, "code": letter.code},
        )
    )
    audit.record(
        "letter_created",
        target=letter,
        actor=actor,
        institution_id=letter.institution_id,
        task=task.id,
        code=letter.code,
        reason=reason,
    )
    return letter, True


def create(scope: Scope, actor: User, task_id: int, reason: str) -> tuple[LetterCallback, bool]:
    """From the console: turn a task into a letter; (letter, created now?)."""
    task = scope.get(VisitTask, task_id, "任务", "task")
    if task.status in ("submitted", "approved"):
        # A visit came back and is under review, or waits for its confirming phone callback (R14):
        # that process decides; an unreachable customer gets the letter from there.
        raise HuifangError(
            "task_in_review",
            "该任务的面访正在审核或等待确认回访，不能转为信函回访",
            "The task's visit is under review or awaiting its confirming callback",
            409,
            {"status": task.status},
        )
    letter, created = _create_for_task(task, actor, reason)
    db.session.commit()
    return letter, created


# ---------------------------------------------------------------- reading


def get(scope: Scope, letter_id: int) -> LetterCallback:
    return scope.get(LetterCallback, letter_id, "回访函", "letter")


def _locked(scope: Scope, letter_id: int) -> LetterCallback:
    stmt = scope.filter(select(LetterCallback).where(LetterCallback.id == letter_id), LetterCallback)
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    letter = db.session.scalars(stmt).first()
    if letter is None:
        raise not_found("回访函", "letter")
    return letter


def by_code(scope: Scope, text: str) -> LetterCallback:
    code = parse_code(text)
    letter = db.session.scalars(
        scope.filter(select(LetterCallback).where(LetterCallback.code == code), LetterCallback)
    ).first()
    if letter is None:
        raise not_found("回访函", "letter")
    return letter


def list_letters(scope: Scope, args: dict) -> tuple[list[LetterCallback], int | None]:
    """Letters of the caller's subtree, newest first (keyset on the id)."""
    from server.policies.models import Policy

    stmt = scope.filter(select(LetterCallback), LetterCallback)
    if args.get("status"):
        stmt = stmt.where(LetterCallback.status.in_(args["status"]))
    if "task_id" in args:
        stmt = stmt.where(LetterCallback.task_id == args["task_id"])
    if args.get("q", "").strip():
        q = args["q"].strip()
        numbers = select(Policy.id).where(Policy.policy_number == q)
        matches = [
            LetterCallback.policy_id.in_(numbers),
            LetterCallback.recipient_name.contains(q, autoescape=True),
        ]
        with contextlib.suppress(HuifangError):  # not a code: the policy number and the name still match
            matches.append(LetterCallback.code == parse_code(q))
        stmt = stmt.where(or_(*matches))
    if "cursor" in args:
        stmt = stmt.where(LetterCallback.id < args["cursor"])
    limit = args["limit"]
    rows = list(db.session.scalars(stmt.order_by(LetterCallback.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, rows[-1].id if more else None


def _person(user_id: int | None):
    user = db.session.get(User, user_id) if user_id else None
    return {"id": user.id, "display_name": user.display_name} if user else None


def _version(letter: LetterCallback) -> QuestionnaireVersion | None:
    if letter.questionnaire_version_id is None:
        return None
    return db.session.get(QuestionnaireVersion, letter.questionnaire_version_id)


def view(letter: LetterCallback, full: bool = False) -> dict:
    task = db.session.get(VisitTask, letter.task_id)
    policy = task.policy
    institution = db.session.get(Institution, letter.institution_id)
    version = _version(letter)
    result = {
        "id": letter.id,
        "code": letter.code,
        "status": letter.status,
        "task": {"id": task.id, "status": task.status, "item": task.item, "source": task.source},
        "policy": {
            "id": policy.id,
            "policy_number": policy.policy_number,
            "product_name": policy.product_name,
            "holder_name": policy.holder_name,
        },
        "institution": {"id": institution.id, "name": institution.name},
        "reason": letter.reason,
        "recipient_name": letter.recipient_name,
        "address": letter.address,
        "questionnaire": (
            {
                "version_id": version.id,
                "code": version.questionnaire.code,
                "number": version.number,
                "title": version.definition.get("title") or version.questionnaire.name,
            }
            if version is not None
            else None
        ),
        "mailed_at": letter.mailed_at,
        "carrier": letter.carrier,
        "tracking_no": letter.tracking_no,
        "returned_at": letter.returned_at,
        "scan": (
            {"sha256": letter.scan_sha256, "mime": letter.scan_mime, "size": letter.scan_size}
            if letter.scan_sha256
            else None
        ),
        "reviewer": _person(letter.reviewer_id),
        "decided_at": letter.decided_at,
        "decision_reasons": list(letter.decision_reasons or []),
        "note": letter.note,
        "created_by": _person(letter.created_by),
        "created_at": letter.created_at,
        "updated_at": letter.updated_at,
        "history": [],
        "cases": [],
    }
    if full:
        result["history"] = [
            {
                "id": e.id,
                "at": e.at,
                "action": e.action,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "actor": _person(e.actor_id),
                "data": e.data or {},
            }
            for e in db.session.scalars(
                select(LetterEvent).where(LetterEvent.letter_id == letter.id).order_by(LetterEvent.id)
            )
        ]
        from server.cases.models import ProblemCase

        result["cases"] = [
            {"id": c.id, "kind": c.kind, "category": c.category, "status": c.status, "summary": c.summary}
            for c in db.session.scalars(
                select(ProblemCase).where(ProblemCase.letter_id == letter.id).order_by(ProblemCase.id)
            )
        ]
    return result


# ---------------------------------------------------------------- the printed letter

RETURN_DAYS = 15
SOURCE_SENTENCES = {
    "no_phone": "由于我们没有您有效的联系电话，无法通过电话向您回访",
    "phone_refused": "由于您表示不便接受电话回访",
}
DEFAULT_SOURCE_SENTENCE = "由于我们多次致电均未能与您取得联系"


def _answer_refs(rule) -> list[str]:
    """The question ids a relevance rule reads (``answers.<id>``), in order, without repeats."""
    found: list[str] = []

    def walk(node) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for op, args in node.items():
                if op == "var":
                    path = args[0] if isinstance(args, list) and args else args
                    if isinstance(path, str) and path.startswith("answers."):
                        qid = path.split(".")[1]
                        if qid and qid not in found:
                            found.append(qid)
                    if isinstance(args, list):
                        walk(args[1:])
                else:
                    walk(args)

    walk(rule)
    return found


def _applies(rule, facts: dict) -> bool | list[str]:
    """True / False for a rule on the policy alone; the question ids it reads when it needs answers."""
    refs = _answer_refs(rule)
    if refs:
        return refs
    return logic.holds(rule, {"answers": {}, "policy": facts})


def _printed_question(question: dict, facts: dict) -> dict | None:
    """How one question is printed, or None when it does not apply by post."""
    kind = question["type"]
    text = fill(question.get("text", ""), facts)
    if kind == "yes_no":
        return {"text": text, "kind": "choices", "choices": ["是", "否"]}
    if kind in ("single_choice", "multiple_choice"):
        return {
            "text": text,
            "kind": "choices",
            "choices": [fill(c.get("label", c["value"]), facts) for c in question.get("choices", [])],
            "multiple": kind == "multiple_choice",
        }
    if kind == "statement":
        return {"text": text, "kind": "choices", "choices": ["已阅读并理解", "未理解，需要进一步解释"]}
    if kind == "identity_check":
        who = "被保险人" if question.get("subject") == "insured" else "投保人"
        digits = question.get("digits", 4) if question.get("match", "last_digits") == "last_digits" else 18
        return {
            "text": f"为核实是{who}本人填写，请填写{who}身份证件号码的后 {digits} 位：",
            "kind": "digits",
            "digits": digits,
        }
    if kind == "text":
        return {"text": text, "kind": "lines", "lines": 3}
    if kind == "number":
        return {"text": text, "kind": "number", "unit": question.get("unit", "")}
    if kind == "date":
        return {"text": text, "kind": "date"}
    return None  # photo (nothing to photograph by post) and signature (the signature block below)


def _letter_sections(definition: dict, facts: dict) -> list[dict]:
    numbers: dict[str, int] = {}
    sections = []
    for section in definition.get("sections", []):
        section_rule = _applies(section.get("relevant"), facts)
        if section_rule is False:
            continue
        printed = []
        for question in section.get("questions", []):
            rule = _applies(question.get("relevant"), facts)
            if rule is False:
                continue
            entry = _printed_question(question, facts)
            if entry is None:
                continue
            depends = [
                *(section_rule if isinstance(section_rule, list) else []),
                *(rule if isinstance(rule, list) else []),
            ]
            refs = [f"第 {numbers[qid]} 题" for qid in depends if qid in numbers]
            if depends:
                where = "、".join(refs) if refs else "前面问题"
                entry["condition"] = f"本题视您对{where}的回答而定；如不适用，可不填写。"
            numbers[question["id"]] = len(numbers) + 1
            entry["number"] = numbers[question["id"]]
            printed.append(entry)
        if printed:
            sections.append({"title": section.get("title", ""), "questions": printed})
    return sections


def _signers(definition: dict, facts: dict) -> list[str]:
    """Who signs the paper: the holder always; the insured where R7 (or the version) asks for it."""
    from server.questionnaires.submission import expected_signers

    wanted = [s for s in expected_signers(definition, facts, {}) if s != "specialist"]
    return wanted if "holder" in wanted else ["holder", *wanted]


def _chinese_date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def letter_data(letter: LetterCallback, version: QuestionnaireVersion | None) -> dict:
    task = db.session.get(VisitTask, letter.task_id)
    policy = task.policy
    facts = build_facts(policy, task)
    institution = db.session.get(Institution, letter.institution_id)
    definition = version.definition if version is not None else {"sections": []}
    why = SOURCE_SENTENCES.get(task.source, DEFAULT_SOURCE_SENTENCE)
    names = {"holder": ("投保人", policy.holder_name), "insured": ("被保险人", policy.insured_name)}
    return {
        "code": letter.code,
        "sender": " ".join(node.name for node in institution.ancestry),
        "recipient": {"name": letter.recipient_name, "address": letter.address},
        "title": "客户回访函（信函回访）",
        "questionnaire_title": definition.get("title"),
        "cover": [
            f"尊敬的{letter.recipient_name}：",
            f"您好！您投保的《{policy.product_name}》（保单号 {policy.policy_number}）"
            "属于保险公司须向客户回访的业务。"
            "按照《山东省人身保险公司客户回访工作指引》，保险公司应当向投保人本人确认保单的重要内容，"
            "包括保险责任、责任免除、犹豫期权利、费用和退保损失等，以保护您的合法权益。"
            f"{why}，现按规定以信函方式向您回访。",
            "请您本人仔细阅读下列问题，在符合您情况的方框内打“√”或如实填写，并在文末亲笔签名、注明日期。"
            "本问卷须由投保人本人填写和签名，请勿由他人（包括销售人员）代填代签。",
        ],
        "policy": [
            {"label": "保单号", "value": policy.policy_number},
            {"label": "产品名称", "value": policy.product_name},
            {"label": "投保人", "value": policy.holder_name},
            {"label": "被保险人", "value": policy.insured_name},
            {"label": "回访码", "value": letter.code},
        ],
        "instructions": "填写说明：带“※”的问题只在特定情况下需要回答，请按说明填写。"
        "如您对问题有疑问，可致电本公司客户服务电话或前往柜面咨询。",
        "sections": _letter_sections(definition, facts),
        "signers": [
            {"label": names[s][0], "name": names[s][1]} for s in _signers(definition, facts) if s in names
        ],
        "closing": fill(definition.get("closing", ""), facts) or "感谢您的配合！",
        "return_note": f"请于收到本函后 {RETURN_DAYS} 日内将填写并签名的全部页面"
        "寄回本公司。"
        "寄回时请保持回访码和二维码完整清晰。如您从未投保此保单，或本函不是寄给您本人的，也请告知我们。",
        "dated": _chinese_date(letter.created_at.astimezone(SHANGHAI).date()),
    }


def print_letter(scope: Scope, actor: User, letter_id: int) -> tuple[bytes, LetterCallback]:
    """The printable PDF; printing is audited and kept in the letter's history."""
    from server.letters.pdf import render_letter_pdf

    letter = get(scope, letter_id)
    version = _version(letter)
    if version is None:
        raise HuifangError(
            "questionnaire_not_published",
            "该任务的问卷没有已发布的版本，无法打印回访函",
            "The task's questionnaire has no published version: the letter cannot be printed",
            409,
        )
    data = render_letter_pdf(letter_data(letter, version))
    _event(letter, "printed", actor, letter.status, questionnaire_version_id=version.id)
    audit.record(
        "letter_printed",
        target=letter,
        actor=actor,
        institution_id=letter.institution_id,
        questionnaire_version_id=version.id,
    )
    db.session.commit()
    return data, letter


# ---------------------------------------------------------------- mailing


def _closed(letter: LetterCallback) -> HuifangError:
    return HuifangError(
        "letter_closed",
        "该回访函已有结论或已取消，不能再修改",
        "The letter has been decided or cancelled and can no longer change",
        409,
        {"status": letter.status},
    )


def _invalid(code: str, zh: str, en: str, field: str) -> HuifangError:
    return HuifangError(code, zh, en, 422, {"fields": {field: [code]}})


def record_mailing(scope: Scope, actor: User, letter_id: int, data: dict) -> LetterCallback:
    """The letter went out (or its mailing details are corrected while it is out)."""
    letter = _locked(scope, letter_id)
    if letter.status == "returned":
        raise HuifangError(
            "letter_already_returned",
            "回访函已寄回，不能再修改邮寄信息",
            "The letter has come back: its mailing can no longer change",
            409,
            {"status": letter.status},
        )
    if letter.status not in ("created", "mailed"):
        raise _closed(letter)
    mailed_at: datetime = data["mailed_at"]
    if mailed_at > utcnow() + timedelta(hours=1):
        raise _invalid(
            "mailed_at_future", "寄出时间不能晚于现在", "The mailing time is in the future", "mailed_at"
        )
    if mailed_at.astimezone(SHANGHAI).date() < letter.created_at.astimezone(SHANGHAI).date():
        raise _invalid(
            "mailed_at_before_created",
            "寄出日期不能早于回访函的生成日期",
            "The letter cannot have been mailed before it was made",
            "mailed_at",
        )
    address = (data.get("address") or "").strip()
    if not address and not letter.address:
        raise _invalid(
            "address_required",
            "保单上没有投保人地址，请填写实际寄往的地址",
            "The policy has no holder address: give the address the letter was sent to",
            "address",
        )
    before = letter.status
    changed = {}
    if address and address != letter.address:
        changed["address"] = {"before": letter.address, "after": address}
        letter.address = address
    letter.mailed_at = mailed_at
    letter.carrier = data["carrier"].strip()
    letter.tracking_no = (data.get("tracking_no") or "").strip() or None
    letter.status = "mailed"
    _event(
        letter,
        "mailed" if before == "created" else "mailing_corrected",
        actor,
        before,
        mailed_at=mailed_at.isoformat(),
        carrier=letter.carrier,
        tracking_no=letter.tracking_no,
        **changed,
    )
    audit.record(
        "letter_mailed",
        target=letter,
        actor=actor,
        institution_id=letter.institution_id,
        carrier=letter.carrier,
        tracking_no=letter.tracking_no,
        corrected=before == "mailed",
    )
    db.session.commit()
    return letter


# ---------------------------------------------------------------- the returned scan

MAX_SCAN_BYTES = 20 * 1024 * 1024
# A4 scanned at 600 dpi is about 35 million pixels; much more is not a scan of a letter but a
# decompression bomb (a small file that decodes into gigabytes). The server's Pillow limit
# (HUIFANG_MAX_IMAGE_PIXELS, server.security.limits) applies when it is lower.
MAX_SCAN_PIXELS = 50_000_000
SCAN_TYPES = {"PDF": "application/pdf", "JPEG": "image/jpeg", "PNG": "image/png"}


def _scan_error(code: str, zh: str, en: str, **details) -> HuifangError:
    return HuifangError(code, zh, en, 422, {"fields": {"file": [code]}, **details})


def _image_type(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    return None


def inspect_scan(data: bytes) -> str:
    """The MIME type of an acceptable scan, judged by its content; 422 with the reason otherwise."""
    if not data:
        raise _scan_error("scan_empty", "上传的文件是空的", "The uploaded file is empty")
    if len(data) > MAX_SCAN_BYTES:
        raise _scan_error(
            "scan_too_large",
            "扫描件不能超过 20 MB，请降低扫描分辨率后重试",
            "The scan may be at most 20 MB: scan at a lower resolution",
            max_bytes=MAX_SCAN_BYTES,
        )
    if data[:1024].lstrip().startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise _scan_error("scan_damaged", "PDF 文件不完整或已损坏", "The PDF is incomplete or damaged")
        return SCAN_TYPES["PDF"]
    kind = _image_type(data)
    if kind is None:
        raise _scan_error(
            "scan_type_unsupported",
            "只接受 PDF、JPEG 或 PNG 格式的扫描件（按文件内容判断，与文件名无关）",
            "Only PDF, JPEG or PNG scans are accepted (judged by the content, not the file name)",
        )
    limit = min(MAX_SCAN_PIXELS, Image.MAX_IMAGE_PIXELS or MAX_SCAN_PIXELS)
    bomb = _scan_error(
        "scan_image_too_large",
        f"图片像素过多（超过 {limit // 10_000} 万像素），不像是回访函的扫描件",
        f"The image has too many pixels (over {limit:,}) to be a scan of a letter",
        max_pixels=limit,
    )
    try:
        with warnings.catch_warnings():
            # Pillow warns above its limit; such an image is refused just below, with our error.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind]) as image:
                width, height = image.size
                if width * height > limit:
                    raise bomb
                if kind == "JPEG":
                    image.draft("L", (max(width // 8, 1), max(height // 8, 1)))  # decode every byte, cheaply
                image.load()
    except Image.DecompressionBombError as exc:
        raise bomb from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _scan_error(
            "scan_damaged", "图片文件不完整或已损坏", "The image is incomplete or damaged"
        ) from exc
    return SCAN_TYPES[kind]


def attach_scan(scope: Scope, actor: User, letter_id: int, fileobj) -> LetterCallback:
    """The signed paper came back: its scan goes to the media store and the letter is returned."""
    from server.sync.services import store

    letter = _locked(scope, letter_id)
    if letter.status == "created":
        raise HuifangError(
            "letter_not_mailed",
            "请先登记回访函的邮寄信息，再上传寄回的扫描件",
            "Record the mailing before uploading the returned scan",
            409,
            {"status": letter.status},
        )
    if letter.status not in ("mailed", "returned"):
        raise _closed(letter)
    data = fileobj.read(MAX_SCAN_BYTES + 1)
    mime = inspect_scan(data)
    sha = hashlib.sha256(data).hexdigest()
    blobs = store()
    if not blobs.exists(sha):
        blobs.put(sha, io.BytesIO(data))
    before, previous = letter.status, letter.scan_sha256
    letter.scan_sha256, letter.scan_mime, letter.scan_size = sha, mime, len(data)
    letter.returned_at = letter.returned_at or utcnow()
    letter.status = "returned"
    _event(
        letter,
        "scan_uploaded" if previous is None else "scan_replaced",
        actor,
        before,
        sha256=sha,
        mime=mime,
        size=len(data),
        previous_sha256=previous,
    )
    audit.record(
        "letter_scan_uploaded",
        target=letter,
        actor=actor,
        institution_id=letter.institution_id,
        sha256=sha,
        mime=mime,
        size=len(data),
        previous_sha256=previous,
    )
    db.session.commit()
    return letter


def scan(scope: Scope, viewer: User, letter_id: int) -> tuple[bytes, str, LetterCallback]:
    from server.sync.services import store

    letter = get(scope, letter_id)
    if not letter.scan_sha256:
        raise not_found("扫描件", "scan")
    with store().open(letter.scan_sha256) as handle:
        data = handle.read()
    audit.record(
        "letter_scan_viewed",
        target=letter,
        actor=viewer,
        institution_id=letter.institution_id,
        sha256=letter.scan_sha256,
    )
    db.session.commit()
    return data, letter.scan_mime or "application/octet-stream", letter


# ---------------------------------------------------------------- decision


def decide(
    scope: Scope, reviewer: User, letter_id: int, decision: str, reasons: list[str], note: str | None
) -> LetterCallback:
    """verify: the holder answered and signed in person, the task is closed. reject: see the module."""
    from server.cases import services as cases

    letter = _locked(scope, letter_id)
    if letter.status != "returned":
        if letter.status not in OPEN_STATUSES:
            raise _closed(letter)
        raise HuifangError(
            "letter_not_returned",
            "回访函尚未寄回，没有可审核的扫描件",
            "The letter has not come back: there is no scan to review",
            409,
            {"status": letter.status},
        )
    reasons = list(dict.fromkeys(reasons)) if decision == "reject" else []  # a verified letter has none
    note = (note or "").strip() or None
    if decision == "reject" and not reasons:
        raise _invalid(
            "reasons_required",
            "审核不通过须选择原因",
            "Rejecting a letter needs at least one reason",
            "reasons",
        )
    if "other" in reasons and not note:
        raise _invalid(
            "note_required", "选择“其他”时请写明说明", "With the reason 'other', write a note", "note"
        )
    task = db.session.get(VisitTask, letter.task_id)
    before = letter.status
    letter.reviewer_id, letter.decided_at = reviewer.id, utcnow()
    letter.decision_reasons, letter.note = reasons, note
    common = {"institution_id": letter.institution_id, "task": task.id, "reasons": reasons}
    if decision == "verify":
        letter.status = "verified"
        if task.status not in ("closed", "cancelled"):
            task_before = task.status
            task.status = "closed"
            _task_event(task, "letter_verified", reviewer, task_before, letter_id=letter.id, code=letter.code)
        _event(letter, "verified", reviewer, before, reasons=reasons, note=note)
        audit.record("letter_verified", target=letter, actor=reviewer, **common)
    else:
        letter.status = "rejected"
        text = "；".join(REJECT_REASONS[r][0] for r in reasons)
        case = cases.open_case(
            "problem",
            "letter_rejected",
            policy=task.policy,
            summary=f"信函回访 {letter.code} 审核不通过：{text}" + (f"（{note}）" if note else ""),
            source="letter",
            actor=reviewer,
            institution_id=letter.institution_id,
            task_id=task.id,
            letter_id=letter.id,
            dedupe_key=f"letter:{letter.id}:rejected",
        )
        _task_event(task, "letter_rejected", reviewer, task.status, letter_id=letter.id, case_id=case.id)
        _event(letter, "rejected", reviewer, before, reasons=reasons, note=note, case_id=case.id)
        audit.record("letter_rejected", target=letter, actor=reviewer, case=case.id, **common)
    db.session.commit()
    return letter


def cancel(scope: Scope, actor: User, letter_id: int, reason: str) -> LetterCallback:
    """Withdraw an open letter (undeliverable, made by mistake); the task stays with the letters."""
    letter = _locked(scope, letter_id)
    if letter.status not in OPEN_STATUSES:
        raise _closed(letter)
    before = letter.status
    letter.status = "cancelled"
    _event(letter, "cancelled", actor, before, reason=reason)
    audit.record(
        "letter_cancelled", target=letter, actor=actor, institution_id=letter.institution_id, reason=reason
    )
    db.session.commit()
    return letter
