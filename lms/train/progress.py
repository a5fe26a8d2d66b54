"""The trainer's progress matrix and overdue list, read from learner_progress in a fixed number of queries."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa

from lms.auth.models import Role, User, name_or_username_contains
from lms.content.models import Module
from lms.core.paging import Page, paginate
from lms.extensions import db
from lms.learn import rules
from lms.learn.models import LearnerProgress
from lms.orgs.models import Unit, in_subtree
from lms.train.scope import unit_condition

STATUSES = tuple(rules.FILTER_LABELS)  # the matrix filters


@dataclass
class MatrixFilter:
    unit: Unit | None = None
    module_id: int | None = None
    status: str | None = None
    q: str = ""
    page: int = 1


@dataclass
class Matrix:
    modules: list[Module]
    page: Page[User]  # the learners of this page, and how many match in all
    cells: dict[tuple[int, int], LearnerProgress] = field(default_factory=dict)

    @property
    def learners(self) -> list[User]:
        """The learners of this page."""
        return self.page.items


def _active_learners(user: User) -> sa.Select:
    """Active learners in `user`'s scope, with their unit joined (for filters and ordering)."""
    return (sa.select(User).outerjoin(Unit, User.unit_id == Unit.id)
            .where(User.role == Role.LEARNER, User.active, unit_condition(user)))


def status_condition(status: str) -> sa.ColumnElement[bool]:
    """SQL condition on learner progress for a status filter (a status, "overdue" or "failed_twice")."""
    lp = LearnerProgress
    if status == "overdue":
        return rules.overdue_condition(lp.status, lp.due_date)
    if status == "failed_twice":
        return sa.and_(lp.failed_attempts >= 2, lp.passed.is_(False))
    return lp.status == status


def filtered_learners(user: User, f: MatrixFilter) -> sa.Select:
    """Active learners in scope matching the filter, as a query of User rows (units joined)."""
    query = _active_learners(user)
    if f.unit is not None:
        query = query.where(in_subtree(f.unit))
    if f.q:
        query = query.where(name_or_username_contains(f.q))
    if f.status in STATUSES or f.module_id:
        cond = [LearnerProgress.user_id == User.id]
        if f.module_id:
            cond.append(LearnerProgress.module_id == f.module_id)
        if f.status in STATUSES:
            cond.append(status_condition(f.status))
        query = query.where(sa.exists().where(*cond))
    return query


def _modules(f: MatrixFilter) -> list[Module]:
    query = sa.select(Module).where(Module.active).order_by(Module.position, Module.id)
    if f.module_id:
        query = query.where(Module.id == f.module_id)
    return list(db.session.scalars(query))


def _cells(user_ids: list[int], module_ids: list[int]) -> dict[tuple[int, int], LearnerProgress]:
    rows = db.session.scalars(sa.select(LearnerProgress).where(
        LearnerProgress.user_id.in_(user_ids), LearnerProgress.module_id.in_(module_ids)))
    return {(r.user_id, r.module_id): r for r in rows}


def matrix(user: User, f: MatrixFilter) -> Matrix:
    """One page of the progress matrix: the learners matching `f`, the modules and their cells."""
    page = paginate(_ordered(filtered_learners(user, f)), f.page, count_by=User.id)
    modules = _modules(f)
    cells = _cells([u.id for u in page.items], [m.id for m in modules]) if page.items else {}
    return Matrix(modules, page, cells)


def _ordered(query: sa.Select) -> sa.Select:
    return query.order_by(Unit.code, User.full_name, User.id)


def export_rows(user: User, f: MatrixFilter, chunk: int = 1000) -> Iterator[tuple[User, list[Module], dict]]:
    """Every learner matching the filter (all pages), with their cells, in chunks."""
    modules = _modules(f)
    ids = db.session.scalars(_ordered(filtered_learners(user, f)).with_only_columns(User.id)).all()
    for start in range(0, len(ids), chunk):
        part = ids[start:start + chunk]
        users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(part)))}
        cells = _cells(part, [m.id for m in modules])
        for uid in part:
            yield users[uid], modules, cells


OVERDUE_PAGE = 500  # rows of the printable overdue list per page


def overdue(user: User, module_id: int | None = None, page: int = 1) -> Page[tuple[LearnerProgress, User]]:
    """One page of the overdue (learner progress, learner) pairs in scope, ordered by precinct then name,
    with how many there are in all; a page past the end is empty, so that the printed list says so."""
    query = (_active_learners(user)
             .join(LearnerProgress, LearnerProgress.user_id == User.id)
             .where(status_condition("overdue")))
    if module_id:
        query = query.where(LearnerProgress.module_id == module_id)
    found = paginate(query.add_columns(LearnerProgress)
                     .order_by(Unit.code, User.full_name, LearnerProgress.due_date, LearnerProgress.module_id),
                     page, OVERDUE_PAGE, count_by=LearnerProgress.user_id, past_end=True)
    found.items = [(lp, u) for u, lp in found.items]
    return found
