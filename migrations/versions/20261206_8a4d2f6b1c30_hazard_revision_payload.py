"""hazard revisions: the item as BMKG sent it

Revision ID: 8a4d2f6b1c30
Revises: 5e0b7a3c9d12
Create Date: 2026-12-06 04:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = "8a4d2f6b1c30"
down_revision = "5e0b7a3c9d12"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("hazard_revisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payload", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("hazard_revisions", schema=None) as batch_op:
        batch_op.drop_column("payload")
