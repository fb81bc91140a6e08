"""search: keyed id hash, name indexes

Revision ID: 6fc3eca4e3ef
Revises: d7da07a69e13
Create Date: 2026-11-25 12:07:04.143880

The ID number hashes (HMAC-SHA256 under HUIFANG_PII_KEY, as server/policies/pii.py makes them) are
filled in for the policies already stored, in batches. The name indexes are pg_trgm GIN indexes on
PostgreSQL (the extension is created here); SQLite gets plain indexes of the same names.
"""

import hmac

import sqlalchemy as sa
from alembic import op
from flask import current_app

# revision identifiers, used by Alembic.
revision = "6fc3eca4e3ef"
down_revision = "d7da07a69e13"
branch_labels = None
depends_on = None

BATCH = 5000


def _backfill_id_hashes():
    key = current_app.config["HUIFANG_PII_KEY"]
    raw = key.encode() if isinstance(key, str) else key

    def digest(value):
        if not value:
            return None
        return hmac.digest(raw, "".join(value.split()).upper().encode(), "sha256").hex()

    policy = sa.table(
        "policy",
        sa.column("id", sa.Integer),
        sa.column("holder_id_number", sa.String),
        sa.column("insured_id_number", sa.String),
        sa.column("holder_id_hash", sa.String),
        sa.column("insured_id_hash", sa.String),
    )
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.select(policy.c.id, policy.c.holder_id_number, policy.c.insured_id_number)
            .where(policy.c.id > last)
            .order_by(policy.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        bind.execute(
            policy.update()
            .where(policy.c.id == sa.bindparam("row_id"))
            .values(holder_id_hash=sa.bindparam("h"), insured_id_hash=sa.bindparam("i")),
            [
                {"row_id": r.id, "h": digest(r.holder_id_number), "i": digest(r.insured_id_number)}
                for r in rows
            ],
        )
        last = rows[-1].id


def upgrade():
    with op.batch_alter_table("policy", schema=None) as batch_op:
        batch_op.add_column(sa.Column("holder_id_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("insured_id_hash", sa.String(length=64), nullable=True))

    _backfill_id_hashes()  # before the indexes: filling indexed columns row by row is slower

    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")

    with op.batch_alter_table("policy", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_policy_holder_id_hash"), ["holder_id_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_policy_insured_id_hash"), ["insured_id_hash"], unique=False)
        # GIN trigram indexes on PostgreSQL; the postgresql_* options are ignored by SQLite.
        batch_op.create_index(
            "ix_policy_holder_name_trgm",
            ["holder_name"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"holder_name": "gin_trgm_ops"},
        )
        batch_op.create_index(
            "ix_policy_insured_name_trgm",
            ["insured_name"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"insured_name": "gin_trgm_ops"},
        )

    with op.batch_alter_table("phone_callback", schema=None) as batch_op:
        batch_op.create_index("ix_phone_callback_created", ["created_at"], unique=False)

    with op.batch_alter_table("problem_case", schema=None) as batch_op:
        batch_op.create_index("ix_problem_case_created", ["created_at"], unique=False)

    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.create_index("ix_visit_received", ["received_at", "uuid"], unique=False)

    with op.batch_alter_table("visit_task", schema=None) as batch_op:
        batch_op.create_index("ix_visit_task_created", ["created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("visit_task", schema=None) as batch_op:
        batch_op.drop_index("ix_visit_task_created")

    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_index("ix_visit_received")

    with op.batch_alter_table("problem_case", schema=None) as batch_op:
        batch_op.drop_index("ix_problem_case_created")

    with op.batch_alter_table("phone_callback", schema=None) as batch_op:
        batch_op.drop_index("ix_phone_callback_created")

    with op.batch_alter_table("policy", schema=None) as batch_op:
        batch_op.drop_index("ix_policy_insured_name_trgm")
        batch_op.drop_index("ix_policy_holder_name_trgm")
        batch_op.drop_index(batch_op.f("ix_policy_insured_id_hash"))
        batch_op.drop_index(batch_op.f("ix_policy_holder_id_hash"))
        batch_op.drop_column("insured_id_hash")
        batch_op.drop_column("holder_id_hash")
    # pg_trgm stays: dropping an extension is for the database's owner to decide.
