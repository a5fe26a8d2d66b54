"""Certificates as records (certificates), with one for every completion already there

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10 10:00:00

Each existing completion gets its certificate: a new random code, and the learner's name, the
module's title in the learner's language and the unit as they are now. When the migration runs
inside the app (`flask db upgrade`), the code an older version printed for the completion, signed
with the current SECRET_KEY, is stored with it too (`legacy_code`), so that it keeps checking out
after the key changes.
"""
import hashlib
import secrets

import sqlalchemy as sa
from alembic import context, op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
FALLBACK = ("ru", "en")
CHUNK = 1000


def _pick(text, lang):
    if not text:
        return ""
    for candidate in (lang, *FALLBACK):
        if text.get(candidate):
            return text[candidate]
    return next(iter(text.values()), "")


def _app_settings():
    """(SECRET_KEY or None, default language), from the app when the migration runs inside it."""
    try:
        from flask import current_app
        return current_app.secret_key, current_app.config.get("LMS_DEFAULT_LOCALE") or "ru"
    except RuntimeError:  # no app context
        return None, "ru"


def _signed(key, completion_id, user_id, module_id, completed_at):
    from itsdangerous import Signer
    signer = Signer(key, salt="lms.certificate", digest_method=hashlib.sha256)
    value = f"{completion_id}:{user_id}:{module_id}:{completed_at.isoformat()}"
    return f"{completion_id}-{signer.get_signature(value).decode()[:20]}"


def upgrade():
    op.create_table('certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('legacy_code', sa.String(length=64), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('module_id', sa.Integer(), nullable=True),
    sa.Column('completed_at', sa.DateTime(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('module_title', sa.String(length=300), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('unit_code', sa.String(length=40), nullable=True),
    sa.Column('unit_name', sa.String(length=300), nullable=True),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('revoke_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_certificates_module_id_modules'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_certificates_revoked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_certificates_unit_id_units'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_certificates_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
    sa.UniqueConstraint('code', name=op.f('uq_certificates_code')),
    sa.UniqueConstraint('legacy_code', name=op.f('uq_certificates_legacy_code')),
    sa.UniqueConstraint('user_id', 'module_id', 'completed_at', name=op.f('uq_certificates_user_id_module_id_completed_at'))
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificates_user_id'), ['user_id'], unique=False)
    if not context.is_offline_mode():
        _backfill()


def _backfill():
    """A certificate for every completion recorded before this migration."""
    key, default_lang = _app_settings()
    conn = op.get_bind()
    completions = sa.table('module_completions', sa.column('id', sa.Integer), sa.column('user_id', sa.Integer),
                           sa.column('module_id', sa.Integer), sa.column('completed_at', sa.DateTime),
                           sa.column('best_score', sa.Float))
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('full_name', sa.String),
                     sa.column('locale', sa.String), sa.column('unit_id', sa.Integer))
    modules = sa.table('modules', sa.column('id', sa.Integer), sa.column('title', sa.JSON))
    units = sa.table('units', sa.column('id', sa.Integer), sa.column('code', sa.String), sa.column('names', sa.JSON))
    text, number = sa.String, sa.Integer
    certificates = sa.table('certificates', *[sa.column(name, kind) for name, kind in (
        ('code', text), ('legacy_code', text), ('user_id', number), ('module_id', number),
        ('completed_at', sa.DateTime), ('score', sa.Float), ('full_name', text), ('module_title', text),
        ('language', text), ('unit_id', number), ('unit_code', text), ('unit_name', text),
        ('issued_at', sa.DateTime))])
    query = (sa.select(completions.c.id, completions.c.user_id, completions.c.module_id, completions.c.completed_at,
                       completions.c.best_score, users.c.full_name, users.c.locale, modules.c.title,
                       units.c.id.label('unit_id'), units.c.code.label('unit_code'), units.c.names)
             .join(users, users.c.id == completions.c.user_id)
             .join(modules, modules.c.id == completions.c.module_id)
             .outerjoin(units, units.c.id == users.c.unit_id)
             .order_by(completions.c.id))
    last = 0
    while True:
        rows = conn.execute(query.where(completions.c.id > last).limit(CHUNK)).all()
        if not rows:
            break
        values = []
        for r in rows:
            lang = r.locale or default_lang
            values.append({
                'code': "".join(secrets.choice(ALPHABET) for _ in range(16)),
                'legacy_code': _signed(key, r.id, r.user_id, r.module_id, r.completed_at) if key else None,
                'user_id': r.user_id, 'module_id': r.module_id, 'completed_at': r.completed_at,
                'score': r.best_score, 'full_name': r.full_name, 'module_title': _pick(r.title, lang)[:300],
                'language': lang, 'unit_id': r.unit_id, 'unit_code': r.unit_code,
                'unit_name': (_pick(r.names, lang) or r.unit_code)[:300] if r.unit_id else None,
                'issued_at': r.completed_at})
        conn.execute(certificates.insert(), values)
        last = rows[-1].id


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificates_user_id'))
    op.drop_table('certificates')
