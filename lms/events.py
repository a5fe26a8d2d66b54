"""What happened, announced once: services send these signals, and the derived tables
(lms.progress) subscribe to them in one place. Nothing outside lms.progress recomputes them.

Every signal is sent inside the writer's transaction, after the source records are flushed,
so subscribers see the new records and write in the same transaction.
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: A learner opened a module's page (sent on every visit; an xAPI `launched` is recorded once per
#: training cycle, and a receiver returns True when it wrote something). kwargs: user_id, module_id, since
module_launched = _signals.signal("module-launched")
#: A learner read a lesson. kwargs: user_id, module_id, lesson_id
lesson_read = _signals.signal("lesson-read")
#: A module's completion was recorded, or renewed in a new training cycle (a certificate is issued). kwargs:
#: user_id, module_id
module_completed = _signals.signal("module-completed")
#: A learner started a quiz attempt. kwargs: user_id, module_id, attempt_id
attempt_started = _signals.signal("attempt-started")
#: A quiz attempt was graded. kwargs: user_id, module_id, attempt_id, number, score
attempt_submitted = _signals.signal("attempt-submitted")
#: A trainer gave one more attempt. kwargs: user_id, module_id
attempt_granted = _signals.signal("attempt-granted")
#: Attendance at a session changed. kwargs: user_ids, module_id, session_id
attendance_recorded = _signals.signal("attendance-recorded")
#: Assignments were made, changed or withdrawn. kwargs: unit_ids, user_ids (their targets)
assignments_changed = _signals.signal("assignments-changed")
#: Accounts were created, moved, deactivated, reactivated or imported. kwargs: user_ids
learners_changed = _signals.signal("learners-changed")
#: A unit was moved under another parent, with its sub-units and their officials (its rows are saved, its
#: subtree locked). kwargs: unit_id, old_above (the ids of the units that were above it, nearest first)
unit_moved = _signals.signal("unit-moved")
#: Modules were imported again with changed content. kwargs: module_ids
modules_imported = _signals.signal("modules-imported")
#: An account was locked after too many failed sign-ins (the audit log records it). kwargs: user_id, until
account_locked = _signals.signal("account-locked")
#: A person's contact details or reminder opt-out changed (the audit log records it, without the details).
#: kwargs: user_id, by_id (who changed them)
contact_changed = _signals.signal("contact-changed")
