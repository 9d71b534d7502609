"""feed states: when a feed was first polled (a feed that never answered is silent from then)

Revision ID: c3e91d7a4b58
Revises: 8a4d2f6b1c30
Create Date: 2026-12-06 04:05:00

"""
from alembic import op
import sqlalchemy as sa


revision = "c3e91d7a4b58"
down_revision = "8a4d2f6b1c30"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("feed_states", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_checked_at", sa.DateTime(timezone=True), nullable=True))
    # Feeds polled before: silent (if never answered) from their last check.
    op.execute("UPDATE feed_states SET first_checked_at = last_checked_at")


def downgrade():
    with op.batch_alter_table("feed_states", schema=None) as batch_op:
        batch_op.drop_column("first_checked_at")
