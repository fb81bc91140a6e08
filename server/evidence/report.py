"""The PDF evidence report of a visit and the signature similarity hint, from stored evidence.

The report shows a person (a customer, the regulator, a court) what was asked and answered, the
signatures as rendered from the captured strokes, the photos, when and where, every hash, the seal
and the visit's place in the signed log. The similarity hint compares a signature with the same
person's earlier signatures in the system; it is a hint for reviewers and phone agents with its
limits stated, never a verdict.
"""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError
from sqlalchemy import false, select

from server.evidence import services as evidence
from server.evidence.models import EvidenceRecord
from server.extensions import db
from server.policies.facts import build_facts
from server.policies.models import Policy
from server.questionnaires.fields import field_for
from server.questionnaires.models import QuestionnaireVersion
from server.questionnaires.placeholders import fill
from server.tasks.models import VisitTask
from server.users.models import User
from server.visits.models import Visit, VisitMedia
from signatures import decode_strokes_bytes, render_png, render_report_pdf, similarity

SIGNERS = {"holder": "投保人", "insured": "被保险人", "specialist": "客户服务专员"}
OUTCOMES = {
    "completed": "已完成面访",
    "not_at_home": "客户不在家",
    "refused": "客户拒绝",
    "wrong_address": "地址有误",
    "postponed": "改期",
}


def _strokes(visit_uuid: str, signer: str) -> tuple[dict, str] | None:
    ref = db.session.scalars(
        select(VisitMedia).where(
            VisitMedia.visit_uuid == visit_uuid,
            VisitMedia.kind == "signature_strokes",
            VisitMedia.signer == signer,
        )
    ).first()
    if ref is None:
        return None
    media = evidence.visit_media(visit_uuid)
    data = media.get(f"signature_strokes/{ref.sha256}")
    if data is None:
        return None
    try:
        return decode_strokes_bytes(data), ref.sha256
    except ValueError:
        return None


def _is_image(data: bytes) -> bool:
    """A photo the report can show. A decompression bomb (more pixels than Image.MAX_IMAGE_PIXELS,
    set at start-up by server.security.limits) is listed as unreadable, never decoded."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > Image.MAX_IMAGE_PIXELS:
                return False
            image.verify()
        return True
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return False


def signature_similarity(visit: Visit, signer: str, limit: int = 10) -> dict:
    """Compare this visit's signature of ``signer`` with the same person's earlier ones."""
    own = _strokes(visit.uuid, signer)
    if own is None:
        return {
            "band": "no_signature",
            "references": 0,
            "message_zh": "本次面访没有该签名人的签名",
            "message_en": "This visit has no signature of that signer",
        }
    task = db.session.get(VisitTask, visit.task_id)
    earlier = (
        select(Visit.uuid)
        .join(VisitTask, VisitTask.id == Visit.task_id)
        .join(Policy, Policy.id == VisitTask.policy_id)
        .where(Visit.uuid != visit.uuid, Visit.received_at <= visit.received_at)
    )
    # The same person is found by the keyed hash of their ID number (the numbers are encrypted with
    # a random nonce, so equal numbers are not equal ciphertexts); no number, no earlier signatures.
    if signer == "holder":
        earlier = earlier.where(Policy.holder_id_hash == task.policy.holder_id_hash)
        if task.policy.holder_id_hash is None:
            earlier = earlier.where(false())
    elif signer == "insured":
        earlier = earlier.where(Policy.insured_id_hash == task.policy.insured_id_hash)
        if task.policy.insured_id_hash is None:
            earlier = earlier.where(false())
    else:
        earlier = earlier.where(Visit.user_id == visit.user_id)
    references = []
    for uuid in db.session.scalars(earlier.order_by(Visit.received_at.desc()).limit(limit)):
        found = _strokes(uuid, signer)
        if found is not None:
            references.append(found[0])
    return similarity(own[0], references)


def report_pdf(uuid: str) -> bytes:
    visit = db.session.get(Visit, uuid)
    record = db.session.get(EvidenceRecord, uuid)
    task = db.session.get(VisitTask, visit.task_id)
    policy = task.policy
    facts = build_facts(policy, task)
    specialist = db.session.get(User, visit.user_id)
    answers = []
    version = db.session.get(QuestionnaireVersion, visit.questionnaire_version_id or 0)
    if version is not None:
        given = visit.record.get("answers", {})
        for section in version.definition.get("sections", []):
            for question in section.get("questions", []):
                if question["id"] in given:
                    answers.append(
                        {
                            "question": fill(question.get("text", question["id"]), facts),
                            "answer": field_for(question).summary(given[question["id"]], question),
                        }
                    )
    media = evidence.visit_media(uuid)
    signatures, photos = [], []
    for signer, label in SIGNERS.items():
        found = _strokes(uuid, signer)
        if found is not None:
            signatures.append(
                {"label": f"{label}签名（按笔迹重绘）", "png": render_png(found[0]), "sha256": found[1]}
            )
    unreadable = []
    for index, (name, data) in enumerate(
        sorted(item for item in media.items() if item[0].startswith("photo/"))
    ):
        if _is_image(data):
            photos.append({"label": f"照片 {index + 1}", "image": data})
        else:  # the hash below still proves what was received; it just cannot be shown
            unreadable.append(f"照片 {index + 1}（{name.split('/')[-1][:12]}…）不是可显示的图片")
    place = visit.record.get("place")
    head = evidence.latest_head()
    holder = signature_similarity(visit, "holder")
    return render_report_pdf(
        {
            "title": f"上门回访证据报告 {policy.policy_number}",
            "visit": [
                {"label": "保单号", "value": policy.policy_number},
                {"label": "投保人", "value": policy.holder_name},
                {"label": "产品", "value": policy.product_name},
                {"label": "客户服务专员", "value": f"{specialist.display_name}（{specialist.username}）"},
                {"label": "机构", "value": task.institution.name},
                {"label": "回访结果", "value": OUTCOMES.get(visit.outcome, visit.outcome)},
                {"label": "面访记录编号", "value": visit.uuid},
                {"label": "标记", "value": "、".join(visit.flags) or "无"},
                *([{"label": "无法显示的文件", "value": "；".join(unreadable)}] if unreadable else []),
            ],
            "answers": answers,
            "signatures": signatures,
            "photos": photos,
            "times": {
                "device": f"{visit.started_at} — {visit.finished_at}",
                "server": visit.received_at.isoformat(),
            },
            "place": {
                "label": "定位",
                "lat": place["lat"],
                "lng": place["lon"],
                "accuracy_m": place["accuracy_m"],
            }
            if place
            else {},
            "hashes": [
                {"name": entry["name"], "sha256": entry["sha256"]}
                for entry in record.manifest.get("media", [])
            ],
            "manifest_sha256": record.manifest_hash,
            "seal": {"alg": record.seal["alg"], "key_id": record.seal["key_id"]},
            "log": {
                "leaf_index": record.leaf_index,
                "tree_size": head.size if head else None,
                "root": head.head["root"] if head else None,
                "timestamp": head.head["timestamp"] if head else None,
            },
            "similarity": {key: holder[key] for key in ("band", "message_zh", "message_en") if key in holder},
            "generated_at": evidence._iso(evidence.utcnow()),
        }
    )
