"""Forwarding statements to a learning record store, from the outbox (lms.xapi.models.XapiOutbox).

A round leases a batch of due rows in a short transaction of its own, POSTs their statements
to `LMS_XAPI_ENDPOINT` + `/statements`, and deletes the rows once the store has answered 200 or
204. Nothing is held open while the store is asked, so a slow store never blocks a learner's
write, and two forwarders (two instances, a cron run overlapping a loop) never lease the same
row. A failure (no answer, a 5xx, a 429) keeps the rows and retries them after
`LMS_XAPI_RETRY_SECONDS` × 2^(tries-1), at most an hour. When the store refuses the batch (a
4xx: one statement it will not take), the rows are sent one by one, so that one bad statement
does not hold the others back; it stays in the outbox with the store's answer, for `xapi status`.

A statement is never lost while the store is down: its row stays until acknowledged. It is not
sent again once acknowledged: the row goes in the same transaction that learns of the answer. If
the process dies between the store's answer and that commit, the lease runs out and the batch is
sent again with the same statement ids, which a conforming store keeps once (xAPI 1.0.3, 2.2.4).
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import requests
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import OperationalError

from lms.core.retry import backoff
from lms.extensions import db
from lms.timeutil import utcnow
from lms.xapi import vocabulary as v
from lms.xapi.models import XapiOutbox, XapiStatement

LEASE = timedelta(minutes=2)
TIMEOUT = 15.0


@dataclass
class Round:
    """What one round did: statements acknowledged, statements that failed, and the last error."""

    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _lease(batch: int) -> tuple[str, list[tuple[int, dict]]]:
    now = utcnow()
    token = str(uuid.uuid4())
    due = (sa.select(XapiOutbox.statement_id)
           .where(XapiOutbox.next_try_at <= now,
                  sa.or_(XapiOutbox.leased_until.is_(None), XapiOutbox.leased_until < now))
           .order_by(XapiOutbox.next_try_at, XapiOutbox.statement_id).limit(batch))
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(due))
    if ids:
        # the condition again: on SQLite another forwarder may have leased them between the two statements
        db.session.execute(sa.update(XapiOutbox).where(
            XapiOutbox.statement_id.in_(ids),
            sa.or_(XapiOutbox.leased_until.is_(None), XapiOutbox.leased_until < now))
            .values(lease=token, leased_until=now + LEASE).execution_options(synchronize_session=False))
    db.session.commit()
    rows = db.session.execute(sa.select(XapiStatement.id, XapiStatement.data)
                              .join(XapiOutbox, XapiOutbox.statement_id == XapiStatement.id)
                              .where(XapiOutbox.lease == token).order_by(XapiStatement.id)).all()
    db.session.commit()
    return token, [(i, d) for i, d in rows]


def _post(statements: list[dict]) -> str | None:
    """Send statements; None when the store acknowledged them, else why not ('retry: ...' when a
    later try may succeed, 'refused: ...' when the store will not take them as they are)."""
    config = current_app.config
    headers = {"X-Experience-API-Version": v.VERSION, "Content-Type": "application/json"}
    auth = (config["LMS_XAPI_USERNAME"], config["LMS_XAPI_PASSWORD"]) if config.get("LMS_XAPI_USERNAME") else None
    try:
        answer = requests.post(config["LMS_XAPI_ENDPOINT"].rstrip("/") + "/statements", json=statements,
                               headers=headers, auth=auth, timeout=TIMEOUT)
    except requests.RequestException as error:
        return f"retry: {type(error).__name__}: {str(error)[:300]}"
    if answer.status_code in (200, 204):
        return None
    detail = f"HTTP {answer.status_code} {answer.text[:300]}".strip()
    if answer.status_code in (408, 429) or answer.status_code >= 500:
        return f"retry: {detail}"
    return f"refused: {detail}"


def _settle(token: str, ids: list[int], error: str | None) -> None:
    rows = sa.and_(XapiOutbox.lease == token, XapiOutbox.statement_id.in_(ids))
    if error is None:
        db.session.execute(sa.delete(XapiOutbox).where(rows).execution_options(synchronize_session=False))
    else:
        base = float(current_app.config["LMS_XAPI_RETRY_SECONDS"])
        now = utcnow()
        for outbox in db.session.scalars(sa.select(XapiOutbox).where(rows)):
            outbox.tries += 1
            outbox.next_try_at = now + timedelta(seconds=backoff(outbox.tries, base))
            outbox.lease, outbox.leased_until, outbox.last_error = None, None, error[:500]
    db.session.commit()


def _strip(data: dict) -> dict:
    return {k: val for k, val in data.items() if k not in ("stored", "authority")}  # the store sets them


def forward_round(batch: int = 100) -> Round:
    """Lease up to `batch` due statements, send them, and settle the outbox; what happened."""
    done = Round()
    token, rows = _lease(batch)
    if not rows:
        return done
    error = _post([_strip(d) for _, d in rows])
    if error is not None and error.startswith("refused") and len(rows) > 1:
        for statement_id, data in rows:  # one by one: only the statement at fault stays behind
            one = _post([_strip(data)])
            _settle(token, [statement_id], one)
            done.sent, done.failed = done.sent + (one is None), done.failed + (one is not None)
            if one:
                done.errors.append(one)
        return done
    _settle(token, [i for i, _ in rows], error)
    if error is None:
        done.sent = len(rows)
    else:
        done.failed, done.errors = len(rows), [error]
    return done


def forward(batch: int = 100, loop: bool = False, interval: float = 5.0, stop=lambda: False) -> Round:
    """Forward every due statement; with `loop`, go on until `stop()` says so, waiting `interval`
    seconds whenever nothing is due or the store failed."""
    total = Round()
    while not stop():
        try:
            done = forward_round(batch)
        except OperationalError as error:  # the database is restarting: the outbox waits, nothing is lost
            db.session.rollback()
            if not loop:
                raise
            current_app.logger.warning("xapi forward: database unavailable: %s", str(error.orig).strip()[:200])
            time.sleep(interval)
            continue
        total.sent, total.failed = total.sent + done.sent, total.failed + done.failed
        total.errors.extend(done.errors)
        if done.sent and not done.failed:
            continue
        if not loop:
            break
        time.sleep(interval)
    return total


def queue_all() -> int:
    """Queue every statement that is not in the outbox (after forwarding was switched on); how many."""
    waiting = sa.select(XapiOutbox.statement_id)
    ids = list(db.session.scalars(sa.select(XapiStatement.id).where(XapiStatement.id.not_in(waiting))))
    now = utcnow()
    for start in range(0, len(ids), 5000):
        db.session.execute(sa.insert(XapiOutbox), [{"statement_id": i, "next_try_at": now}
                                                    for i in ids[start:start + 5000]])
    db.session.commit()
    return len(ids)


def status() -> dict:
    """The outbox: how many statements wait, how many have failed at least once, the oldest, the last error."""
    waiting, failing, oldest = db.session.execute(sa.select(
        sa.func.count(), sa.func.count().filter(XapiOutbox.tries > 0), sa.func.min(XapiOutbox.next_try_at))).one()
    last = db.session.scalar(sa.select(XapiOutbox.last_error).where(XapiOutbox.last_error.is_not(None))
                             .order_by(XapiOutbox.next_try_at.desc()).limit(1))
    return {"waiting": waiting, "failing": failing, "next_try_at": oldest, "last_error": last}
