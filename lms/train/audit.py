"""The audit log: one row per change to an account, an assignment, an election or a session."""
from __future__ import annotations

from typing import Any

from lms.auth.models import User
from lms.extensions import db
from lms.train.models import AuditEvent


def record(actor: User | None, action: str, target_type: str, target_id: int | None,
           unit_id: int | None = None, **details: Any) -> None:
    """Add an audit event to the current transaction (it commits with the change or not at all)."""
    db.session.add(AuditEvent(actor_id=actor.id if actor else None, action=action, target_type=target_type,
                              target_id=target_id, unit_id=unit_id, details=details))
