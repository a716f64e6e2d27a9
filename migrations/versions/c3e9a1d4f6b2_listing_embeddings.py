"""listing_embeddings (each listing's encoder vector) and matching_requests (the queue)

The vectors are keyed by a hash of the text and the model; matching_requests holds the
listings published on a large market, waiting for the match-queue job.

Revision ID: c3e9a1d4f6b2
Revises: b2d8e5a7c913
Create Date: 2026-12-07 15:30:00

"""
from alembic import op
import sqlalchemy as sa

from marketplace.db import UTCDateTime


revision = 'c3e9a1d4f6b2'
down_revision = 'b2d8e5a7c913'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'listing_embeddings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('need_id', sa.Integer(), nullable=True),
        sa.Column('offer_id', sa.Integer(), nullable=True),
        sa.Column('text_key', sa.String(length=64), nullable=False),
        sa.Column('vector', sa.LargeBinary(), nullable=False),
        sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            '(need_id IS NULL) <> (offer_id IS NULL)',
            name=op.f('ck_listing_embeddings_one_listing'),
        ),
        sa.ForeignKeyConstraint(
            ['need_id'], ['needs.id'], name=op.f('fk_listing_embeddings_need_id_needs'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['offer_id'], ['offers.id'], name=op.f('fk_listing_embeddings_offer_id_offers'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_listing_embeddings')),
        sa.UniqueConstraint('need_id', name=op.f('uq_listing_embeddings_need_id')),
        sa.UniqueConstraint('offer_id', name=op.f('uq_listing_embeddings_offer_id')),
    )


    op.create_table(
        'matching_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('need_id', sa.Integer(), nullable=True),
        sa.Column('offer_id', sa.Integer(), nullable=True),
        sa.Column('requested_at', UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            '(need_id IS NULL) <> (offer_id IS NULL)',
            name=op.f('ck_matching_requests_one_listing'),
        ),
        sa.ForeignKeyConstraint(
            ['need_id'], ['needs.id'], name=op.f('fk_matching_requests_need_id_needs'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['offer_id'], ['offers.id'], name=op.f('fk_matching_requests_offer_id_offers'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_matching_requests')),
        sa.UniqueConstraint('need_id', name=op.f('uq_matching_requests_need_id')),
        sa.UniqueConstraint('offer_id', name=op.f('uq_matching_requests_offer_id')),
    )


def downgrade():
    op.drop_table('matching_requests')
    op.drop_table('listing_embeddings')
