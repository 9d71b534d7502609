"""hazard events: an exercise and a real report never share an identifier's event

Revision ID: 5e0b7a3c9d12
Revises: 7d1f0c2b9a44
Create Date: 2026-12-06 03:40:00

"""
from alembic import op


revision = "5e0b7a3c9d12"
down_revision = "7d1f0c2b9a44"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("hazard_events", schema=None) as batch_op:
        batch_op.drop_constraint("uq_hazard_events_kind_identifier", type_="unique")
        batch_op.create_unique_constraint(
            "uq_hazard_events_kind_identifier_is_exercise", ["kind", "identifier", "is_exercise"]
        )


def downgrade():
    with op.batch_alter_table("hazard_events", schema=None) as batch_op:
        batch_op.drop_constraint("uq_hazard_events_kind_identifier_is_exercise", type_="unique")
        batch_op.create_unique_constraint("uq_hazard_events_kind_identifier", ["kind", "identifier"])
