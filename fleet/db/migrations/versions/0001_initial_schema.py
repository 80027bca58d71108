"""initial schema: operators, identity, fleet, sites, bookings, jobs, reservations, tasks,
telemetry, audit log, idempotency keys

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 06:31:38.188512
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import fleet.db.types

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', fleet.db.types.UTCDateTime(), nullable=False),
    sa.Column('operator_id', sa.String(length=36), nullable=False),
    sa.Column('actor_id', sa.String(length=36), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index('ix_audit_log_entity', ['entity', 'entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_operator_id'), ['operator_id'], unique=False)

    op.create_table('operators',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('city', sa.String(length=64), nullable=False),
    sa.Column('created_at', fleet.db.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operators')),
    sa.UniqueConstraint('name', name=op.f('uq_operators_name'))
    )
    op.create_table('battery_packs',
    sa.Column('serial', sa.String(length=64), nullable=False),
    sa.Column('operator_id', sa.String(length=36), nullable=False),
    sa.Column('capacity_wh', sa.Integer(), nullable=False),
    sa.Column('soc_pct', sa.Float(), nullable=False),
    sa.Column('health_pct', sa.Float(), nullable=False),
    sa.Column('location', sa.String(length=16), nullable=False),
    sa.Column('location_id', sa.String(length=36), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=True),
    sa.CheckConstraint('soc_pct >= 0 AND soc_pct <= 100', name=op.f('ck_battery_packs_soc_range')),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_battery_packs_operator_id_operators')),
    sa.PrimaryKeyConstraint('serial', name=op.f('pk_battery_packs')),
    sa.UniqueConstraint('location_id', 'slot', name='uq_battery_packs_location_slot')
    )
    with op.batch_alter_table('battery_packs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_battery_packs_location_id'), ['location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_battery_packs_operator_id'), ['operator_id'], unique=False)

    op.create_table('companies',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('operator_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_companies_operator_id_operators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_companies')),
    sa.UniqueConstraint('operator_id', 'name', name='uq_companies_operator_name')
    )
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_companies_operator_id'), ['operator_id'], unique=False)

    op.create_table('sites',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('operator_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('slots', sa.Integer(), nullable=False),
    sa.Column('chargers', sa.Integer(), nullable=False),
    sa.Column('charger_power_kw', sa.Float(), nullable=False),
    sa.Column('parking_kind', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_sites_operator_id_operators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites')),
    sa.UniqueConstraint('operator_id', 'name', name='uq_sites_operator_name')
    )
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sites_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_sites_operator_id'), ['operator_id'], unique=False)

    op.create_table('vehicles',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('operator_id', sa.String(length=36), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('vehicle_class', sa.String(length=32), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('soc_pct', sa.Float(), nullable=False),
    sa.Column('odometer_m', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('battery_serial', sa.String(length=64), nullable=True),
    sa.Column('updated_at', fleet.db.types.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('odometer_m >= 0', name=op.f('ck_vehicles_odometer_nonneg')),
    sa.CheckConstraint('soc_pct >= 0 AND soc_pct <= 100', name=op.f('ck_vehicles_soc_range')),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_vehicles_operator_id_operators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vehicles')),
    sa.UniqueConstraint('operator_id', 'code', name='uq_vehicles_operator_code')
    )
    with op.batch_alter_table('vehicles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vehicles_operator_id'), ['operator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vehicles_status'), ['status'], unique=False)

    op.create_table('zones',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('operator_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('geometry', sa.JSON(), nullable=False),
    sa.Column('speed_limit_kph', sa.Integer(), nullable=True),
    sa.Column('active_from', fleet.db.types.UTCDateTime(), nullable=True),
    sa.Column('active_until', fleet.db.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_zones_operator_id_operators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zones'))
    )
    with op.batch_alter_table('zones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_zones_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_zones_operator_id'), ['operator_id'], unique=False)

    op.create_table('telemetry',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('vehicle_id', sa.String(length=36), nullable=False),
    sa.Column('at', fleet.db.types.UTCDateTime(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('soc_pct', sa.Float(), nullable=False),
    sa.Column('speed_kph', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicles.id'], name=op.f('fk_telemetry_vehicle_id_vehicles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_telemetry'))
    )
    with op.batch_alter_table('telemetry', schema=None) as batch_op:
        batch_op.create_index('ix_telemetry_vehicle_at', ['vehicle_id', 'at'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('operator_id', sa.String(length=36), nullable=False),
    sa.Column('username', sa.String(length=63), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('company_id', sa.String(length=36), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', fleet.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_users_company_id_companies')),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_users_operator_id_operators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_operator_id'), ['operator_id'], unique=False)

    op.create_table('api_tokens',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', fleet.db.types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', fleet.db.types.UTCDateTime(), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_api_tokens'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('bookings',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('operator_id', sa.String(length=36), nullable=False),
    sa.Column('rider_id', sa.String(length=36), nullable=False),
    sa.Column('vehicle_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', fleet.db.types.UTCDateTime(), nullable=False),
    sa.Column('hold_until', fleet.db.types.UTCDateTime(), nullable=False),
    sa.Column('started_at', fleet.db.types.UTCDateTime(), nullable=True),
    sa.Column('ended_at', fleet.db.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_bookings_operator_id_operators')),
    sa.ForeignKeyConstraint(['rider_id'], ['users.id'], name=op.f('fk_bookings_rider_id_users')),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicles.id'], name=op.f('fk_bookings_vehicle_id_vehicles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookings'))
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bookings_operator_id'), ['operator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bookings_rider_id'), ['rider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bookings_vehicle_id'), ['vehicle_id'], unique=False)

    op.create_table('courier_shifts',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('operator_id', sa.String(length=36), nullable=False),
    sa.Column('courier_id', sa.String(length=36), nullable=False),
    sa.Column('vehicle_id', sa.String(length=36), nullable=False),
    sa.Column('start_at', fleet.db.types.UTCDateTime(), nullable=False),
    sa.Column('end_at', fleet.db.types.UTCDateTime(), nullable=False),
    sa.Column('box_capacity_l', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['courier_id'], ['users.id'], name=op.f('fk_courier_shifts_courier_id_users')),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_courier_shifts_operator_id_operators')),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicles.id'], name=op.f('fk_courier_shifts_vehicle_id_vehicles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courier_shifts'))
    )
    with op.batch_alter_table('courier_shifts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courier_shifts_courier_id'), ['courier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_courier_shifts_operator_id'), ['operator_id'], unique=False)

    op.create_table('delivery_jobs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('operator_id', sa.String(length=36), nullable=False),
    sa.Column('merchant_id', sa.String(length=36), nullable=False),
    sa.Column('pickup_lat', sa.Float(), nullable=False),
    sa.Column('pickup_lon', sa.Float(), nullable=False),
    sa.Column('dropoff_lat', sa.Float(), nullable=False),
    sa.Column('dropoff_lon', sa.Float(), nullable=False),
    sa.Column('pickup_start', fleet.db.types.UTCDateTime(), nullable=False),
    sa.Column('pickup_end', fleet.db.types.UTCDateTime(), nullable=False),
    sa.Column('dropoff_start', fleet.db.types.UTCDateTime(), nullable=False),
    sa.Column('dropoff_end', fleet.db.types.UTCDateTime(), nullable=False),
    sa.Column('parcel_l', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', fleet.db.types.UTCDateTime(), nullable=False),
    sa.Column('courier_id', sa.String(length=36), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['courier_id'], ['users.id'], name=op.f('fk_delivery_jobs_courier_id_users')),
    sa.ForeignKeyConstraint(['merchant_id'], ['users.id'], name=op.f('fk_delivery_jobs_merchant_id_users')),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_delivery_jobs_operator_id_operators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_jobs'))
    )
    with op.batch_alter_table('delivery_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_jobs_merchant_id'), ['merchant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_jobs_operator_id'), ['operator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_jobs_status'), ['status'], unique=False)

    op.create_table('idempotency_keys',
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('path', sa.String(length=255), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.Column('created_at', fleet.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_idempotency_keys_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', 'key', name=op.f('pk_idempotency_keys'))
    )
    op.create_table('ops_tasks',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('operator_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', fleet.db.types.UTCDateTime(), nullable=False),
    sa.Column('vehicle_id', sa.String(length=36), nullable=True),
    sa.Column('site_id', sa.String(length=36), nullable=True),
    sa.Column('assignee_id', sa.String(length=36), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_ops_tasks_assignee_id_users')),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_ops_tasks_operator_id_operators')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_ops_tasks_site_id_sites')),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicles.id'], name=op.f('fk_ops_tasks_vehicle_id_vehicles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ops_tasks'))
    )
    with op.batch_alter_table('ops_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ops_tasks_operator_id'), ['operator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ops_tasks_status'), ['status'], unique=False)

    op.create_table('reservations',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('operator_id', sa.String(length=36), nullable=False),
    sa.Column('company_id', sa.String(length=36), nullable=False),
    sa.Column('employee_id', sa.String(length=36), nullable=False),
    sa.Column('hub_id', sa.String(length=36), nullable=False),
    sa.Column('vehicle_id', sa.String(length=36), nullable=True),
    sa.Column('start_at', fleet.db.types.UTCDateTime(), nullable=False),
    sa.Column('end_at', fleet.db.types.UTCDateTime(), nullable=False),
    sa.Column('planned_distance_m', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_reservations_company_id_companies')),
    sa.ForeignKeyConstraint(['employee_id'], ['users.id'], name=op.f('fk_reservations_employee_id_users')),
    sa.ForeignKeyConstraint(['hub_id'], ['sites.id'], name=op.f('fk_reservations_hub_id_sites')),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_reservations_operator_id_operators')),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicles.id'], name=op.f('fk_reservations_vehicle_id_vehicles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reservations'))
    )
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reservations_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reservations_employee_id'), ['employee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reservations_operator_id'), ['operator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reservations_vehicle_id'), ['vehicle_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reservations_vehicle_id'))
        batch_op.drop_index(batch_op.f('ix_reservations_operator_id'))
        batch_op.drop_index(batch_op.f('ix_reservations_employee_id'))
        batch_op.drop_index(batch_op.f('ix_reservations_company_id'))

    op.drop_table('reservations')
    with op.batch_alter_table('ops_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ops_tasks_status'))
        batch_op.drop_index(batch_op.f('ix_ops_tasks_operator_id'))

    op.drop_table('ops_tasks')
    op.drop_table('idempotency_keys')
    with op.batch_alter_table('delivery_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_jobs_status'))
        batch_op.drop_index(batch_op.f('ix_delivery_jobs_operator_id'))
        batch_op.drop_index(batch_op.f('ix_delivery_jobs_merchant_id'))

    op.drop_table('delivery_jobs')
    with op.batch_alter_table('courier_shifts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courier_shifts_operator_id'))
        batch_op.drop_index(batch_op.f('ix_courier_shifts_courier_id'))

    op.drop_table('courier_shifts')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bookings_vehicle_id'))
        batch_op.drop_index(batch_op.f('ix_bookings_rider_id'))
        batch_op.drop_index(batch_op.f('ix_bookings_operator_id'))

    op.drop_table('bookings')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_operator_id'))

    op.drop_table('users')
    with op.batch_alter_table('telemetry', schema=None) as batch_op:
        batch_op.drop_index('ix_telemetry_vehicle_at')

    op.drop_table('telemetry')
    with op.batch_alter_table('zones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_zones_operator_id'))
        batch_op.drop_index(batch_op.f('ix_zones_kind'))

    op.drop_table('zones')
    with op.batch_alter_table('vehicles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vehicles_status'))
        batch_op.drop_index(batch_op.f('ix_vehicles_operator_id'))

    op.drop_table('vehicles')
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sites_operator_id'))
        batch_op.drop_index(batch_op.f('ix_sites_kind'))

    op.drop_table('sites')
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_companies_operator_id'))

    op.drop_table('companies')
    with op.batch_alter_table('battery_packs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_battery_packs_operator_id'))
        batch_op.drop_index(batch_op.f('ix_battery_packs_location_id'))

    op.drop_table('battery_packs')
    op.drop_table('operators')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_operator_id'))
        batch_op.drop_index('ix_audit_log_entity')
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')
