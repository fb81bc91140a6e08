"""Test set-up shared by every suite.

The backend is SQLite by default and PostgreSQL when HUIFANG_TEST_DATABASE_URL names one (make test
runs both). The schema is always made by the Alembic migrations, never by create_all, so every run
also proves the migrations. Each test starts from empty tables.

Under CI=true a missing PostgreSQL is a failure, never a skip.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid

# Before server is imported: keep tests away from the developer's instance/ folder and secret.
_TMP = tempfile.mkdtemp(prefix="huifang-test-")
os.environ["HUIFANG_INSTANCE_DIR"] = _TMP
os.environ.setdefault("HUIFANG_SECRET_KEY", "test-secret-key-that-is-long-enough-for-hs256!")
os.environ["HUIFANG_ENV"] = "test"

import pytest  # noqa: E402
from argon2 import PasswordHasher, profiles  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from server import create_app  # noqa: E402
from server.auth import passwords  # noqa: E402
from server.extensions import db as _db  # noqa: E402

IN_CI = os.environ.get("CI") == "true"
PG_URL = os.environ.get("HUIFANG_TEST_DATABASE_URL")

# Argon2 at production strength costs ~50 ms a hash; tests hash hundreds of times.
passwords._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)


def pytest_report_header(config):
    return f"huifang database: {'PostgreSQL ' + PG_URL if PG_URL else 'SQLite (embedded)'}"


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing service is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def fresh_database():
    """A factory of empty databases on the backend under test, dropped at the end of the session."""
    made: list[str] = []
    admin = None

    def make() -> str:
        nonlocal admin
        if not PG_URL:
            return f"sqlite:///{tempfile.mkdtemp(dir=_TMP)}/huifang.db"
        if admin is None:
            admin = create_engine(
                PG_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
            )
            try:
                with admin.connect() as conn:
                    conn.execute(text("SELECT 1"))
            except Exception as exc:
                _unavailable(f"PostgreSQL at {PG_URL} is not reachable: {exc}")
        name = f"huifang_test_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return (
            make_url(PG_URL)
            .set(drivername="postgresql+psycopg", database=name)
            .render_as_string(hide_password=False)
        )

    yield make
    if admin is not None:
        with admin.connect() as conn:
            for name in made:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_app(database_url: str, **overrides):
    config = {"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "HUIFANG_ENV": "test"}
    # The suite signs in thousands of times from 127.0.0.1: the sign-in rate limits are tested on
    # their own (tests/security/test_login_limits.py), with this switch on.
    config["RATELIMIT_ENABLED"] = False
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session")
def app(fresh_database):
    import flask_migrate

    application = make_app(fresh_database())
    with application.app_context():
        flask_migrate.upgrade()
        if _db.engine.dialect.name == "postgresql":
            # Tables are emptied by DELETE after each test (below). Left to autovacuum, the freed
            # space would be reused by later inserts, and rows read without ORDER BY would come back
            # in another order from one run to the next: keep the heap in insertion order.
            with _db.engine.begin() as conn:
                for table in _db.metadata.sorted_tables:
                    conn.execute(text(f'ALTER TABLE "{table.name}" SET (autovacuum_enabled = false)'))
    return application


_SEQUENCES: list[str] | None = None


def _reset_sequences(conn) -> str:
    """One statement setting every sequence of the schema back to 1 (read once per session)."""
    global _SEQUENCES
    if _SEQUENCES is None:
        _SEQUENCES = list(
            conn.execute(
                text("SELECT quote_ident(sequencename) FROM pg_sequences WHERE schemaname = 'public'")
            ).scalars()
        )
    if not _SEQUENCES:
        return "SELECT 1"
    return "SELECT " + ", ".join(f"setval('{name}', 1, false)" for name in _SEQUENCES)


def empty_all_tables(application) -> None:
    """Every table emptied, ids back at 1. After each test here; once per module in tests/security."""
    with application.app_context():
        _db.session.remove()
        tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
        # A browser test's last request may still be finishing in the server thread: a deadlock
        # with it is retried, never turned into a test failure.
        for attempt in range(5):
            try:
                with _db.engine.begin() as conn:
                    # DELETE, children first, not TRUNCATE: a TRUNCATE of 40 tables costs PostgreSQL
                    # 0.3-0.8 s (new files for every table), ten times a DELETE of a test's few rows,
                    # and it ran after each of some 2000 tests.
                    for table in tables:
                        conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - names from our metadata
                    if _db.engine.dialect.name == "postgresql":  # ids start at 1 again, as on SQLite
                        conn.execute(text(_reset_sequences(conn)))
                break
            except OperationalError:
                if attempt == 4:
                    raise
                time.sleep(0.5)


@pytest.fixture(autouse=True)
def _empty_tables(request):
    yield
    if "app" in request.fixturenames:
        empty_all_tables(request.getfixturevalue("app"))


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()
