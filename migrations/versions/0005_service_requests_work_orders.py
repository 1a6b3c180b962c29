"""service requests and work orders

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 03:25:49.393120
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('job_templates',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('service_type', sa.String(length=16), nullable=False),
    sa.Column('product_family', sa.String(length=80), nullable=True),
    sa.Column('checklist', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'cockroachdb').with_variant(advanced_alchemy.types.json.ORA_JSONB(), 'oracle').with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_templates')),
    sa.UniqueConstraint('code', name='uq_job_templates_code')
    )
    op.create_table('job_template_tasks',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('template_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('sequence', sa.SmallInteger(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('required_skills', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'cockroachdb').with_variant(advanced_alchemy.types.json.ORA_JSONB(), 'oracle').with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('crew_size', sa.SmallInteger(), nullable=False),
    sa.Column('depends_on', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'cockroachdb').with_variant(advanced_alchemy.types.json.ORA_JSONB(), 'oracle').with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('parts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'cockroachdb').with_variant(advanced_alchemy.types.json.ORA_JSONB(), 'oracle').with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint('crew_size BETWEEN 1 AND 10', name=op.f('ck_job_template_tasks_crew_size_range')),
    sa.CheckConstraint('duration_minutes > 0', name=op.f('ck_job_template_tasks_duration_positive')),
    sa.ForeignKeyConstraint(['template_id'], ['job_templates.id'], name=op.f('fk_job_template_tasks_template_id_job_templates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_template_tasks')),
    sa.UniqueConstraint('template_id', 'sequence', name='uq_job_template_tasks_template_sequence')
    )
    with op.batch_alter_table('job_template_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_template_tasks_template_id'), ['template_id'], unique=False)

    op.create_table('service_requests',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('customer_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('contact_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('equipment_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('site_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('symptom', sa.Text(), nullable=False),
    sa.Column('symptom_code', sa.String(length=40), nullable=True),
    sa.Column('priority', sa.String(length=2), nullable=False),
    sa.Column('service_type', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reported_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('entitlement', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'cockroachdb').with_variant(advanced_alchemy.types.json.ORA_JSONB(), 'oracle').with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('covered_by', sa.String(length=16), nullable=False),
    sa.Column('labour_pct', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('parts_pct', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('travel_pct', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('response_due', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('resolution_due', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('estimated_amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('credit', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'cockroachdb').with_variant(advanced_alchemy.types.json.ORA_JSONB(), 'oracle').with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('credit_outcome', sa.String(length=8), nullable=True),
    sa.Column('escalation_level', sa.Integer(), nullable=False),
    sa.Column('waiting_for_customer_since', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('paused_seconds', sa.Integer(), nullable=False),
    sa.Column('responded_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('resolved_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('closed_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('resolution_code', sa.String(length=40), nullable=True),
    sa.Column('resolution_notes', sa.Text(), nullable=True),
    sa.Column('logged_by', sa.String(length=150), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint("channel IN ('phone', 'email', 'portal', 'device_alert')", name=op.f('ck_service_requests_channel_valid')),
    sa.CheckConstraint("priority IN ('P1', 'P2', 'P3', 'P4')", name=op.f('ck_service_requests_priority_valid')),
    sa.CheckConstraint("service_type IN ('repair', 'maintenance', 'installation', 'inspection')", name=op.f('ck_service_requests_service_type_valid')),
    sa.CheckConstraint("status IN ('new', 'triaged', 'in_progress', 'resolved', 'closed', 'cancelled')", name=op.f('ck_service_requests_status_valid')),
    sa.CheckConstraint('equipment_id IS NOT NULL OR site_id IS NOT NULL', name=op.f('ck_service_requests_has_an_object')),
    sa.CheckConstraint('escalation_level >= 0', name=op.f('ck_service_requests_escalation_not_negative')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_service_requests_contact_id_contacts'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_service_requests_customer_id_customers'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['equipment_id'], ['equipment.id'], name=op.f('fk_service_requests_equipment_id_equipment'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_service_requests_site_id_sites'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_requests')),
    sa.UniqueConstraint('number', name='uq_service_requests_number')
    )
    with op.batch_alter_table('service_requests', schema=None) as batch_op:
        batch_op.create_index('ix_service_requests_customer_status', ['customer_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_requests_equipment_id'), ['equipment_id'], unique=False)
        batch_op.create_index('ix_service_requests_status_response_due', ['status', 'response_due'], unique=False)

    op.create_table('service_request_events',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('request_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('actor_name', sa.String(length=150), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=True),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'cockroachdb').with_variant(advanced_alchemy.types.json.ORA_JSONB(), 'oracle').with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['service_requests.id'], name=op.f('fk_service_request_events_request_id_service_requests'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_request_events'))
    )
    with op.batch_alter_table('service_request_events', schema=None) as batch_op:
        batch_op.create_index('ix_service_request_events_request_at', ['request_id', 'at'], unique=False)

    op.create_table('work_orders',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('request_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('template_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('customer_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('site_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('equipment_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('service_type', sa.String(length=16), nullable=False),
    sa.Column('priority', sa.String(length=2), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_before_hold', sa.String(length=16), nullable=True),
    sa.Column('billable', sa.Boolean(), nullable=False),
    sa.Column('estimated_amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('credit_override_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('checklist', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'cockroachdb').with_variant(advanced_alchemy.types.json.ORA_JSONB(), 'oracle').with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('completed_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('first_time_fix', sa.Boolean(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint("priority IN ('P1', 'P2', 'P3', 'P4')", name=op.f('ck_work_orders_priority_valid')),
    sa.CheckConstraint("status IN ('open', 'scheduled', 'dispatched', 'en_route', 'on_site', 'completed', 'closed', 'billed', 'on_hold', 'cancelled')", name=op.f('ck_work_orders_status_valid')),
    sa.ForeignKeyConstraint(['credit_override_id'], ['credit_overrides.id'], name=op.f('fk_work_orders_credit_override_id_credit_overrides'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_work_orders_customer_id_customers'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['equipment_id'], ['equipment.id'], name=op.f('fk_work_orders_equipment_id_equipment'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['request_id'], ['service_requests.id'], name=op.f('fk_work_orders_request_id_service_requests'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_work_orders_site_id_sites'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['template_id'], ['job_templates.id'], name=op.f('fk_work_orders_template_id_job_templates'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_orders')),
    sa.UniqueConstraint('number', name='uq_work_orders_number')
    )
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.create_index('ix_work_orders_customer_status', ['customer_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_orders_equipment_id'), ['equipment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_orders_request_id'), ['request_id'], unique=False)

    op.create_table('tasks',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('work_order_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('sequence', sa.SmallInteger(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('site_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('required_skills', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'cockroachdb').with_variant(advanced_alchemy.types.json.ORA_JSONB(), 'oracle').with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('time_windows', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'cockroachdb').with_variant(advanced_alchemy.types.json.ORA_JSONB(), 'oracle').with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('priority', sa.String(length=2), nullable=False),
    sa.Column('crew_size', sa.SmallInteger(), nullable=False),
    sa.Column('pinned', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('planned_start', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('planned_end', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('open', 'scheduled', 'dispatched', 'en_route', 'on_site', 'completed', 'cancelled')", name=op.f('ck_tasks_status_valid')),
    sa.CheckConstraint('crew_size BETWEEN 1 AND 10', name=op.f('ck_tasks_crew_size_range')),
    sa.CheckConstraint('duration_minutes > 0', name=op.f('ck_tasks_duration_positive')),
    sa.CheckConstraint('planned_end IS NULL OR planned_end > planned_start', name=op.f('ck_tasks_planned_end_after_start')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_tasks_site_id_sites'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_tasks_work_order_id_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tasks')),
    sa.UniqueConstraint('work_order_id', 'sequence', name='uq_tasks_work_order_sequence')
    )
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index('ix_tasks_planned_start', ['planned_start'], unique=False)
        batch_op.create_index('ix_tasks_status', ['status'], unique=False)

    op.create_table('task_assignments',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('task_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('engineer_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('lead', sa.Boolean(), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['engineer_id'], ['engineers.id'], name=op.f('fk_task_assignments_engineer_id_engineers'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_task_assignments_task_id_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_assignments')),
    sa.UniqueConstraint('task_id', 'engineer_id', name='uq_task_assignments_task_engineer')
    )
    with op.batch_alter_table('task_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_assignments_engineer_id'), ['engineer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_assignments_task_id'), ['task_id'], unique=False)

    op.create_table('task_dependencies',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('task_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('depends_on_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint('task_id <> depends_on_id', name=op.f('ck_task_dependencies_not_self')),
    sa.ForeignKeyConstraint(['depends_on_id'], ['tasks.id'], name=op.f('fk_task_dependencies_depends_on_id_tasks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_task_dependencies_task_id_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_dependencies')),
    sa.UniqueConstraint('task_id', 'depends_on_id', name='uq_task_dependencies_pair')
    )
    with op.batch_alter_table('task_dependencies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_dependencies_depends_on_id'), ['depends_on_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_dependencies_task_id'), ['task_id'], unique=False)

    op.create_table('task_parts',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('task_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('product_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_task_parts_quantity_positive')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_task_parts_product_id_products'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_task_parts_task_id_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_parts'))
    )
    with op.batch_alter_table('task_parts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_parts_task_id'), ['task_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('task_parts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_parts_task_id'))

    op.drop_table('task_parts')
    with op.batch_alter_table('task_dependencies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_dependencies_task_id'))
        batch_op.drop_index(batch_op.f('ix_task_dependencies_depends_on_id'))

    op.drop_table('task_dependencies')
    with op.batch_alter_table('task_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_assignments_task_id'))
        batch_op.drop_index(batch_op.f('ix_task_assignments_engineer_id'))

    op.drop_table('task_assignments')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_status')
        batch_op.drop_index('ix_tasks_planned_start')

    op.drop_table('tasks')
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_orders_request_id'))
        batch_op.drop_index(batch_op.f('ix_work_orders_equipment_id'))
        batch_op.drop_index('ix_work_orders_customer_status')

    op.drop_table('work_orders')
    with op.batch_alter_table('service_request_events', schema=None) as batch_op:
        batch_op.drop_index('ix_service_request_events_request_at')

    op.drop_table('service_request_events')
    with op.batch_alter_table('service_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_service_requests_status_response_due')
        batch_op.drop_index(batch_op.f('ix_service_requests_equipment_id'))
        batch_op.drop_index('ix_service_requests_customer_status')

    op.drop_table('service_requests')
    with op.batch_alter_table('job_template_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_template_tasks_template_id'))

    op.drop_table('job_template_tasks')
    op.drop_table('job_templates')
