"""The trainer workspace: accounts, assignments, progress, elections and sessions."""
from __future__ import annotations

from datetime import datetime

from flask import Flask

from lms import events


def init_app(app: Flask) -> None:
    """Register the trainer workspace under /train and `flask users ...`.

    Each feature module adds its routes to the one `train` blueprint, so they are imported here,
    before the blueprint is registered."""
    from lms.train import accounts, assignments, calendar_views, progress_views, views  # noqa: F401
    from lms.train.cli import users_cli

    app.register_blueprint(views.bp, url_prefix="/train")
    app.cli.add_command(users_cli)
    events.account_locked.connect(_record_lock, weak=False)
    events.contact_changed.connect(_record_contact, weak=False)


def _record_lock(sender: object, *, user_id: int, until: datetime) -> None:
    """Put an account locked after failed sign-ins in the audit log (same transaction)."""
    from lms.auth.models import User
    from lms.extensions import db
    from lms.train import audit

    person = db.session.get(User, user_id)
    if person is not None:
        audit.record(None, "user.locked", "user", person.id, person.unit_id, username=person.username,
                     until=until.isoformat(timespec="minutes"))


def _record_contact(sender: object, *, user_id: int, by_id: int | None) -> None:
    """Put a person's change of their own contact details in the audit log (same transaction)."""
    from lms.auth.models import User
    from lms.extensions import db
    from lms.train import audit

    person = db.session.get(User, user_id)
    if person is not None:
        audit.record(db.session.get(User, by_id) if by_id else None, "user.contact", "user", person.id,
                     person.unit_id, username=person.username)
