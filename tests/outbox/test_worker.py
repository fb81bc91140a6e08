"""The worker command, the in-process thread of the embedded default, and the outbox settings."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from server import config
from server.extensions import db
from server.outbox import services, worker
from server.outbox.models import OutboxJob
from tests.conftest import make_app

handled: list[int] = []


@services.handler("test_worker")
def _handle(job: OutboxJob) -> None:
    handled.append(job.id)


@pytest.fixture(autouse=True)
def _reset():
    handled.clear()


def _enqueue(n: int = 1) -> list[int]:
    jobs = [services.enqueue("test_worker", {"n": i}) for i in range(n)]
    db.session.commit()
    return [job.id for job in jobs]


def test_worker_once_runs_what_is_due_and_exits(app, app_ctx):
    ids = _enqueue(3)
    result = app.test_cli_runner().invoke(args=["huifang", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "claimed=3 done=3 retried=0 dead=0" in result.output
    assert sorted(handled) == ids


def test_worker_loop_stops_when_told_after_the_job_in_hand(app, app_ctx):
    ids = _enqueue(2)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(app,), kwargs={"stop": stop, "interval": 0.02})
    thread.start()
    deadline = time.monotonic() + 5
    while len(handled) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    thread.join(5)
    assert not thread.is_alive()
    assert sorted(handled) == ids


def test_the_inprocess_worker_never_starts_in_tests(app):
    testing = make_app(app.config["SQLALCHEMY_DATABASE_URI"], HUIFANG_OUTBOX_INPROCESS=True)
    testing.test_client().get("/api/v1/health")
    assert "huifang_outbox_worker" not in testing.extensions
    assert not [t for t in threading.enumerate() if t.name == "huifang-outbox"]


def test_the_inprocess_worker_starts_at_the_first_request_and_runs_jobs(app):
    embedded = make_app(
        app.config["SQLALCHEMY_DATABASE_URI"],
        TESTING=False,
        HUIFANG_OUTBOX_INPROCESS=True,
        HUIFANG_OUTBOX_INTERVAL=0.02,
    )
    assert embedded.extensions["huifang_outbox_worker"]["thread"] is None  # not at start-up (CLI, migrations)
    try:
        with embedded.app_context():
            [job_id] = _enqueue(1)
        embedded.test_client().get("/api/v1/health")
        assert embedded.extensions["huifang_outbox_worker"]["thread"].is_alive()
        deadline = time.monotonic() + 5
        while not handled and time.monotonic() < deadline:
            time.sleep(0.01)
        assert handled == [job_id]
    finally:
        worker.stop_inprocess(embedded)
    assert not embedded.extensions["huifang_outbox_worker"]["thread"].is_alive()
    with app.app_context():
        assert db.session.scalars(select(OutboxJob.status)).all() == ["done"]


def _settings(monkeypatch, **env) -> dict:
    for name in (
        "HUIFANG_WEBHOOK_URL",
        "HUIFANG_WEBHOOK_SECRET",
        "HUIFANG_WEBHOOK_TIMEOUT",
        "HUIFANG_INBOUND_SECRET",
        "HUIFANG_OUTBOX_MAX_ATTEMPTS",
        "HUIFANG_OUTBOX_INPROCESS",
        "HUIFANG_DATABASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return config.from_environment()


def test_outbox_settings_have_safe_defaults(monkeypatch):
    settings = _settings(monkeypatch, HUIFANG_ENV="development")
    assert settings["HUIFANG_WEBHOOK_URL"] is None and settings["HUIFANG_INBOUND_SECRET"] is None
    assert settings["HUIFANG_OUTBOX_MAX_ATTEMPTS"] == 8
    assert settings["HUIFANG_WEBHOOK_TIMEOUT"] == 10.0
    assert settings["HUIFANG_OUTBOX_INPROCESS"] is True  # the embedded default: SQLite


def test_the_inprocess_worker_is_off_for_postgresql_and_in_tests_unless_asked(monkeypatch):
    pg = "postgresql://u@db/huifang"
    assert (
        _settings(monkeypatch, HUIFANG_ENV="development", HUIFANG_DATABASE_URL=pg)["HUIFANG_OUTBOX_INPROCESS"]
        is False
    )
    assert _settings(monkeypatch, HUIFANG_ENV="test")["HUIFANG_OUTBOX_INPROCESS"] is False
    assert _settings(monkeypatch, HUIFANG_DATABASE_URL=pg, HUIFANG_OUTBOX_INPROCESS="on")[
        "HUIFANG_OUTBOX_INPROCESS"
    ]


@pytest.mark.parametrize(
    "env",
    [
        {"HUIFANG_WEBHOOK_URL": "https://cc.example/hooks"},  # no secret: webhooks are always signed
        {"HUIFANG_WEBHOOK_URL": "ftp://cc.example/hooks", "HUIFANG_WEBHOOK_SECRET": "s"},
        {"HUIFANG_WEBHOOK_TIMEOUT": "soon"},
        {"HUIFANG_OUTBOX_MAX_ATTEMPTS": "0"},
        {"HUIFANG_OUTBOX_INPROCESS": "maybe"},
    ],
)
def test_wrong_outbox_settings_stop_the_start(monkeypatch, env):
    with pytest.raises(config.ConfigError):
        _settings(monkeypatch, **env)
