"""Administration: the audit log."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template, request

from lms.auth.models import User
from lms.extensions import db
from lms.train.models import AuditEvent
from lms.train.scope import admin_required

bp = Blueprint("admin", __name__)
PAGE_SIZE = 50


@bp.get("/audit")
@admin_required
def audit():
    """Every recorded change, newest first, filtered by action or by who made it."""
    query = sa.select(AuditEvent)
    action = request.args.get("action", "").strip()
    actor = request.args.get("actor", "").strip().lower()
    if action:
        query = query.where(AuditEvent.action.like(action.replace("%", "") + "%"))
    if actor:
        query = query.join(User, User.id == AuditEvent.actor_id).where(User.username == actor)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    page = max(1, request.args.get("page", 1, type=int))
    events = db.session.scalars(query.options(sa.orm.joinedload(AuditEvent.actor))
                                .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                                .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template("admin/audit.html", events=events, total=total, page=page,
                           pages=max(1, -(-total // PAGE_SIZE)), action=action, actor=actor)
