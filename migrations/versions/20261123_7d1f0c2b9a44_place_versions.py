"""place versions: a token the place-catalogue cache checks, changed by triggers

Revision ID: 7d1f0c2b9a44
Revises: 2ea39b454bd8
Create Date: 2026-11-23 15:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = "7d1f0c2b9a44"
down_revision = "2ea39b454bd8"
branch_labels = None
depends_on = None

# Table → the columns whose update changes the catalogue (inserts and deletes always do).
WATCHED = {
    "shelters": ("name", "lat", "lon", "region_code"),
    "evacuation_points": ("name", "lat", "lon", "region_code", "status"),
    "regions": ("name", "level", "centroid_lat", "centroid_lon"),
}


def upgrade():
    op.create_table(
        "place_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place_versions")),
    )
    op.execute("INSERT INTO place_versions (id, token) VALUES (1, 'initial')")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE OR REPLACE FUNCTION siaga_place_version_bump() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE place_versions SET token = md5(random()::text || clock_timestamp()::text);
                RETURN NULL;
            END
            $$
            """
        )
        for table, columns in WATCHED.items():
            op.execute(
                f"CREATE TRIGGER {table}_place_version AFTER INSERT OR DELETE OR TRUNCATE "
                f"OR UPDATE OF {', '.join(columns)} ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION siaga_place_version_bump()"
            )
    else:  # SQLite: row triggers only
        bump = "BEGIN UPDATE place_versions SET token = lower(hex(randomblob(16))); END"
        for table, columns in WATCHED.items():
            op.execute(f"CREATE TRIGGER {table}_place_version_ins AFTER INSERT ON {table} {bump}")
            op.execute(f"CREATE TRIGGER {table}_place_version_del AFTER DELETE ON {table} {bump}")
            op.execute(
                f"CREATE TRIGGER {table}_place_version_upd AFTER UPDATE OF {', '.join(columns)} "
                f"ON {table} {bump}"
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_place_version ON {table}")
        op.execute("DROP FUNCTION IF EXISTS siaga_place_version_bump()")
    else:
        for table in WATCHED:
            for suffix in ("ins", "del", "upd"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_place_version_{suffix}")
    op.drop_table("place_versions")
