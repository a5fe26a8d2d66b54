"""A last resort at the request boundary: a deadlock, a serialization failure, a duplicate key
from a race or a locked SQLite file is retried with a fresh transaction, and never reaches the
user as a 500. The write paths lock and order their work so that this should be rare.
"""
from __future__ import annotations

import logging
import random
import time

from flask import Flask
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

log = logging.getLogger(__name__)
ATTEMPTS = 4
# PostgreSQL SQLSTATEs: serialization_failure, deadlock_detected, unique_violation (a race on an insert)
RETRY_STATES = {"40001", "40P01", "23505"}


class Busy(Exception):
    """The database stayed busy through every retry; the user is asked to try again (503)."""


def retryable(error: DBAPIError) -> bool:
    """Would the same request succeed in a new transaction?"""
    state = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    if state in RETRY_STATES:
        return True
    return isinstance(error, OperationalError) and "database is locked" in str(error.orig)


class RetryingFlask(Flask):
    """Flask whose view calls are retried on a transient database conflict."""

    def dispatch_request(self):
        """Run the view; on a retryable conflict roll back, wait a little and run it again."""
        from lms.extensions import db

        for attempt in range(1, ATTEMPTS + 1):
            try:
                return super().dispatch_request()
            except (OperationalError, IntegrityError) as error:
                if not retryable(error):
                    raise
                db.session.rollback()
                if attempt == ATTEMPTS:
                    log.warning("giving up after %d conflicts: %s", attempt, error.orig)
                    raise Busy() from error
                log.info("retrying after a database conflict (%s)", type(error.orig).__name__)
                time.sleep(random.uniform(0.01, 0.05) * attempt)
        raise AssertionError("unreachable")


def backoff(tries: int, first: float, cap: float = 3600.0) -> float:
    """Seconds to wait before the next delivery from an outbox, after `tries` failures (1 or more): `first`,
    then twice as long after each further failure, at most `cap` (lms.xapi.forward, lms.remind.deliver)."""
    return min(first * 2 ** (tries - 1), cap)

