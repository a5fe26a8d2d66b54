"""What was sent to whom: the trainer's page of reminders with their delivery status, and the
learner's own latest reminders on the dashboard."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.auth.models import User
from lms.content.models import Module
from lms.core.paging import paginate
from lms.core.templating import current_lang
from lms.extensions import db
from lms.i18n import pick
from lms.orgs.models import Unit
from lms.remind import messages
from lms.remind.models import Reminder
from lms.timeutil import utcnow
from lms.train.scope import sees_everything, trainer_required, unit_condition

bp = Blueprint("remind", __name__)

STATUS_LABELS = {"queued": _l("Queued"), "sent": _l("Sent"), "failed": _l("Failed"),
                 "cancelled": _l("Cancelled"), "off": _l("Shown in the app only")}
KIND_LABELS = {"due_soon": _l("Due soon"), "overdue": _l("Overdue"), "digest": _l("Weekly digest")}
DASHBOARD_ROWS = 5
DASHBOARD_DAYS = 14  # reminders written this recently are shown on the dashboard


def status_condition(status: str) -> sa.ColumnElement[bool]:
    """SQL for Reminder.status == `status` (the first of queued, failed, sent, cancelled that a channel has)."""
    order = ["queued", "failed", "sent", "cancelled"]
    channels = (Reminder.email_status, Reminder.sms_status)
    if status == "off":
        return sa.and_(*[c.not_in(order) for c in channels])
    before = order[:order.index(status)]
    return sa.and_(sa.or_(*[c == status for c in channels]), *[c.not_in(before) for c in channels])


@bp.get("/")
@trainer_required
def index():
    """The reminders sent to the people in the trainer's area, newest first, with their delivery status
    (GET; trainers and admins; ?status= filters)."""
    person = sa.orm.aliased(User)
    query = (sa.select(Reminder, person, Module).join(person, person.id == Reminder.user_id)
             .outerjoin(Unit, Unit.id == person.unit_id).outerjoin(Module, Module.id == Reminder.module_id))
    if not sees_everything(current_user):
        query = query.where(sa.or_(unit_condition(current_user), Reminder.user_id == current_user.id))
    status = request.args.get("status", "")
    if status in STATUS_LABELS:
        query = query.where(status_condition(status))
    page = paginate(query.order_by(Reminder.created_at.desc(), Reminder.id.desc()), count_by=Reminder.id)
    return render_template("remind/index.html", page=page, status=status, statuses=STATUS_LABELS,
                           kinds=KIND_LABELS)


def my_reminders(user: User) -> list[tuple[Reminder, str]]:
    """The latest reminders of `user` with their short text in the reader's language, in one query
    (the dashboard's, a template global)."""
    if user is None or not user.is_authenticated or user.reminded_at is None:
        return []  # no query: the dashboard is a hot page, and most days nobody was reminded
    since = utcnow() - timedelta(days=DASHBOARD_DAYS)
    if user.reminded_at < since:
        return []
    rows = db.session.execute(
        sa.select(Reminder, Module.title).join(Module, Module.id == Reminder.module_id)
        .where(Reminder.user_id == user.id, Reminder.kind.in_(("due_soon", "overdue")),
               Reminder.email_status != "cancelled", Reminder.sms_status != "cancelled", Reminder.created_at >= since)
        .order_by(Reminder.created_at.desc(), Reminder.id.desc()).limit(DASHBOARD_ROWS)).all()
    lang = current_lang()
    return [(r, messages.sms_text(r.kind, pick(title, lang), r.due_date))
            for r, title in rows]
