"""Delivering the outbox (lms.remind.models.Reminder), as lms.xapi.forward does for statements.

A round leases a batch of due rows in a short transaction of its own (FOR UPDATE SKIP LOCKED on
PostgreSQL, and the lease condition again in the UPDATE, for SQLite), renders each message in its
recipient's language, sends it by e-mail and SMS outside any transaction, and settles the rows in
one statement: a channel that accepted the message is `sent`, one that refused it for good is
`failed` with the reason, one that did not answer stays `queued` and the row is tried again after
`LMS_REMINDER_RETRY_SECONDS` × 2^(tries-1), at most an hour, the reason kept in `last_error`.

So a message is never lost while a channel is down (its row waits), and is not sent twice: a sent
channel is marked in the transaction that learns of the answer, and a second sender never leases a
row that is leased. Only a crash between a server's answer and that commit sends again, once the
lease has run out (two minutes); e-mail and SMS give no way to deduplicate at the other end.
"""
from __future__ import annotations

import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import OperationalError

from lms.auth.models import User
from lms.content.models import Module
from lms.core.retry import backoff
from lms.extensions import db
from lms.i18n import pick
from lms.orgs.models import Unit
from lms.remind import channels, messages
from lms.remind.models import Reminder
from lms.timeutil import utcnow
from lms.train import progress

LEASE = timedelta(minutes=2)


@dataclass
class Round:
    """What delivery did: messages fully sent, messages with a channel still waiting or failed, errors."""

    sent: int = 0
    failed: int = 0
    retrying: int = 0  # of the failed: a channel did not answer, the row waits for its next try
    errors: list[str] = field(default_factory=list)


def _lease(batch: int) -> tuple[str, list[Reminder]]:
    now = utcnow()
    token = str(uuid.uuid4())
    free = sa.or_(Reminder.leased_until.is_(None), Reminder.leased_until < now)
    due = (sa.select(Reminder.id).where(Reminder.next_try_at <= now, free)
           .order_by(Reminder.next_try_at, Reminder.id).limit(batch))
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(due))
    if ids:
        db.session.execute(sa.update(Reminder).where(Reminder.id.in_(ids), free)
                           .values(lease=token, leased_until=now + LEASE).execution_options(synchronize_session=False))
    db.session.commit()
    rows = list(db.session.scalars(sa.select(Reminder).where(Reminder.lease == token).order_by(Reminder.id)))
    db.session.commit()
    return token, rows


def render(row: Reminder, person: User, module: Module | None) -> messages.Message | None:
    """The message of one outbox row, in its recipient's language (User.locale, else LMS_DEFAULT_LOCALE);
    None for a digest when nobody is overdue any more."""
    with messages.in_locale(person.locale) as lang:
        if row.kind == "digest":
            page = progress.overdue(person)
            if not page.total:
                return None
            # the precincts and titles of the page in two queries (the learners' units then come from the session)
            unit_ids = {u.unit_id for _, u in page.items if u.unit_id}
            db.session.scalars(sa.select(Unit).where(Unit.id.in_(unit_ids))).all()
            titles = dict(db.session.execute(sa.select(Module.id, Module.title).where(
                Module.id.in_({lp.module_id for lp, _ in page.items}))).tuples().all())
            groups: dict[str, list] = {}
            for lp, learner in page.items:
                precinct = learner.unit.name(lang) if learner.unit else "-"
                groups.setdefault(precinct, []).append((learner.full_name, pick(titles.get(lp.module_id), lang),
                                                        lp.due_date.isoformat() if lp.due_date else ""))
            return messages.digest_message(person.full_name, page.total, list(groups.items()))
        title = pick(module.title, lang) if module else ""
        days_left = (row.due_date - row.created_at.date()).days if row.due_date else 0
        return messages.learner_message(row.kind, person.full_name, title, row.due_date, days_left)


def _cancel(state: str) -> str:
    return "cancelled" if state == "queued" else state


def _outcome(error: str | None) -> str:
    if error is None:
        return "sent"
    return "failed" if error.startswith("refused") else "queued"


def deliver_round(batch: int = 100) -> Round:
    """Lease up to `batch` due messages, send them on their queued channels, and settle the rows."""
    done = Round()
    token, rows = run_with_retry(lambda: _lease(batch))
    if not rows:
        return done
    people = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_({r.user_id for r in rows})))}
    modules = {m.id: m for m in db.session.scalars(
        sa.select(Module).where(Module.id.in_({r.module_id for r in rows if r.module_id})))}
    rendered = {r.id: render(r, people[r.user_id], modules.get(r.module_id)) for r in rows}
    db.session.commit()  # nothing is held open while the servers are asked
    mailer = channels.Mailer() if channels.email_enabled() and any(r.email_status == "queued" for r in rows) else None
    updates = []
    now = utcnow()
    base = float(current_app.config["LMS_REMINDER_RETRY_SECONDS"])
    try:
        for row in rows:
            person, message = people[row.user_id], rendered[row.id]
            if message is None:
                updates.append({"rid": row.id, "email": _cancel(row.email_status), "sms": _cancel(row.sms_status),
                                "tries": row.tries, "next": None, "error": "nothing overdue any more",
                                "sent": row.sent_at, "parts": None})
                continue
            email, sms, errors = row.email_status, row.sms_status, []
            if email == "queued":
                if person.email and mailer is not None:
                    error = mailer.send(person.email, person.full_name, message)
                    email = _outcome(error)
                    errors += [f"e-mail {error}"] if error else []
                else:  # the address was removed, or e-mail switched off, since it was queued
                    email = "off"
            if sms == "queued":
                if person.phone and channels.sms_enabled():
                    error = channels.send_sms(person.phone, message.sms, f"reminder-{row.id}")
                    sms = _outcome(error)
                    errors += [f"SMS {error}"] if error else []
                else:
                    sms = "off"
            waiting = "queued" in (email, sms)
            tries = row.tries + 1 if waiting else row.tries
            updates.append({
                "rid": row.id, "email": email, "sms": sms, "tries": tries,
                "next": now + timedelta(seconds=backoff(tries, base)) if waiting else None,
                # a reason stays while it still holds: a retry under way, or a channel refused for good
                "error": "; ".join(errors)[:500] if errors else (row.last_error if "failed" in (email, sms) else None),
                "sent": row.sent_at or (now if "sent" in (email, sms) else None), "parts": message.sms_parts})
            if errors:
                done.failed += 1
                done.retrying += waiting
                done.errors.append(errors[-1])
            else:
                done.sent += 1
    finally:  # what was sent is recorded even if something unexpected stops the round half-way
        if mailer is not None:
            mailer.close()
        if updates:
            _settle(token, updates)
    return done


def _settle(token: str, updates: list[dict]) -> None:
    """Record what the channels answered, retried if the database was briefly unavailable: the lease is
    still ours, so a second try writes the same, and a lost answer would send the messages again."""
    run_with_retry(lambda: _settle_once(token, updates), attempts=5)


def _settle_once(token: str, updates: list[dict]) -> None:
    b = sa.bindparam
    db.session.execute(
        sa.update(Reminder.__table__)
        .where(Reminder.__table__.c.id == b("rid"), Reminder.__table__.c.lease == token)
        .values(email_status=b("email"), sms_status=b("sms"), tries=b("tries"), next_try_at=b("next"),
                last_error=b("error"), sent_at=b("sent"), sms_parts=b("parts"), lease=None, leased_until=None),
        updates)
    db.session.commit()


def deliver(batch: int = 100, stop=lambda: False) -> Round:
    """Deliver every due message, round after round, until none is due or a channel does not answer."""
    total = Round()
    while not stop():
        done = deliver_round(batch)
        total.sent, total.failed = total.sent + done.sent, total.failed + done.failed
        total.retrying += done.retrying
        total.errors.extend(done.errors)
        if not (done.sent or done.failed) or done.retrying:
            break
    return total


def waiting() -> dict:
    """The outbox: messages with a channel still to send, how many have failed at least once, the last error."""
    pending = Reminder.next_try_at.is_not(None)
    count, failing = db.session.execute(sa.select(
        sa.func.count().filter(pending), sa.func.count().filter(pending, Reminder.tries > 0))).one()
    last = db.session.scalar(sa.select(Reminder.last_error).where(pending, Reminder.last_error.is_not(None))
                             .order_by(Reminder.next_try_at.desc()).limit(1))
    return {"waiting": count, "failing": failing, "last_error": last}


def run_with_retry(job, attempts: int = 3):
    """Run `job`, again after a short pause when the database was briefly unavailable."""
    for attempt in range(attempts):
        try:
            return job()
        except OperationalError:
            db.session.rollback()
            if attempt == attempts - 1:
                raise
            time.sleep(1.0)
    return None


def status_counts() -> dict[str, int]:
    """Messages by status (for `reminders status`)."""
    out: dict[str, int] = defaultdict(int)
    for email, sms, n in db.session.execute(sa.select(Reminder.email_status, Reminder.sms_status, sa.func.count())
                                            .group_by(Reminder.email_status, Reminder.sms_status)):
        row = Reminder(email_status=email, sms_status=sms)
        out[row.status] += n
    return dict(out)
