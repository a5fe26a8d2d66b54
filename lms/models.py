"""Every model, imported in one place for Alembic and the shell."""
from lms.auth.models import ApiToken, Role, User
from lms.content.models import Lesson, Module, Question, QuestionVersion
from lms.learn.models import (Assignment, AttemptItem, LearnerProgress, LessonCompletion, ModuleCompletion,
                               QuizAttempt)
from lms.orgs.models import Unit, UnitKind
from lms.reports.models import (ReportCell, ReportDays, ReportDue, ReportItem, ReportMember, ReportOption,
                                ReportUnit, ReportWeek)
from lms.train.models import Attendance, AuditEvent, Election, TrainingSession

__all__ = [
    "ApiToken", "ReportCell", "ReportDays", "ReportDue", "ReportItem", "ReportMember", "ReportOption",
    "ReportUnit", "ReportWeek",
    "Assignment", "AttemptItem", "Attendance", "AuditEvent", "Election", "TrainingSession", "Lesson", "LessonCompletion", "Module", "ModuleCompletion",
    "LearnerProgress", "Question", "QuestionVersion", "QuizAttempt", "Role", "Unit", "UnitKind", "User",
]
