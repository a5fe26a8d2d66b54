"""The per-account lock-out: after LMS_LOCKOUT_FAILURES failed sign-ins in a row, an account is
locked for LMS_LOCKOUT_MINUTES, on top of the per-address rate limit. A trainer or admin can
lift it sooner (lms.train.accounts_service.unlock); both are in the audit log."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from lms import events
from lms.auth.models import User
from lms.extensions import db


def failed(user: User, now: datetime) -> bool:
    """Count a failed sign-in of `user` and commit; True when this one locked the account.

    The count is taken under the account's row lock, so simultaneous failures all count."""
    limit = current_app.config["LMS_LOCKOUT_FAILURES"]
    row = db.session.execute(sa.select(User.failed_logins, User.locked_until).where(User.id == user.id)
                             .with_for_update()).one()
    count = 0 if row.locked_until is not None and row.locked_until <= now else row.failed_logins  # a lapsed lock
    count += 1
    locks = limit > 0 and count >= limit
    until = now + timedelta(minutes=current_app.config["LMS_LOCKOUT_MINUTES"]) if locks else None
    db.session.execute(sa.update(User).where(User.id == user.id)
                       .values(failed_logins=0 if locks else count, locked_until=until))
    if locks:
        events.account_locked.send(user_id=user.id, until=until)
    db.session.commit()
    return locks


def is_locked(user: User, now: datetime) -> bool:
    """True while `user`'s account is locked."""
    return user.locked_until is not None and user.locked_until > now
