"""JSON API for partners' dashboards: units, progress, assignments, sessions, attendance and certificates.

Read-only lists in the token owner's scope (lms.reports.partner), paged by cursor (lms.reports.api_base),
described in lms/static/openapi.yaml. The routes join the `api` blueprint of lms.reports.api_base.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import g

from lms.config import LANGUAGES
from lms.learn import rules
from lms.learn.certificate_records import grouped
from lms.reports import partner, services
from lms.reports.api_base import (
    Paging,
    boolean,
    bp,
    choice,
    day,
    integer,
    iso,
    listing,
    module,
    moment,
    page_of,
    paging,
    token_required,
    unit,
)


def _page(viewer, found: partner.Listing, page: Paging, item: Callable[[Any, Any], dict],
          key: Callable[[Any], tuple[int, ...]]):
    """One page of `found` as JSON: each row made an item by `item(viewer, row)`, the cursor from `key(row)`."""
    rows, more = page_of(found.query, found.key, page)
    return listing([item(viewer, r) for r in rows], more, key(rows[-1]) if rows else None, page)


# --- how each list shows a row ---------------------------------------------------------------------

def _unit_item(viewer, row) -> dict:
    u, parent_code = row
    return {"code": u.code, "level": u.level, "parent": parent_code, "closed": u.closed,
            "closed_at": moment(u.closed_at), "names": {k: v for k, v in u.names.items() if k in LANGUAGES and v}}


def _progress_item(viewer, row) -> dict:
    p, full_name, role_, erased_at, unit_code, slug = row
    return {
        "learner": partner.person(viewer, p.user_id, full_name, erased_at is None),
        "role": role_.value, "unit": unit_code, "module": slug,
        "status": rules.shown_status(p.status, p.due_date), "due_date": iso(p.due_date),
        "started_at": moment(p.started_at), "completed_at": moment(p.completed_at),
        "best_score": p.best_score, "attempts": p.attempts, "passed": p.passed,
        "lessons_read": p.lessons_read, "lessons_total": p.lessons_total,
    }


def _assignment_item(viewer, row) -> dict:
    a, slug, target_code, full_name, erased_at, home_code = row
    return {
        "id": a.id, "module": slug, "target": "unit" if a.unit_id is not None else "learner",
        "unit": target_code if a.unit_id is not None else home_code,
        "learner": partner.person(viewer, a.user_id, full_name, erased_at is None),
        "due_date": iso(a.due_date), "counts_from": iso(a.counts_from), "created_at": moment(a.created_at),
        "withdrawn": a.withdrawn_at is not None, "withdrawn_at": moment(a.withdrawn_at),
    }


def _session_item(viewer, row) -> dict:
    s, slug, unit_code, attended = row
    return {"id": s.id, "module": slug, "unit": unit_code, "held_on": iso(s.held_on), "place": s.place,
            "trainer_name": s.trainer_name, "attended": attended, "created_at": moment(s.created_at)}


def _attendance_item(viewer, row) -> dict:
    attendance_id, session, user_id, full_name, erased_at, in_scope = row
    return {"id": attendance_id, "session": session,
            "learner": partner.person(viewer, user_id, full_name, bool(in_scope) and erased_at is None)}


def _certificate_item(viewer, row) -> dict:
    c, slug, unit_code, in_scope = row
    named = bool(in_scope) and c.holder_erased_at is None
    return {
        "code": grouped(c.code), "status": "revoked" if c.revoked else "valid", "module": slug,
        "module_title": c.module_title, "language": c.language, "unit": unit_code,
        "learner": partner.person(viewer, c.user_id, c.full_name, named), "score": c.score,
        "completed_at": moment(c.completed_at), "issued_at": moment(c.issued_at),
        "revoked_at": moment(c.revoked_at),
    }


# --- the lists ---------------------------------------------------------------------------------

@bp.get("/units")
@token_required
def units():
    """The organisation units in scope with codes, levels, parents and names, parents first (GET; API token)."""
    viewer = g.api_user
    place, level = unit(viewer), integer("level", 0, 3)
    page = paging(2)
    return _page(viewer, partner.units(viewer, place, level), page, _unit_item,
                 lambda r: (r[0].level, r[0].id))


@bp.get("/progress")
@token_required
def progress():
    """Each person's standing in each assigned module, in scope (GET; API token)."""
    viewer = g.api_user
    place, course = unit(viewer), module()
    role = choice("role", (*services.ROLES, "all"), "learner")
    status = choice("status", partner.STATUSES)
    page = paging(2)

    found = partner.progress(viewer, place, course, None if role == "all" else role, status)
    return _page(viewer, found, page, _progress_item, lambda r: (r[0].user_id, r[0].module_id))


@bp.get("/assignments")
@token_required
def assignments():
    """Assignments to units or people in scope, with due dates, live or withdrawn (GET; API token)."""
    viewer = g.api_user
    place, course, withdrawn = unit(viewer), module(), boolean("withdrawn")
    page = paging()
    return _page(viewer, partner.assignments(viewer, place, course, withdrawn), page, _assignment_item,
                 lambda r: (r[0].id,))


@bp.get("/sessions")
@token_required
def sessions():
    """In-person training sessions held in scope, with the number who attended (GET; API token)."""
    viewer = g.api_user
    place, course = unit(viewer), module()
    held_from, held_to = day("from"), day("to")  # a `from` after `to` matches no session
    page = paging()
    return _page(viewer, partner.sessions(viewer, place, course, held_from, held_to), page, _session_item,
                 lambda r: (r[0].id,))


@bp.get("/attendance")
@token_required
def attendance():
    """Who attended the sessions held in scope, one row per person and session (GET; API token)."""
    viewer = g.api_user
    place, course, session_id = unit(viewer), module(), integer("session", 1, 2**31 - 1)
    page = paging()
    return _page(viewer, partner.attendance(viewer, place, course, session_id), page, _attendance_item,
                 lambda r: (r[0],))


@bp.get("/certificates")
@token_required
def certificates():
    """Certificates earned in scope: code, status, module, dates and holder (GET; API token)."""
    viewer = g.api_user
    place, course = unit(viewer), module()
    status, since = choice("status", partner.CERTIFICATE_STATUSES), day("since")
    page = paging()
    return _page(viewer, partner.certificates(viewer, place, course, status, since), page, _certificate_item,
                 lambda r: (r[0].id,))
