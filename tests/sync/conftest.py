"""A transport that drives the reference client through Flask's test client, and can lose things."""

from __future__ import annotations

import pytest

from sync.client import Response, SyncClient, TransportError
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
