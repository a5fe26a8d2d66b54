"""Row locks that serialise the writes of one learner on PostgreSQL.

SQLite serialises every writer already. On PostgreSQL, two requests of the same learner (two
tabs, a double click, a retry on a slow link) and a trainer's bulk change would otherwise
compute the learner's derived rows from the same snapshot and race. Locks are taken on the
learners' `users` rows, always in id order, so that two transactions that lock several learners
cannot deadlock. FOR NO KEY UPDATE does not block inserts that merely refer to the user.
Units' rows are locked before any learner's (lms.orgs.models.lock_units, in its own fixed order).
"""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from lms.extensions import db

_users = sa.table("users", sa.column("id"))
LOCK_CHUNK = 10_000  # the table only: core knows no models


def lock_users(user_ids: Iterable[int]) -> None:
    """Lock these users' rows until the transaction ends (PostgreSQL; a no-op on SQLite)."""
    ids = sorted(set(user_ids))
    if not ids or db.session.get_bind().dialect.name != "postgresql":
        return
    # key_share=True renders FOR NO KEY UPDATE on PostgreSQL. In ascending chunks: a statement takes at
    # most 65,535 parameters, and chunks in order keep the global lock order.
    for start in range(0, len(ids), LOCK_CHUNK):
        part = ids[start:start + LOCK_CHUNK]
        db.session.execute(
            sa.select(_users.c.id).where(_users.c.id.in_(part)).order_by(_users.c.id).with_for_update(key_share=True)
        )
