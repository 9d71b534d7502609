"""aid logistics

Revision ID: 3c7125a2e51f
Revises: 02c9cea971e9
Create Date: 2026-11-23 08:54:08.630534

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c7125a2e51f'
down_revision = '02c9cea971e9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('aid_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('category', sa.Enum('food', 'water', 'shelter', 'hygiene', 'health', 'household', name='aid_item_category', native_enum=False, length=20), nullable=False),
    sa.Column('need_key', sa.String(length=40), nullable=True),
    sa.Column('has_expiry', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aid_items')),
    sa.UniqueConstraint('code', name=op.f('uq_aid_items_code'))
    )
    with op.batch_alter_table('aid_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aid_items_need_key'), ['need_key'], unique=False)

    op.create_table('aid_depots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('warehouse', 'logistics_post', name='aid_depot_kind', native_enum=False, length=20), nullable=False),
    sa.Column('owner_org_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=13), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.String(length=254), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisations.id'], name=op.f('fk_aid_depots_owner_org_id_organisations')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_aid_depots_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aid_depots')),
    sa.UniqueConstraint('code', name=op.f('uq_aid_depots_code'))
    )
    with op.batch_alter_table('aid_depots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aid_depots_owner_org_id'), ['owner_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aid_depots_region_code'), ['region_code'], unique=False)

    op.create_table('aid_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shelter_id', sa.Integer(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('open', 'filled', 'cancelled', name='aid_request_status', native_enum=False, length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_by', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_aid_requests_requested_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shelter_id'], ['shelters.id'], name=op.f('fk_aid_requests_shelter_id_shelters'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aid_requests'))
    )
    with op.batch_alter_table('aid_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aid_requests_shelter_id'), ['shelter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aid_requests_status'), ['status'], unique=False)

    op.create_table('aid_distributions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('depot_id', sa.Integer(), nullable=False),
    sa.Column('shelter_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('planned', 'loaded', 'in_transit', 'delivered', 'confirmed', 'cancelled', name='aid_distribution_status', native_enum=False, length=20), nullable=False),
    sa.Column('assigned_user_id', sa.Integer(), nullable=True),
    sa.Column('vehicle', sa.String(length=100), nullable=True),
    sa.Column('planned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('receiver_name', sa.String(length=200), nullable=True),
    sa.Column('delivered_lat', sa.Float(), nullable=True),
    sa.Column('delivered_lon', sa.Float(), nullable=True),
    sa.Column('delivered_accuracy_m', sa.Float(), nullable=True),
    sa.Column('photo_file', sa.String(length=100), nullable=True),
    sa.Column('has_discrepancy', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=254), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assigned_user_id'], ['users.id'], name=op.f('fk_aid_distributions_assigned_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['depot_id'], ['aid_depots.id'], name=op.f('fk_aid_distributions_depot_id_aid_depots')),
    sa.ForeignKeyConstraint(['request_id'], ['aid_requests.id'], name=op.f('fk_aid_distributions_request_id_aid_requests'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shelter_id'], ['shelters.id'], name=op.f('fk_aid_distributions_shelter_id_shelters')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aid_distributions'))
    )
    with op.batch_alter_table('aid_distributions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aid_distributions_assigned_user_id'), ['assigned_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aid_distributions_delivered_at'), ['delivered_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_aid_distributions_depot_id'), ['depot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aid_distributions_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aid_distributions_shelter_id'), ['shelter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aid_distributions_status'), ['status'], unique=False)

    op.create_table('aid_request_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_aid_request_lines_quantity_positive')),
    sa.ForeignKeyConstraint(['item_id'], ['aid_items.id'], name=op.f('fk_aid_request_lines_item_id_aid_items')),
    sa.ForeignKeyConstraint(['request_id'], ['aid_requests.id'], name=op.f('fk_aid_request_lines_request_id_aid_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aid_request_lines')),
    sa.UniqueConstraint('request_id', 'item_id', name=op.f('uq_aid_request_lines_request_id_item_id'))
    )
    with op.batch_alter_table('aid_request_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aid_request_lines_request_id'), ['request_id'], unique=False)

    op.create_table('aid_distribution_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('distribution_id', sa.Integer(), nullable=False),
    sa.Column('status_from', sa.String(length=20), nullable=True),
    sa.Column('status_to', sa.String(length=20), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=254), nullable=False),
    sa.Column('via', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['distribution_id'], ['aid_distributions.id'], name=op.f('fk_aid_distribution_events_distribution_id_aid_distributions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aid_distribution_events'))
    )
    with op.batch_alter_table('aid_distribution_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aid_distribution_events_distribution_id'), ['distribution_id'], unique=False)

    op.create_table('aid_distribution_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('distribution_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('quantity_received', sa.Integer(), nullable=True),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_aid_distribution_lines_quantity_positive')),
    sa.CheckConstraint('quantity_received >= 0', name=op.f('ck_aid_distribution_lines_received_non_negative')),
    sa.ForeignKeyConstraint(['distribution_id'], ['aid_distributions.id'], name=op.f('fk_aid_distribution_lines_distribution_id_aid_distributions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['aid_items.id'], name=op.f('fk_aid_distribution_lines_item_id_aid_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aid_distribution_lines')),
    sa.UniqueConstraint('distribution_id', 'item_id', name=op.f('uq_aid_distribution_lines_distribution_id_item_id'))
    )
    with op.batch_alter_table('aid_distribution_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aid_distribution_lines_distribution_id'), ['distribution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aid_distribution_lines_item_id'), ['item_id'], unique=False)

    op.create_table('aid_stock_movements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('depot_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('receive', 'transfer_out', 'transfer_in', 'distribute', 'return', 'adjust', name='aid_movement_kind', native_enum=False, length=20), nullable=False),
    sa.Column('source', sa.Enum('donation', 'procurement', 'transfer', name='aid_receive_source', native_enum=False, length=20), nullable=True),
    sa.Column('adjust_reason', sa.Enum('damaged', 'expired', 'lost', 'count_correction', name='aid_adjust_reason', native_enum=False, length=20), nullable=True),
    sa.Column('reason', sa.String(length=300), nullable=True),
    sa.Column('donor', sa.String(length=200), nullable=True),
    sa.Column('batch_expiry', sa.Date(), nullable=True),
    sa.Column('counterpart_depot_id', sa.Integer(), nullable=True),
    sa.Column('distribution_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=254), nullable=False),
    sa.Column('via', sa.String(length=10), nullable=False),
    sa.CheckConstraint('quantity <> 0', name=op.f('ck_aid_stock_movements_quantity_not_zero')),
    sa.ForeignKeyConstraint(['counterpart_depot_id'], ['aid_depots.id'], name=op.f('fk_aid_stock_movements_counterpart_depot_id_aid_depots')),
    sa.ForeignKeyConstraint(['depot_id'], ['aid_depots.id'], name=op.f('fk_aid_stock_movements_depot_id_aid_depots')),
    sa.ForeignKeyConstraint(['distribution_id'], ['aid_distributions.id'], name=op.f('fk_aid_stock_movements_distribution_id_aid_distributions')),
    sa.ForeignKeyConstraint(['item_id'], ['aid_items.id'], name=op.f('fk_aid_stock_movements_item_id_aid_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aid_stock_movements'))
    )
    with op.batch_alter_table('aid_stock_movements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aid_stock_movements_at'), ['at'], unique=False)
        batch_op.create_index('ix_aid_stock_movements_depot_item', ['depot_id', 'item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aid_stock_movements_distribution_id'), ['distribution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aid_stock_movements_item_id'), ['item_id'], unique=False)



def downgrade():
    with op.batch_alter_table('aid_stock_movements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aid_stock_movements_item_id'))
        batch_op.drop_index(batch_op.f('ix_aid_stock_movements_distribution_id'))
        batch_op.drop_index('ix_aid_stock_movements_depot_item')
        batch_op.drop_index(batch_op.f('ix_aid_stock_movements_at'))

    op.drop_table('aid_stock_movements')
    with op.batch_alter_table('aid_distribution_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aid_distribution_lines_item_id'))
        batch_op.drop_index(batch_op.f('ix_aid_distribution_lines_distribution_id'))

    op.drop_table('aid_distribution_lines')
    with op.batch_alter_table('aid_distribution_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aid_distribution_events_distribution_id'))

    op.drop_table('aid_distribution_events')
    with op.batch_alter_table('aid_request_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aid_request_lines_request_id'))

    op.drop_table('aid_request_lines')
    with op.batch_alter_table('aid_distributions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aid_distributions_status'))
        batch_op.drop_index(batch_op.f('ix_aid_distributions_shelter_id'))
        batch_op.drop_index(batch_op.f('ix_aid_distributions_request_id'))
        batch_op.drop_index(batch_op.f('ix_aid_distributions_depot_id'))
        batch_op.drop_index(batch_op.f('ix_aid_distributions_delivered_at'))
        batch_op.drop_index(batch_op.f('ix_aid_distributions_assigned_user_id'))

    op.drop_table('aid_distributions')
    with op.batch_alter_table('aid_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aid_requests_status'))
        batch_op.drop_index(batch_op.f('ix_aid_requests_shelter_id'))

    op.drop_table('aid_requests')
    with op.batch_alter_table('aid_depots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aid_depots_region_code'))
        batch_op.drop_index(batch_op.f('ix_aid_depots_owner_org_id'))

    op.drop_table('aid_depots')
    with op.batch_alter_table('aid_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aid_items_need_key'))

    op.drop_table('aid_items')
