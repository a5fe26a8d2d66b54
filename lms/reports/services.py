"""Report figures, read from the summary tables in a fixed number of queries.

Definitions (also in the README):
- learners: active learner accounts at or below the unit;
- assigned: (learner, module) pairs that a live assignment reaches; started: with a lesson read
  or an attempt; completed: complete under the module's rules (within the dates, if given:
  by week of completion); completion rate = completed / assigned;
- overdue: not completed with a due date before today;
- average best score: mean of each pair's best quiz score, over pairs with an attempt;
- first-attempt pass rate: pairs whose first attempt passed / pairs with an attempt;
- median days to complete: from first lesson or attempt to completion.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask import abort

from lms.auth.models import Role, User
from lms.content.models import Lesson, Module, Question, QuestionVersion
from lms.extensions import db
from lms.orgs.models import Unit, in_subtree
from lms.progress.models import ReportCell, ReportDays, ReportDue, ReportItem, ReportOption, ReportUnit, ReportWeek
from lms.reports.models import ReportScope
from lms.timeutil import today

# --- scope --------------------------------------------------------------------------------------

ROLES = ("learner", "trainer")


def root_units(viewer: User) -> list[Unit]:
    """The units a viewer's reports start from: the countries an admin gave a monitor,
    else the viewer's own unit, else (admins and monitors) every country."""
    if viewer.role == Role.MONITOR:
        granted = list(db.session.scalars(sa.select(Unit).join(ReportScope, ReportScope.unit_id == Unit.id)
                                          .where(ReportScope.user_id == viewer.id).order_by(Unit.code)))
        if granted:
            return granted
    if viewer.role in (Role.ADMIN, Role.MONITOR) and viewer.unit is None:
        return list(db.session.scalars(sa.select(Unit).where(Unit.level == 0).order_by(Unit.code)))
    return [viewer.unit] if viewer.unit is not None else []


def unit_in_scope_or_404(viewer: User, unit_id: int | None) -> Unit | None:
    """None means 'all the viewer's roots'; a unit outside the viewer's scope is not found."""
    if unit_id is None:
        return None
    roots = root_units(viewer)
    unit = db.session.scalar(sa.select(Unit).where(Unit.id == unit_id, sa.or_(*[in_subtree(r) for r in roots])
                                                   if roots else sa.false()))
    if unit is None:
        abort(404)
    return unit


def may_see_names(viewer: User, unit: Unit | None) -> bool:
    """Names only at precinct level, for trainers of that scope, admins, and monitors granted it."""
    if unit is None or unit.level < 3:
        return False
    return viewer.role in (Role.ADMIN, Role.TRAINER) or (viewer.role == Role.MONITOR and viewer.can_see_names)


# --- completion ---------------------------------------------------------------------------------

def mean_of_scores(total: float | None, count: int) -> float | None:
    """The mean of `count` scores summing to `total`, to one decimal, or None for no scores.

    Every score has one decimal, so the true sum is a multiple of 0.1: rounding it there first
    removes the float noise of adding in another order (the SQL SUM, or a rebuild), which could
    otherwise tip a mean that falls exactly on a half (82.65) to the other side. The half
    itself rounds up, in decimal, as people round."""
    if not count:
        return None
    exact = Decimal(repr(round(total or 0.0, 1))) / count
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@dataclass
class CompletionRow:
    unit: Unit | None
    learners: int = 0
    assigned: int = 0
    started: int = 0
    completed: int = 0
    overdue: int = 0
    scored: int = 0
    best_sum: float = 0.0
    first_passed: int = 0
    days: dict[int, int] = field(default_factory=dict)

    @property
    def completion_rate(self) -> float | None:
        """Completed as a percentage of assigned, or None when nothing is assigned."""
        return round(100 * self.completed / self.assigned, 1) if self.assigned else None

    @property
    def average_best(self) -> float | None:
        """The average best score, or None when nobody has a score."""
        return mean_of_scores(self.best_sum, self.scored)

    @property
    def first_pass_rate(self) -> float | None:
        """The percentage who passed at their first attempt, or None when nobody has a score."""
        return round(100 * self.first_passed / self.scored, 1) if self.scored else None

    @property
    def median_days(self) -> float | None:
        """The median number of days to complete, or None when nobody has completed."""
        total = sum(self.days.values())
        if not total:
            return None
        ordered = sorted(self.days.items())
        def nth(k: int) -> int:
            """The days to complete of the `k`-th completion (from 0), fastest first."""
            seen = 0
            for d, n in ordered:
                seen += n
                if seen > k:
                    return d
            return ordered[-1][0]
        return (nth((total - 1) // 2) + nth(total // 2)) / 2


@dataclass
class CompletionReport:
    unit: Unit | None
    rows: list[CompletionRow]
    total: CompletionRow
    trend: list[tuple[date, int]]


def children_of(viewer: User, unit: Unit | None) -> list[Unit]:
    """The sub-units of `unit` by code, or the viewer's root units when `unit` is None."""
    if unit is None:
        return root_units(viewer)
    return list(db.session.scalars(sa.select(Unit).where(Unit.parent_id == unit.id).order_by(Unit.code)))


def completion(
    viewer: User,
    unit: Unit | None,
    module_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    role: str | None = "learner",
) -> CompletionReport:
    """Figures for the children of `unit` and for the unit itself; `role` picks whose figures
    ("learner": precinct officials, "trainer": trainers taking modules, None: both)."""
    units = children_of(viewer, unit)
    rows = {u.id: CompletionRow(u) for u in units}
    ids = list(rows)
    total = CompletionRow(unit)
    targets = ids + ([unit.id] if unit is not None else [])

    def into(unit_id: int) -> list[CompletionRow]:
        """The rows a figure of `unit_id` adds to: its own row and, for the unit itself, the total."""
        out = [rows[unit_id]] if unit_id in rows else []
        if unit is None or unit_id == unit.id:
            out.append(total)
        return out

    module_cond = [ReportCell.module_id == module_id] if module_id else []
    module_cond += [ReportCell.role == role] if role else []
    for unit_id, learners in db.session.execute(
            sa.select(ReportUnit.unit_id, ReportUnit.learners)
            .where(ReportUnit.unit_id.in_(targets), *([ReportUnit.role == role] if role else []))):
        for r in into(unit_id):
            r.learners += learners
    sums = [sa.func.sum(getattr(ReportCell, f)) for f in ("assigned", "started", "completed", "scored", "best_sum",
                                                            "first_passed")]
    for unit_id, assigned, started, completed, scored, best_sum, first_passed in db.session.execute(
            sa.select(ReportCell.unit_id, *sums).where(ReportCell.unit_id.in_(targets), *module_cond)
            .group_by(ReportCell.unit_id)):
        for r in into(unit_id):
            r.assigned += assigned or 0
            r.started += started or 0
            r.completed += completed or 0
            r.scored += scored or 0
            r.best_sum += best_sum or 0.0
            r.first_passed += first_passed or 0
    due_cond = [ReportDue.module_id == module_id] if module_id else []
    due_cond += [ReportDue.role == role] if role else []
    for unit_id, pending in db.session.execute(
        sa.select(ReportDue.unit_id, sa.func.sum(ReportDue.pending))
        .where(ReportDue.unit_id.in_(targets), ReportDue.due_date < today(), *due_cond)  # lms.learn.rules.is_overdue
        .group_by(ReportDue.unit_id)
    ):
        for r in into(unit_id):
            r.overdue += pending or 0
    days_cond = [ReportDays.module_id == module_id] if module_id else []
    days_cond += [ReportDays.role == role] if role else []
    for unit_id, days, n in db.session.execute(
            sa.select(ReportDays.unit_id, ReportDays.days, sa.func.sum(ReportDays.completions))
            .where(ReportDays.unit_id.in_(targets), *days_cond).group_by(ReportDays.unit_id, ReportDays.days)):
        for r in into(unit_id):
            r.days[days] = r.days.get(days, 0) + (n or 0)
    if date_from or date_to:  # completed within the dates, counted by week of completion
        for r in list(rows.values()) + [total]:
            r.completed = 0
        for unit_id, n in db.session.execute(_weeks(targets, module_id, date_from, date_to, role)
                                             .with_only_columns(ReportWeek.unit_id, sa.func.sum(ReportWeek.completions))
                                             .group_by(ReportWeek.unit_id)):
            for r in into(unit_id):
                r.completed += n or 0
    return CompletionReport(unit, [rows[i] for i in ids], total,
                            trend(viewer, unit, module_id, date_from, date_to, role))


def _weeks(unit_ids: list[int], module_id: int | None, date_from: date | None, date_to: date | None,
           role: str | None) -> sa.Select:
    query = sa.select(ReportWeek).where(ReportWeek.unit_id.in_(unit_ids))
    if role:
        query = query.where(ReportWeek.role == role)
    if module_id:
        query = query.where(ReportWeek.module_id == module_id)
    if date_from:
        query = query.where(ReportWeek.week >= date_from - timedelta(days=date_from.weekday()))
    if date_to:
        query = query.where(ReportWeek.week <= date_to)
    return query


def trend(viewer: User, unit: Unit | None, module_id: int | None, date_from: date | None,
          date_to: date | None, role: str | None = "learner") -> list[tuple[date, int]]:
    """Completions per week for the unit (or all the viewer's roots), every week of the period."""
    start, end = trend_period(date_from, date_to)
    unit_ids = [unit.id] if unit is not None else [u.id for u in root_units(viewer)]
    counts: dict[date, int] = defaultdict(int)
    for week, n in db.session.execute(_weeks(unit_ids, module_id, start, end, role)
                                      .with_only_columns(ReportWeek.week, sa.func.sum(ReportWeek.completions))
                                      .group_by(ReportWeek.week)):
        counts[week] += n or 0
    weeks = (start + timedelta(weeks=k) for k in range((end - start).days // 7 + 1))  # none past `end`
    return [(week, counts.get(week, 0)) for week in weeks]


MAX_TREND_WEEKS = 5300  # about a hundred years: the trend of a longer period shows its last weeks only


def _weeks_before(day: date, weeks: int) -> date:
    """`weeks` weeks before `day`, or the first day there is."""
    return day - timedelta(weeks=weeks) if (day - date.min).days >= 7 * weeks else date.min


def trend_period(date_from: date | None, date_to: date | None) -> tuple[date, date]:
    """The first Monday and the last day of the weekly trend: from `date_from` (default 12 weeks
    before the end) to `date_to` (default today), at most MAX_TREND_WEEKS weeks."""
    end = date_to or today()
    start = max(date_from or _weeks_before(end, 12), _weeks_before(end, MAX_TREND_WEEKS - 1))
    return start - timedelta(days=start.weekday()), end


# --- knowledge ----------------------------------------------------------------------------------

@dataclass
class ItemRow:
    question: Question
    version: QuestionVersion
    answered: int = 0
    right: int = 0
    upper_n: int = 0
    upper_right: int = 0
    lower_n: int = 0
    lower_right: int = 0
    wrong_options: list[tuple[str, int]] = field(default_factory=list)  # (option id, times chosen)

    @property
    def difficulty(self) -> float | None:
        """Share answered right at the first attempt (classical p value)."""
        return round(self.right / self.answered, 3) if self.answered else None

    @property
    def discrimination(self) -> float | None:
        """Upper-group share right minus lower-group share right (upper >= 80%, lower < 50%)."""
        if not self.upper_n or not self.lower_n:
            return None
        return round(self.upper_right / self.upper_n - self.lower_right / self.lower_n, 3)


@dataclass
class KnowledgeReport:
    unit: Unit | None
    module: Module
    items: list[ItemRow]
    topics: list[tuple[Lesson | None, int, int]]  # (lesson, answered, right)
    oblast_map: list[tuple[Unit, dict[int, float | None]]]


def knowledge(viewer: User, unit: Unit | None, module: Module) -> KnowledgeReport:
    """Item analysis of `module` in `unit` (or the viewer's roots), with topics and the oblast map."""
    unit_ids = [unit.id] if unit is not None else [u.id for u in root_units(viewer)]
    versions = {v.id: (v, q) for v, q in db.session.execute(
        sa.select(QuestionVersion, Question).join(Question, QuestionVersion.question_id == Question.id)
        .where(Question.module_id == module.id))}
    rows: dict[int, ItemRow] = {}
    fields = ("answered", "right", "upper_n", "upper_right", "lower_n", "lower_right")
    for version_id, *values in db.session.execute(
            sa.select(ReportItem.question_version_id, *[sa.func.sum(getattr(ReportItem, f)) for f in fields])
            .where(ReportItem.unit_id.in_(unit_ids), ReportItem.question_version_id.in_(list(versions)))
            .group_by(ReportItem.question_version_id)):
        v, q = versions[version_id]
        rows[version_id] = ItemRow(q, v, **{f: int(x or 0) for f, x in zip(fields, values)})
    wrong: dict[int, dict[str, int]] = defaultdict(dict)
    for version_id, option, n in db.session.execute(
            sa.select(ReportOption.question_version_id, ReportOption.option, sa.func.sum(ReportOption.chosen))
            .where(ReportOption.unit_id.in_(unit_ids), ReportOption.question_version_id.in_(list(versions)))
            .group_by(ReportOption.question_version_id, ReportOption.option)):
        wrong[version_id][option] = int(n or 0)
    for version_id, row in rows.items():
        row.wrong_options = sorted(((o, n) for o, n in wrong[version_id].items() if n), key=lambda x: -x[1])[:3]
    items = sorted(rows.values(), key=lambda r: (r.difficulty if r.difficulty is not None else 2, r.question.slug))
    lessons = {
        lesson.slug: lesson for lesson in db.session.scalars(sa.select(Lesson).where(Lesson.module_id == module.id))
    }
    topics: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows.values():
        topics[r.question.topic][0] += r.answered
        topics[r.question.topic][1] += r.right
    topic_rows = sorted(((lessons.get(t), a, rt) for t, (a, rt) in topics.items()),
                        key=lambda x: (x[2] / x[1]) if x[1] else 2)
    return KnowledgeReport(unit, module, items, topic_rows, oblast_map(viewer))


@dataclass
class KnowledgeRow:
    unit: Unit
    answered: int = 0  # answers given at first attempts
    right: int = 0
    scored: int = 0  # learners with a first attempt
    first_sum: float = 0.0

    @property
    def share_right(self) -> float | None:
        """Percentage of first-attempt answers that were right, or None when nothing was answered."""
        return round(100 * self.right / self.answered, 1) if self.answered else None

    @property
    def average_first(self) -> float | None:
        """Average first-attempt score of the unit's officials, or None when nobody has one."""
        return mean_of_scores(self.first_sum, self.scored)


def knowledge_by_unit(viewer: User, unit: Unit | None, module: Module) -> list[KnowledgeRow]:
    """The sub-units of `unit` (or the viewer's roots) with their first-attempt figures for `module`."""
    rows = {u.id: KnowledgeRow(u) for u in children_of(viewer, unit)}
    if not rows:
        return []
    versions = sa.select(QuestionVersion.id).join(Question, QuestionVersion.question_id == Question.id).where(
        Question.module_id == module.id)
    for unit_id, answered, right in db.session.execute(
            sa.select(ReportItem.unit_id, sa.func.sum(ReportItem.answered), sa.func.sum(ReportItem.right))
            .where(ReportItem.unit_id.in_(list(rows)), ReportItem.question_version_id.in_(versions))
            .group_by(ReportItem.unit_id)):
        rows[unit_id].answered, rows[unit_id].right = int(answered or 0), int(right or 0)
    for unit_id, scored, first_sum in db.session.execute(
            sa.select(ReportCell.unit_id, sa.func.sum(ReportCell.scored), sa.func.sum(ReportCell.first_sum))
            .where(ReportCell.unit_id.in_(list(rows)), ReportCell.module_id == module.id,
                   ReportCell.role == "learner").group_by(ReportCell.unit_id)):
        rows[unit_id].scored, rows[unit_id].first_sum = int(scored or 0), float(first_sum or 0.0)
    return list(rows.values())


def trail(viewer: User, unit: Unit | None) -> list[Unit]:
    """The units from the viewer's starting point down to `unit`, for breadcrumbs (empty for the start)."""
    if unit is None:
        return []
    roots = {r.id for r in root_units(viewer)}
    chain = [i for i in (unit.country_id, unit.oblast_id, unit.district_id) if i is not None and i != unit.id]
    above = {u.id: u for u in db.session.scalars(sa.select(Unit).where(Unit.id.in_(chain)))} if chain else {}
    path = [above[i] for i in chain if i in above] + [unit]
    start = next((k for k, u in enumerate(path) if u.id in roots), 0)
    return path[start:]


def oblast_map(viewer: User) -> list[tuple[Unit, dict[int, float | None]]]:
    """Average first-attempt score by oblast (rows) and module (columns), where knowledge is weakest."""
    roots = root_units(viewer)
    if not roots:
        return []
    oblasts = list(db.session.scalars(sa.select(Unit).where(Unit.level == 1, sa.or_(*[in_subtree(r) for r in roots]))
                                      .order_by(Unit.code)))
    table: dict[int, dict[int, float | None]] = {o.id: {} for o in oblasts}
    for unit_id, module_id, scored, first_sum in db.session.execute(
            sa.select(ReportCell.unit_id, ReportCell.module_id, ReportCell.scored, ReportCell.first_sum)
            .where(ReportCell.unit_id.in_(list(table)), ReportCell.role == "learner")):
        table[unit_id][module_id] = mean_of_scores(first_sum, scored)
    return [(o, table[o.id]) for o in oblasts]
