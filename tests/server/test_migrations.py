"""The migrations are the schema: they match the models and upgrade and downgrade cleanly."""

from __future__ import annotations

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from server.dbtypes import render_migration_item
from server.extensions import db
from tests.conftest import make_app


def test_models_and_migrations_agree(app_ctx):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "render_item": render_migration_item}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models differ from migrations; run `make migration m='...'`: {diff}"


def test_upgrade_downgrade_upgrade_on_an_empty_database(fresh_database):
    app = make_app(fresh_database())
    with app.app_context():
        flask_migrate.upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {
            "institution",
            "user_account",
            "user_role",
            "device",
            "refresh_token",
            "audit_event",
        } <= tables
        flask_migrate.downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        flask_migrate.upgrade()
        assert set(inspect(db.engine).get_table_names()) == tables


def test_health_reports_database_and_migration_state(client):
    body = client.get("/api/v1/health").json
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["migrations"]["up_to_date"] is True
    assert body["migrations"]["current"] == body["migrations"]["head"]


def test_health_is_503_when_the_schema_is_behind(fresh_database):
    app = make_app(fresh_database())  # never migrated
    response = app.test_client().get("/api/v1/health")
    assert response.status_code == 503
    assert response.json["status"] == "degraded"
    assert response.json["migrations"]["up_to_date"] is False


def test_health_is_503_when_the_database_is_down():
    app = make_app("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    response = app.test_client().get("/api/v1/health")
    assert response.status_code == 503
    assert response.json["database"]["ok"] is False


def test_id_numbers_already_stored_are_encrypted_by_the_upgrade_and_decrypted_by_a_downgrade(
    fresh_database,
):
    from sqlalchemy import text

    from server import demo
    from server.policies import services as policies
    from server.policies.models import Policy

    app = make_app(fresh_database())
    with app.app_context():
        flask_migrate.upgrade(revision="63551b0aa593")  # the revision before encryption
        org = {code: inst.id for code, inst in demo.load_tree().items()}
        row = {
            "policy_number": "P1",
            "product_name": "鑫福年年终身寿险",
            "product_type": "traditional",
            "channel": "agency",
            "holder_name": "张三",
            "insured_name": "张三",
            "institution_id": org["370102"],
        }
        policies.upsert_policies([row], source="intake", actor_id=None)
        # as the numbers were stored before this revision: in clear
        db.session.execute(text("UPDATE policy SET holder_id_number = '370102198001011234'"))
        db.session.commit()
        db.session.remove()
        flask_migrate.upgrade()
        stored = db.session.execute(text("SELECT holder_id_number FROM policy")).scalar()
        assert stored.startswith("v1.") and "198001011234" not in stored
        assert db.session.scalars(db.select(Policy.holder_id_number)).one() == "370102198001011234"
        db.session.remove()
        flask_migrate.downgrade(revision="63551b0aa593")
        assert (
            db.session.execute(text("SELECT holder_id_number FROM policy")).scalar() == "370102198001011234"
        )
        db.session.remove()
