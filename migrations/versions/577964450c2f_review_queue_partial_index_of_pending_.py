"""review queue: partial index of pending visits in keyset order

The queue reads the pending visits of a subtree by (review_priority DESC, submitted_at, uuid). The
older ix_visit_review_queue is all ascending, so PostgreSQL sorted every pending visit of the scope
before it could return the first 50. This index has the queue's own order and only the pending
rows; institution_id is its last column so the scope test and the queue's count need no heap
visit. Written by hand: Alembic cannot compare a DESC (expression) index, so it never proposes one.

Revision ID: 577964450c2f
Revises: b053e5cedab5
Create Date: 2026-11-25 16:32:35.340666

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "577964450c2f"
down_revision = "b053e5cedab5"
branch_labels = None
depends_on = None

PENDING = sa.text("review_state = 'pending'")


def upgrade():
    op.create_index(
        "ix_visit_review_pending",
        "visit",
        [sa.text("review_priority DESC"), "submitted_at", "uuid", "institution_id"],
        unique=False,
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )


def downgrade():
    op.drop_index("ix_visit_review_pending", table_name="visit")
