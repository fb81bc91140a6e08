"""A transport that drives the reference client through Flask's test client, and can lose things."""

from __future__ import annotations

import os

import pytest

from sync.client import Response, SyncClient, TransportError
from tests.images import noise_jpeg
from tests.tasks.conftest import *  # noqa: F403 - org, make_user, login_as, make_policy, make_task, ...


class FlaskTransport:
    def __init__(self, client, token: str):
        self.client, self.token = client, token
        self.lose_answer_of: set[int] = set()  # request numbers whose answer is lost after the server acted
        self.drop_request: set[int] = set()  # request numbers that never reach the server
        self.count = 0

    def request(self, method, path, *, json_body=None, data=None, params=None) -> Response:
        self.count += 1
        if self.count in self.drop_request:
            raise TransportError("connection dropped before the server saw it")
        answer = self.client.open(
            path,
            method=method,
            json=json_body,
            data=data,
            query_string=params,
            headers={"Authorization": f"Bearer {self.token}"},
            content_type="application/octet-stream" if data is not None else None,
        )
        if self.count in self.lose_answer_of:
            raise TransportError("answer lost")
        return Response(answer.status_code, answer.get_json(silent=True))


@pytest.fixture
def specialist(login_as):
    return login_as("specialist", institution="370102")


@pytest.fixture
def device(specialist, app):
    transport = FlaskTransport(app.test_client(), specialist.tokens["access_token"])
    return SyncClient(transport, chunk_size=1000)


@pytest.fixture
def assigned_task(specialist, make_task, app_ctx):
    from server.extensions import db
    from server.sync import changes

    task = make_task()
    task.assignee_id, task.status = specialist.user.id, "assigned"
    changes.task_moved(task, None)
    db.session.commit()
    return task


@pytest.fixture
def questionnaire(make_user, app_ctx):
    """The starter questionnaire published under the tasks' code: an identity check, then the
    holder's and the specialist's signatures (the insured's only when the policy pays on death)."""
    from server.questionnaires import services as questionnaires

    designer = make_user("designer", institution="37")
    version = questionnaires.create_questionnaire(
        designer, {"code": "new_business", "name": "新契约回访（测试）", "item": "new_business"}
    )
    return questionnaires.publish(None, version.id, check_user=False)


@pytest.fixture
def visit_for(questionnaire):
    """A completed visit that passes the questionnaire: the last four digits of the holder's ID,
    the holder's and the specialist's signatures, and a photo."""
    from sync.client import make_record

    def make(task, *, id_digits: str | None = None, strokes: bytes | None = None, **kw):
        digits = id_digits or task.policy.holder_id_number[-4:]
        holder = strokes or os.urandom(1200)
        return make_record(
            task.id,
            questionnaire_version_id=kw.pop("questionnaire_version_id", questionnaire.id),
            answers={"holder_id_check": digits},
            media=[
                ("photo", kw.pop("photo", None) or noise_jpeg(), {"question_id": "photo_1"}),
                ("signature_strokes", holder, {"signer": "holder", "question_id": "sign_holder"}),
                (
                    "signature_strokes",
                    os.urandom(900),
                    {"signer": "specialist", "question_id": "sign_specialist"},
                ),
            ],
            **kw,
        )

    return make
