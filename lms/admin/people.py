"""A person's data: everything kept about one account, handed over as JSON, or erased.

Export (`flask people export USERNAME`, or an admin's download) gathers the account, its unit
and the assignments that reach it, every quiz attempt with its answers, lesson reads,
completions, attendance, certificates, sign-ins, API tokens (never their secret) and the audit
entries about the person or made by them.

Erasure (`flask people erase USERNAME --yes`, or an admin's button with confirmation) is for
when the law requires it. It replaces the name and username with an anonymous label
(`erased-<id>`) and removes what identifies the person or lets anyone act as them: the
password, sign-ins, one-time passwords and API tokens, and the name wherever a copy of it was
kept (certificates, training sessions they ran, the details of audit entries). The account row
stays, in its unit and role, with its attempts, reads and completions as anonymous figures, so
that every report total stays as it was; it can no longer sign in, and trainers no longer open
it. Certificates keep their code and figures and check out as "issued, holder erased". The
erasure itself is audited, without the name.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.admin.views import bp, validate_csrf_form
from lms.auth.models import ApiToken, ShownOnce, SignIn, User, name_or_username_contains, new_session_token
from lms.content.models import Lesson, Module, QuestionVersion
from lms.core.locks import lock_users
from lms.extensions import db
from lms.learn.models import (
    Assignment,
    AttemptItem,
    Attendance,
    Certificate,
    LessonCompletion,
    ModuleCompletion,
    QuizAttempt,
    TrainingSession,
)
from lms.orgs.models import Unit
from lms.remind.models import Reminder
from lms.timeutil import utcnow
from lms.train import audit
from lms.train.models import AuditEvent
from lms.train.scope import admin_required
from lms.xapi.models import XapiStatement

_CHUNK = 1000


class NotErasable(Exception):
    """This account cannot be erased (it is the one asking, or already erased); `reason` says which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def label(user_id: int) -> str:
    """The anonymous label an erased person's name and username become."""
    return f"erased-{user_id}"


def _when(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _unit(unit: Unit | None) -> dict[str, Any] | None:
    if unit is None:
        return None
    return {"code": unit.code, "names": unit.names, "level": unit.level}


def export(user: User) -> dict[str, Any]:
    """Everything kept about `user`, as plain JSON values."""
    uid = user.id
    unit_ids = user.unit.ancestor_ids() if user.unit is not None else []
    modules = {m.id: m for m in db.session.scalars(sa.select(Module))}

    def module(module_id: int | None) -> str | None:
        """A module's id as its slug (None for a module no longer there)."""
        return modules[module_id].slug if module_id in modules else None

    assignments = db.session.scalars(sa.select(Assignment).where(
        sa.or_(Assignment.user_id == uid, Assignment.unit_id.in_(unit_ids) if unit_ids else sa.false()))
        .order_by(Assignment.id))
    rows = db.session.scalars(sa.select(QuizAttempt).where(QuizAttempt.user_id == uid)
                              .order_by(QuizAttempt.module_id, QuizAttempt.number)).all()
    items: dict[int, list] = {a.id: [] for a in rows}
    for item, version in db.session.execute(  # every attempt's items in one query
            sa.select(AttemptItem, QuestionVersion)
            .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
            .where(AttemptItem.attempt_id.in_(items)).order_by(AttemptItem.attempt_id, AttemptItem.position)):
        items[item.attempt_id].append(
            {"position": item.position, "question": version.question.slug, "question_version": version.number,
             "kind": version.kind, "shown_order": item.layout, "answer": item.answer, "credit": item.credit})
    attempts = [{
        "module": module(attempt.module_id), "number": attempt.number, "module_version": attempt.module_version,
        "started_at": _when(attempt.started_at), "submitted_at": _when(attempt.submitted_at),
        "score": attempt.score, "passed": attempt.passed, "pass_mark": attempt.pass_mark,
        "taken_offline": attempt.offline_id is not None, "received_at": _when(attempt.synced_at),
        "items": items[attempt.id]} for attempt in rows]
    reads = db.session.execute(
        sa.select(Lesson.module_id, Lesson.slug, LessonCompletion.completed_at).join(Lesson)
        .where(LessonCompletion.user_id == uid).order_by(LessonCompletion.completed_at))
    sessions = db.session.execute(
        sa.select(TrainingSession).join(Attendance, Attendance.session_id == TrainingSession.id)
        .where(Attendance.user_id == uid).order_by(TrainingSession.held_on)).scalars()
    events = db.session.scalars(sa.select(AuditEvent).where(sa.or_(
        sa.and_(AuditEvent.target_type == "user", AuditEvent.target_id == uid), AuditEvent.actor_id == uid))
        .order_by(AuditEvent.at, AuditEvent.id))
    return {
        "exported_at": _when(utcnow()),
        "account": {"id": uid, "username": user.username, "full_name": user.full_name, "role": user.role.value,
                    "locale": user.locale, "active": user.active, "created_at": _when(user.created_at),
                    "last_login_at": _when(user.last_login_at), "must_change_password": user.must_change_password,
                    "locked_until": _when(user.locked_until), "erased_at": _when(user.erased_at),
                    "email": user.email, "phone": user.phone, "reminders_opt_out": user.reminders_opt_out},
        "reminders": [{"kind": r.kind, "module": module(r.module_id), "day": _when(r.on_date),
                       "written_at": _when(r.created_at), "email": r.email_status, "sms": r.sms_status,
                       "sent_at": _when(r.sent_at)}
                      for r in db.session.scalars(sa.select(Reminder).where(Reminder.user_id == uid)
                                                  .order_by(Reminder.created_at, Reminder.id))],
        "unit": _unit(user.unit),
        "units_above": [_unit(u) for u in db.session.scalars(sa.select(Unit).where(Unit.id.in_(unit_ids)))
                        if u.id != user.unit_id] if unit_ids else [],
        "assignments": [{"module": module(a.module_id), "to": "person" if a.user_id == uid else "unit",
                         "unit": _unit(db.session.get(Unit, a.unit_id)) if a.unit_id else None,
                         "due_date": _when(a.due_date),
                         "counts_from": _when(a.counts_from), "withdrawn_at": _when(a.withdrawn_at)}
                        for a in assignments],
        "lesson_reads": [{"module": module(mid), "lesson": slug, "read_at": _when(at)} for mid, slug, at in reads],
        "quiz_attempts": attempts,
        "completions": [{"module": module(c.module_id), "completed_at": _when(c.completed_at),
                         "best_score": c.best_score}
                        for c in db.session.scalars(sa.select(ModuleCompletion)
                                                    .where(ModuleCompletion.user_id == uid))],
        "attendance": [{"module": module(s.module_id), "held_on": _when(s.held_on), "place": s.place,
                        "trainer": s.trainer_name} for s in sessions],
        "certificates": [{"code": c.code, "module": c.module_title, "completed_at": _when(c.completed_at),
                          "score": c.score, "name_as_issued": c.full_name, "issued_at": _when(c.issued_at),
                          "revoked_at": _when(c.revoked_at), "revoke_reason": c.revoke_reason}
                         for c in db.session.scalars(sa.select(Certificate).where(Certificate.user_id == uid))],
        "sign_ins": [{"started_at": _when(s.created_at), "last_seen_at": _when(s.last_seen_at),
                      "ended_at": _when(s.ended_at)}
                     for s in db.session.scalars(sa.select(SignIn).where(SignIn.user_id == uid)
                                                 .order_by(SignIn.created_at))],
        "api_tokens": [{"name": t.name, "prefix": t.prefix, "created_at": _when(t.created_at),
                        "last_used_at": _when(t.last_used_at), "revoked_at": _when(t.revoked_at)}
                       for t in db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == uid))],
        "audit": [{"at": _when(e.at), "action": e.action, "about_them": e.target_type == "user" and e.target_id == uid,
                   "by_them": e.actor_id == uid, "details": e.details} for e in events],
        # what the platform recorded of their learning, as served to partners (lms.xapi); pseudonymous there
        "xapi_statements": [row.data | {"voided": True} if row.voided else row.data for row in db.session.scalars(
            sa.select(XapiStatement).where(XapiStatement.user_id == uid).order_by(XapiStatement.id))],
    }


def _scrub(value: Any, names: set[str], replacement: str) -> tuple[Any, bool]:
    """`value` (JSON) with every string that is one of `names` replaced; and whether anything was."""
    if isinstance(value, str):
        return (replacement, True) if value.strip().lower() in names else (value, False)
    if isinstance(value, list):
        out, changed = [], False
        for v in value:
            new, c = _scrub(v, names, replacement)
            out.append(new)
            changed |= c
        return out, changed
    if isinstance(value, dict):
        out_d, changed = {}, False
        for k, v in value.items():
            new, c = _scrub(v, names, replacement)
            out_d[k] = new
            changed |= c
        return out_d, changed
    return value, False


_NAME_KEYS = ("full_name", "username")


def _former_names(person: User) -> set[str]:
    """Every name and username `person` had: as the audit entries about them and their certificates kept them."""
    found: set[str] = set(db.session.scalars(sa.select(Certificate.full_name).where(Certificate.user_id == person.id)))
    for details in db.session.scalars(sa.select(AuditEvent.details).where(
            AuditEvent.target_type == "user", AuditEvent.target_id == person.id)):
        for key in _NAME_KEYS:
            value = (details or {}).get(key)
            for v in value if isinstance(value, list) else [value]:
                if isinstance(v, str):
                    found.add(v)
    return found


def erase(person: User, by: User | None) -> None:
    """Erase `person`'s identifying data (see the module's docstring), in the current transaction;
    NotErasable when `person` is `by` or already erased."""
    if by is not None and person.id == by.id:
        raise NotErasable("self")
    lock_users([person.id])  # the person's own requests (a lesson read, a sync) finish first, or wait
    db.session.refresh(person)
    if person.erased_at is not None:
        raise NotErasable("already")
    names = {n.strip().lower() for n in (person.full_name, person.username, *_former_names(person)) if n and n.strip()}
    anonymous = label(person.id)
    now = utcnow()
    person.full_name = person.username = anonymous
    person.password_hash = None
    person.must_change_password = False
    person.locale = None
    person.email = person.phone = person.reminded_at = None  # and the messages sent to them
    db.session.execute(sa.delete(Reminder).where(Reminder.user_id == person.id))
    person.failed_logins, person.locked_until, person.last_login_at = 0, None, None
    person.session_token = new_session_token()  # every session of theirs ends now
    person.erased_at = now
    for model in (SignIn, ApiToken):
        db.session.execute(sa.delete(model).where(model.user_id == person.id))
    db.session.execute(sa.delete(ShownOnce).where(ShownOnce.user_id == person.id))
    db.session.execute(sa.update(Certificate).where(Certificate.user_id == person.id)
                       .values(full_name=anonymous, holder_erased_at=now))
    if names:
        db.session.execute(sa.update(TrainingSession).where(sa.func.lower(TrainingSession.trainer_name).in_(names))
                           .values(trainer_name=anonymous))
    # the names kept in audit details: rewritten where they appear, the entries themselves stay
    last = 0
    while True:
        rows = db.session.execute(sa.select(AuditEvent.id, AuditEvent.details).where(AuditEvent.id > last)
                                  .order_by(AuditEvent.id).limit(_CHUNK)).all()
        if not rows:
            break
        for event_id, details in rows:
            scrubbed, changed = _scrub(details or {}, names, anonymous)
            if changed:
                db.session.execute(sa.update(AuditEvent).where(AuditEvent.id == event_id).values(details=scrubbed))
        last = rows[-1][0]
    audit.record(by, "person.erase", "user", person.id, person.unit_id, username=anonymous)
    db.session.flush()


# --- the admin's page ------------------------------------------------------------------------

def _person_or_404(user_id: int) -> User:
    person = db.session.get(User, user_id) if 0 < user_id < 2**31 else None
    if person is None:
        abort(404)
    return person


@bp.get("/people")
@admin_required
def people():
    """Find an account by name or username, to export or erase its data (GET; admins)."""
    q = request.args.get("q", "").strip()[:100]
    found = list(db.session.scalars(sa.select(User).where(name_or_username_contains(q))
                                    .order_by(User.full_name, User.id).limit(50))) if q else []
    return render_template("admin/people.html", q=q, people=found)


@bp.get("/people/<int:user_id>")
@admin_required
def person(user_id: int):
    """One person's data: what is kept, its download, and erasure (GET; admins)."""
    person = _person_or_404(user_id)
    counts = {
        "attempts": db.session.scalar(sa.select(sa.func.count()).select_from(QuizAttempt)
                                      .where(QuizAttempt.user_id == person.id)),
        "reads": db.session.scalar(sa.select(sa.func.count()).select_from(LessonCompletion)
                                   .where(LessonCompletion.user_id == person.id)),
        "certificates": db.session.scalar(sa.select(sa.func.count()).select_from(Certificate)
                                          .where(Certificate.user_id == person.id)),
    }
    return render_template("admin/person.html", person=person, counts=counts)


@bp.get("/people/<int:user_id>/export.json")
@admin_required
def person_export(user_id: int):
    """All of one person's data as a JSON download (GET; admins)."""
    person = _person_or_404(user_id)
    audit.record(current_user, "person.export", "user", person.id, person.unit_id, username=person.username)
    db.session.commit()
    response = make_response(export(person))
    response.headers["Content-Disposition"] = f'attachment; filename="person-{person.id}.json"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/people/<int:user_id>/erase")
@admin_required
def person_erase(user_id: int):
    """Erase one person's data after the admin typed their username to confirm (POST; admins)."""
    person = _person_or_404(user_id)
    if not validate_csrf_form():
        abort(400)
    typed = request.form.get("confirm", "").strip().lower()
    if person.erased_at is None and typed != person.username:
        flash(_("Type the username %(username)s to confirm the erasure.", username=person.username), "error")
        return redirect(url_for("admin.person", user_id=person.id), 303)
    try:
        erase(person, current_user)
    except NotErasable as error:
        db.session.rollback()
        flash(_("You cannot erase your own account.") if error.reason == "self"
              else _("This person's data has already been erased."), "error")
        return redirect(url_for("admin.person", user_id=person.id), 303)
    db.session.commit()
    flash(_("The person's data has been erased. Their figures stay in the reports, without a name."), "success")
    return redirect(url_for("admin.person", user_id=person.id), 303)
