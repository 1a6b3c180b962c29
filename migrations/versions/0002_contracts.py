"""contracts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 02:10:26.513704
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('coverage_calendars',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=True),
    sa.Column('windows', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'cockroachdb').with_variant(advanced_alchemy.types.json.ORA_JSONB(), 'oracle').with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('holiday_country', sa.String(length=2), nullable=True),
    sa.Column('holiday_subdivision', sa.String(length=10), nullable=True),
    sa.Column('closures', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'cockroachdb').with_variant(advanced_alchemy.types.json.ORA_JSONB(), 'oracle').with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coverage_calendars')),
    sa.UniqueConstraint('code', name='uq_coverage_calendars_code')
    )
    op.create_table('credit_accounts',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('customer_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('credit_limit', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('tolerance_days', sa.Integer(), nullable=False),
    sa.Column('on_hold', sa.Boolean(), nullable=False),
    sa.Column('hold_reason', sa.String(length=500), nullable=True),
    sa.Column('hold_set_by', sa.String(length=150), nullable=True),
    sa.Column('hold_set_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('opening_balance', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('opening_overdue', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('opening_overdue_days', sa.Integer(), nullable=False),
    sa.Column('average_days_to_pay', sa.Numeric(precision=6, scale=1), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint('NOT on_hold OR hold_reason IS NOT NULL', name=op.f('ck_credit_accounts_hold_needs_reason')),
    sa.CheckConstraint('credit_limit >= 0', name=op.f('ck_credit_accounts_limit_not_negative')),
    sa.CheckConstraint('tolerance_days >= 0', name=op.f('ck_credit_accounts_tolerance_not_negative')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_credit_accounts_customer_id_customers'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_accounts')),
    sa.UniqueConstraint('customer_id', name='uq_credit_accounts_customer')
    )
    op.create_table('service_contracts',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('customer_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('auto_renew', sa.Boolean(), nullable=False),
    sa.Column('notice_days', sa.Integer(), nullable=False),
    sa.Column('renewal_uplift_pct', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('predecessor_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('fee_amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('billing_period', sa.String(length=12), nullable=False),
    sa.Column('billing_timing', sa.String(length=12), nullable=False),
    sa.Column('usage_counter_name', sa.String(length=60), nullable=True),
    sa.Column('usage_included_volume', sa.Numeric(precision=18, scale=3), nullable=True),
    sa.Column('usage_unit_price', sa.Numeric(precision=14, scale=6), nullable=True),
    sa.Column('status_reason', sa.String(length=500), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint("billing_period IN ('monthly', 'quarterly', 'yearly')", name=op.f('ck_service_contracts_billing_period_valid')),
    sa.CheckConstraint("billing_timing IN ('in_advance', 'in_arrears')", name=op.f('ck_service_contracts_billing_timing_valid')),
    sa.CheckConstraint("status IN ('draft', 'active', 'suspended', 'expired', 'terminated', 'renewed')", name=op.f('ck_service_contracts_status_valid')),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_service_contracts_ends_after_starts')),
    sa.CheckConstraint('fee_amount >= 0', name=op.f('ck_service_contracts_fee_not_negative')),
    sa.CheckConstraint('notice_days >= 0', name=op.f('ck_service_contracts_notice_days_not_negative')),
    sa.CheckConstraint('usage_included_volume IS NULL OR usage_included_volume >= 0', name=op.f('ck_service_contracts_included_not_negative')),
    sa.CheckConstraint('usage_unit_price IS NULL OR usage_unit_price >= 0', name=op.f('ck_service_contracts_unit_price_not_negative')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_service_contracts_customer_id_customers'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['predecessor_id'], ['service_contracts.id'], name=op.f('fk_service_contracts_predecessor_id_service_contracts'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_contracts')),
    sa.UniqueConstraint('number', name='uq_service_contracts_number'),
    sa.UniqueConstraint('predecessor_id', name='uq_service_contracts_predecessor')
    )
    with op.batch_alter_table('service_contracts', schema=None) as batch_op:
        batch_op.create_index('ix_service_contracts_customer_status', ['customer_id', 'status'], unique=False)
        batch_op.create_index('ix_service_contracts_ends_on', ['ends_on'], unique=False)

    op.create_table('service_levels',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('calendar_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('pause_on_customer_wait', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['calendar_id'], ['coverage_calendars.id'], name=op.f('fk_service_levels_calendar_id_coverage_calendars'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_levels')),
    sa.UniqueConstraint('code', name='uq_service_levels_code')
    )
    with op.batch_alter_table('service_levels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_levels_calendar_id'), ['calendar_id'], unique=False)

    op.create_table('contract_lines',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('contract_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('site_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('product_family', sa.String(length=80), nullable=True),
    sa.Column('service_level_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('labour_pct', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('parts_pct', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('travel_pct', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('quota_period', sa.String(length=8), nullable=False),
    sa.Column('quota_visits', sa.Integer(), nullable=True),
    sa.Column('quota_hours', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('quota_parts_value', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('excluded_service_types', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'cockroachdb').with_variant(advanced_alchemy.types.json.ORA_JSONB(), 'oracle').with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint("quota_period IN ('term', 'year', 'month')", name=op.f('ck_contract_lines_quota_period_valid')),
    sa.CheckConstraint('(quota_visits IS NULL OR quota_visits >= 0) AND (quota_hours IS NULL OR quota_hours >= 0) AND (quota_parts_value IS NULL OR quota_parts_value >= 0)', name=op.f('ck_contract_lines_quotas_not_negative')),
    sa.CheckConstraint('labour_pct BETWEEN 0 AND 100 AND parts_pct BETWEEN 0 AND 100 AND travel_pct BETWEEN 0 AND 100', name=op.f('ck_contract_lines_percent_range')),
    sa.ForeignKeyConstraint(['contract_id'], ['service_contracts.id'], name=op.f('fk_contract_lines_contract_id_service_contracts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_level_id'], ['service_levels.id'], name=op.f('fk_contract_lines_service_level_id_service_levels'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_contract_lines_site_id_sites'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_lines'))
    )
    with op.batch_alter_table('contract_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_lines_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index('ix_contract_lines_family', ['product_family'], unique=False)
        batch_op.create_index('ix_contract_lines_site', ['site_id'], unique=False)

    op.create_table('contract_notices',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('contract_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('term_ends_on', sa.Date(), nullable=False),
    sa.Column('raised_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['service_contracts.id'], name=op.f('fk_contract_notices_contract_id_service_contracts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_notices')),
    sa.UniqueConstraint('contract_id', 'kind', 'term_ends_on', name='uq_contract_notices_once')
    )
    with op.batch_alter_table('contract_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_notices_contract_id'), ['contract_id'], unique=False)

    op.create_table('credit_overrides',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('customer_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('requested_by_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('approved_by_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('valid_until', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('used', sa.Boolean(), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_credit_overrides_amount_positive')),
    sa.CheckConstraint('approved_by_id <> requested_by_id', name=op.f('ck_credit_overrides_four_eyes')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_credit_overrides_approved_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_credit_overrides_customer_id_customers'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_credit_overrides_requested_by_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_overrides'))
    )
    with op.batch_alter_table('credit_overrides', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_overrides_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_credit_overrides_reference'), ['reference'], unique=False)

    op.create_table('service_level_targets',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('service_level_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('priority', sa.String(length=2), nullable=False),
    sa.Column('response_minutes', sa.Integer(), nullable=False),
    sa.Column('resolution_minutes', sa.Integer(), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint("priority IN ('P1', 'P2', 'P3', 'P4')", name=op.f('ck_service_level_targets_priority_valid')),
    sa.CheckConstraint('resolution_minutes >= response_minutes', name=op.f('ck_service_level_targets_resolution_after_response')),
    sa.CheckConstraint('response_minutes > 0', name=op.f('ck_service_level_targets_response_positive')),
    sa.ForeignKeyConstraint(['service_level_id'], ['service_levels.id'], name=op.f('fk_service_level_targets_service_level_id_service_levels'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_level_targets')),
    sa.UniqueConstraint('service_level_id', 'priority', name='uq_service_level_targets_level_priority')
    )
    with op.batch_alter_table('service_level_targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_level_targets_service_level_id'), ['service_level_id'], unique=False)

    op.create_table('warranty_terms',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('duration_months', sa.Integer(), nullable=True),
    sa.Column('counter_name', sa.String(length=60), nullable=True),
    sa.Column('counter_units', sa.Numeric(precision=18, scale=3), nullable=True),
    sa.Column('start_basis', sa.String(length=16), nullable=False),
    sa.Column('labour_pct', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('parts_pct', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('travel_pct', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('exchange_type', sa.String(length=20), nullable=False),
    sa.Column('service_level_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint("exchange_type IN ('none', 'advance_exchange', 'loaner')", name=op.f('ck_warranty_terms_exchange_type_valid')),
    sa.CheckConstraint("start_basis IN ('install_date', 'ship_date')", name=op.f('ck_warranty_terms_start_basis_valid')),
    sa.CheckConstraint('(counter_units IS NULL) = (counter_name IS NULL)', name=op.f('ck_warranty_terms_counter_units_need_counter_name')),
    sa.CheckConstraint('duration_months IS NOT NULL OR counter_units IS NOT NULL', name=op.f('ck_warranty_terms_has_a_limit')),
    sa.CheckConstraint('duration_months IS NULL OR duration_months > 0', name=op.f('ck_warranty_terms_duration_positive')),
    sa.CheckConstraint('labour_pct BETWEEN 0 AND 100 AND parts_pct BETWEEN 0 AND 100 AND travel_pct BETWEEN 0 AND 100', name=op.f('ck_warranty_terms_percent_range')),
    sa.ForeignKeyConstraint(['service_level_id'], ['service_levels.id'], name=op.f('fk_warranty_terms_service_level_id_service_levels'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warranty_terms')),
    sa.UniqueConstraint('code', name='uq_warranty_terms_code')
    )
    op.create_table('contract_line_equipment',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('line_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('equipment_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['equipment_id'], ['equipment.id'], name=op.f('fk_contract_line_equipment_equipment_id_equipment'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['line_id'], ['contract_lines.id'], name=op.f('fk_contract_line_equipment_line_id_contract_lines'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_line_equipment')),
    sa.UniqueConstraint('line_id', 'equipment_id', name='uq_contract_line_equipment_line_unit')
    )
    with op.batch_alter_table('contract_line_equipment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_line_equipment_equipment_id'), ['equipment_id'], unique=False)

    op.create_table('entitlement_usage',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('line_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('work_order_ref', sa.String(length=64), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('visits', sa.Integer(), nullable=False),
    sa.Column('hours', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('parts_value', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('consumed_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint('visits >= 0 AND hours >= 0 AND parts_value >= 0', name=op.f('ck_entitlement_usage_amounts_not_negative')),
    sa.ForeignKeyConstraint(['line_id'], ['contract_lines.id'], name=op.f('fk_entitlement_usage_line_id_contract_lines'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entitlement_usage')),
    sa.UniqueConstraint('line_id', 'work_order_ref', name='uq_entitlement_usage_line_work_order')
    )
    with op.batch_alter_table('entitlement_usage', schema=None) as batch_op:
        batch_op.create_index('ix_entitlement_usage_line_period', ['line_id', 'period_start'], unique=False)

    op.create_table('product_warranty_terms',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('product_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('term_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_warranty_terms_product_id_products'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['term_id'], ['warranty_terms.id'], name=op.f('fk_product_warranty_terms_term_id_warranty_terms'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_warranty_terms')),
    sa.UniqueConstraint('product_id', name='uq_product_warranty_terms_product')
    )
    with op.batch_alter_table('product_warranty_terms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_warranty_terms_term_id'), ['term_id'], unique=False)

    op.create_table('warranties',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('equipment_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('customer_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('term_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('counter_name', sa.String(length=60), nullable=True),
    sa.Column('counter_limit', sa.Numeric(precision=18, scale=3), nullable=True),
    sa.Column('void', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('manufacturer', 'extended')", name=op.f('ck_warranties_kind_valid')),
    sa.CheckConstraint('ends_on IS NULL OR ends_on >= starts_on', name=op.f('ck_warranties_ends_after_starts')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_warranties_customer_id_customers'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['equipment_id'], ['equipment.id'], name=op.f('fk_warranties_equipment_id_equipment'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['term_id'], ['warranty_terms.id'], name=op.f('fk_warranties_term_id_warranty_terms'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warranties'))
    )
    with op.batch_alter_table('warranties', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_warranties_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_warranties_equipment', ['equipment_id', 'starts_on'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('warranties', schema=None) as batch_op:
        batch_op.drop_index('ix_warranties_equipment')
        batch_op.drop_index(batch_op.f('ix_warranties_customer_id'))

    op.drop_table('warranties')
    with op.batch_alter_table('product_warranty_terms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_warranty_terms_term_id'))

    op.drop_table('product_warranty_terms')
    with op.batch_alter_table('entitlement_usage', schema=None) as batch_op:
        batch_op.drop_index('ix_entitlement_usage_line_period')

    op.drop_table('entitlement_usage')
    with op.batch_alter_table('contract_line_equipment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_line_equipment_equipment_id'))

    op.drop_table('contract_line_equipment')
    op.drop_table('warranty_terms')
    with op.batch_alter_table('service_level_targets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_level_targets_service_level_id'))

    op.drop_table('service_level_targets')
    with op.batch_alter_table('credit_overrides', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_overrides_reference'))
        batch_op.drop_index(batch_op.f('ix_credit_overrides_customer_id'))

    op.drop_table('credit_overrides')
    with op.batch_alter_table('contract_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_notices_contract_id'))

    op.drop_table('contract_notices')
    with op.batch_alter_table('contract_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_contract_lines_site')
        batch_op.drop_index('ix_contract_lines_family')
        batch_op.drop_index(batch_op.f('ix_contract_lines_contract_id'))

    op.drop_table('contract_lines')
    with op.batch_alter_table('service_levels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_levels_calendar_id'))

    op.drop_table('service_levels')
    with op.batch_alter_table('service_contracts', schema=None) as batch_op:
        batch_op.drop_index('ix_service_contracts_ends_on')
        batch_op.drop_index('ix_service_contracts_customer_status')

    op.drop_table('service_contracts')
    op.drop_table('credit_accounts')
    op.drop_table('coverage_calendars')
