"""Fixtures for letter callbacks (R13): published questionnaires, a task ready for a letter, scans."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from server.dbtypes import utcnow
from server.questionnaires.services import load_templates
from tests.tasks.conftest import *  # noqa: F403 - org, make_user, login_as, make_policy, make_task, ...

ADDRESS = "山东省济南市历下区泉城路 188 号 3 单元 502 室"


@pytest.fixture
def templates(org):
    """The province's built-in questionnaires, published (and the problem categories seeded)."""
    load_templates()
    return True


@pytest.fixture
def letter_task(templates, make_policy, make_task):
    """A new-business task on a policy paying on death whose insured is not the holder (two signers)."""

    def make(institution: str = "370102", source: str = "no_phone", **policy_fields):
        values = {
            "holder_name": "王秀兰",
            "insured_name": "李明",
            "insured_id_number": "370102201001011234",
            "holder_address": ADDRESS,
            "pays_on_death": True,
        }
        values.update(policy_fields)
        policy = make_policy(institution=institution, **values)
        return make_task(policy=policy, source=source)

    return make


@pytest.fixture
def issue(letter_task, login_as):
    """A letter issued through the API by a supervisor of the province: (caller, letter json)."""

    def make(institution: str = "370102", **policy_fields):
        task = letter_task(institution=institution, **policy_fields)
        caller = login_as("supervisor", institution="37")
        response = caller.post("/api/v1/letters", json={"task_id": task.id, "reason": "客户无电话（R13）"})
        assert response.status_code == 201, response.json
        return caller, response.json

    return make


def png_bytes(size=(120, 80), color="white") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


def jpeg_bytes(size=(120, 80)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, "white").save(buf, "JPEG", quality=80)
    return buf.getvalue()


def pdf_bytes() -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    page = canvas.Canvas(buf, invariant=1)
    page.drawString(72, 720, "signed letter")
    page.showPage()
    page.save()
    return buf.getvalue()


def upload(caller, letter_id: int, data: bytes, name: str = "scan.pdf", mimetype: str | None = None):
    return caller.post(
        f"/api/v1/letters/{letter_id}/scan",
        data={"file": (io.BytesIO(data), name, mimetype)} if mimetype else {"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def mail(caller, letter_id: int, **fields):
    body = {"mailed_at": utcnow().isoformat(), "carrier": "中国邮政挂号信", "tracking_no": "XA123456789CN"}
    body.update(fields)
    return caller.post(f"/api/v1/letters/{letter_id}/mailing", json=body)
