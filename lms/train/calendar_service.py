"""The election calendar and in-person training sessions with their attendance.

A trainer manages the elections of their own country and the sessions held in their own
subtree; an admin manages all. Services flush but never commit.
"""
from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import joinedload

from lms import events
from lms.auth.models import User
from lms.content.models import Module
from lms.core.paging import Page, paginate
from lms.extensions import db
from lms.learn import services
from lms.learn.models import Assignment, Attendance, TrainingSession
from lms.orgs.models import Unit, UnitKind, in_subtree
from lms.train import audit
from lms.train.assign_service import follow_election
from lms.train.models import Election
from lms.train.scope import learners_query, sees_everything, unit_condition


class CalendarError(Exception):
    """A calendar or attendance change that is not allowed (the code names the reason)."""


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


# --- elections -----------------------------------------------------------------------------------

def country_id_of(user: User) -> int | None:
    """The country whose elections `user` manages (None for an admin, who chooses)."""
    unit = user.unit
    if unit is None:
        return None
    return unit.id if unit.level == UnitKind.COUNTRY else unit.country_id


def unit_country_id(unit: Unit) -> int:
    """The id of the country the unit is in (its own id for a country)."""
    return unit.id if unit.level == UnitKind.COUNTRY else unit.country_id


def elections_query(user: User) -> sa.Select:
    """Elections `user` may see: all for admins and monitors, else their own country's."""
    query = sa.select(Election)
    if sees_everything(user):
        return query
    country = country_id_of(user)
    return query.where(Election.country_id == country) if country else query.where(sa.false())


def election_or_404(user: User, election_id: int) -> Election:
    """The election if `user` may see it, else 404."""
    found = db.session.scalar(elections_query(user).where(Election.id == election_id))
    if found is None:
        abort(404)
    return found


def election_choices(user: User) -> list[Election]:
    """Elections `user` may link assignments to, the latest polling day first."""
    return list(db.session.scalars(elections_query(user).order_by(Election.polling_date.desc(), Election.id.desc())))


def countries() -> list[Unit]:
    """Every country, by code."""
    return list(db.session.scalars(sa.select(Unit).where(Unit.level == UnitKind.COUNTRY).order_by(Unit.code)))


def list_elections(user: User, page: int) -> Page:
    """Elections in scope with their country and the number of live assignments linked to them."""
    linked = (sa.select(sa.func.count(Assignment.id)).where(
        Assignment.election_id == Election.id, Assignment.withdrawn_at.is_(None)).scalar_subquery())
    query = (elections_query(user).options(joinedload(Election.country)).add_columns(linked)
             .order_by(Election.polling_date.desc(), Election.id.desc()))
    return paginate(query, page, count_by=Election.id)


def _check_dates(polling_date: date, training_opens: date) -> None:
    if training_opens > polling_date:
        raise CalendarError("opens_after_polling")


def create_election(actor: User, country_id: int, name: str, polling_date: date, training_opens: date) -> Election:
    """Add an election in a country `actor` may manage, audited; CalendarError when not allowed."""
    country = db.session.get(Unit, country_id)
    if country is None or country.level != UnitKind.COUNTRY:
        raise CalendarError("not_a_country")
    if not sees_everything(actor) and country.id != country_id_of(actor):
        raise CalendarError("not_your_country")
    _check_dates(polling_date, training_opens)
    election = Election(country_id=country.id, name=name.strip(), polling_date=polling_date,
                        training_opens=training_opens, created_by_id=actor.id)
    db.session.add(election)
    db.session.flush()
    audit.record(actor, "election.create", "election", election.id, country.id, new={
        "name": election.name, "polling_date": _iso(polling_date), "training_opens": _iso(training_opens)})
    return election


def update_election(actor: User, election: Election, name: str, polling_date: date,
                    training_opens: date) -> tuple[bool, int]:
    """Change an election; linked assignments follow its dates. (changed?, assignments moved)"""
    _check_dates(polling_date, training_opens)
    fields = ("name", "polling_date", "training_opens")
    old = {k: _iso(getattr(election, k)) for k in fields}
    election.name, election.polling_date, election.training_opens = name.strip(), polling_date, training_opens
    new = {k: _iso(getattr(election, k)) for k in fields}
    changed = [k for k in fields if old[k] != new[k]]
    if not changed:
        return False, 0
    audit.record(actor, "election.update", "election", election.id, election.country_id,
                 old={k: old[k] for k in changed}, new={k: new[k] for k in changed})
    db.session.flush()
    moved = follow_election(actor, election) if {"polling_date", "training_opens"} & set(changed) else 0
    return True, moved


# --- in-person sessions ------------------------------------------------------------------------

def sessions_query(user: User) -> sa.Select:
    """Training sessions held in units `user` may see."""
    return (sa.select(TrainingSession).join(Unit, TrainingSession.unit_id == Unit.id)
            .where(unit_condition(user)))


def session_or_404(user: User, session_id: int) -> TrainingSession:
    """The training session if `user` may see it, else 404."""
    found = db.session.scalar(sessions_query(user).where(TrainingSession.id == session_id))
    if found is None:
        abort(404)
    return found


def list_sessions(user: User, page: int, module_id: int | None = None) -> Page:
    """Sessions in scope, the latest first, with module, unit and the number who attended."""
    attended = (sa.select(sa.func.count(Attendance.id)).where(Attendance.session_id == TrainingSession.id)
                .scalar_subquery())
    query = (sessions_query(user).options(joinedload(TrainingSession.module), joinedload(TrainingSession.unit))
             .add_columns(attended).order_by(TrainingSession.held_on.desc(), TrainingSession.id.desc()))
    if module_id:
        query = query.where(TrainingSession.module_id == module_id)
    return paginate(query, page, count_by=TrainingSession.id)


def create_session(actor: User, module_id: int, unit_id: int, held_on: date, place: str,
                   trainer_name: str) -> TrainingSession:
    """Record a training session of an active module in a unit in scope, audited; else CalendarError."""
    module = db.session.get(Module, module_id)
    unit = db.session.scalar(sa.select(Unit).where(Unit.id == unit_id, unit_condition(actor)))
    if module is None or not module.active:
        raise CalendarError("unknown_module")
    if unit is None:
        raise CalendarError("unit_out_of_scope")
    session = TrainingSession(module_id=module.id, unit_id=unit.id, held_on=held_on, place=place.strip(),
                              trainer_name=trainer_name.strip(), created_by_id=actor.id)
    db.session.add(session)
    db.session.flush()
    audit.record(actor, "session.create", "session", session.id, unit.id, module_id=module.id,
                 held_on=_iso(held_on), place=session.place, trainer_name=session.trainer_name)
    return session


def eligible_learners(actor: User, session: TrainingSession) -> list[User]:
    """Active learners at or below the session's unit that `actor` manages, by precinct and name."""
    inside = sa.select(Unit.id).where(in_subtree(session.unit)).correlate(None)
    unit_code = sa.select(Unit.code).where(Unit.id == User.unit_id).correlate(User).scalar_subquery()
    return list(db.session.scalars(learners_query(actor).where(User.active, User.unit_id.in_(inside))
                                   .order_by(unit_code, User.full_name, User.id)))


def attendee_ids(session: TrainingSession) -> set[int]:
    """Ids of the users marked as attending the session."""
    return set(db.session.scalars(sa.select(Attendance.user_id).where(Attendance.session_id == session.id)))


def save_attendance(actor: User, session: TrainingSession, eligible: list[User],
                    chosen: set[int]) -> tuple[set[int], set[int]]:
    """Replace the attendance of the eligible learners with `chosen`; returns (added, removed).

    Attendance of people no longer eligible (moved away, deactivated) is kept as it was.
    """
    by_id = {u.id: u for u in eligible}
    if not chosen <= set(by_id):
        raise CalendarError("not_eligible")
    current = attendee_ids(session) & set(by_id)
    added, removed = chosen - current, current - chosen
    if not added and not removed:
        return added, removed
    if removed:
        db.session.execute(sa.delete(Attendance).where(
            Attendance.session_id == session.id, Attendance.user_id.in_(removed)))
    db.session.add_all(Attendance(session_id=session.id, user_id=uid) for uid in sorted(added))
    db.session.flush()
    for uid in sorted(added | removed):
        services.refresh_completion(by_id[uid], session.module)
    db.session.flush()
    events.attendance_recorded.send(user_ids=sorted(added | removed), module_id=session.module_id,
                                    session_id=session.id)
    audit.record(actor, "session.attendance", "session", session.id, session.unit_id, module_id=session.module_id,
                 old=sorted(current), new=sorted(chosen), added=sorted(added), removed=sorted(removed))
    return added, removed
