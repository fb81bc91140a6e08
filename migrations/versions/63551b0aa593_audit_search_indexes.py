"""audit search indexes: audit_event by target (who saw or changed this record?)

Revision ID: 63551b0aa593
Revises: 4817bad5ccce
Create Date: 2026-11-25 16:03:43.714807

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "63551b0aa593"
down_revision = "4817bad5ccce"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_target", ["target_type", "target_id"], unique=False)


def downgrade():
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_target")
