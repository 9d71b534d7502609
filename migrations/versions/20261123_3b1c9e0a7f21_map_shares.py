"""map shares

Revision ID: 3b1c9e0a7f21
Revises: 06311405a5c0
Create Date: 2026-11-23 07:25:00

"""
from alembic import op
import sqlalchemy as sa


revision = "3b1c9e0a7f21"
down_revision = "06311405a5c0"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "map_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("layers", sa.JSON(), nullable=False),
        sa.Column("region_code", sa.String(length=13), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_map_shares_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_map_shares")),
        sa.UniqueConstraint("token", name=op.f("uq_map_shares_token")),
    )


def downgrade():
    op.drop_table("map_shares")
