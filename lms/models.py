"""Every model, imported in one place for Alembic and the shell."""
from lms.auth.models import ApiToken, Role, ShownOnce, SignIn, User
from lms.content.models import Lesson, Module, Question, QuestionVersion
from lms.learn.models import (
                              Assignment,
                              AttemptGrant,
                              AttemptItem,
                              Attendance,
                              Certificate,
                              LearnerProgress,
                              LessonCompletion,
                              ModuleCompletion,
                              QuizAttempt,
                              TrainingSession,
)
from lms.orgs.models import Unit, UnitKind
from lms.progress.models import (
                              ReportCell,
                              ReportDays,
                              ReportDue,
                              ReportItem,
                              ReportMember,
                              ReportOption,
                              ReportUnit,
                              ReportWeek,
)
from lms.remind.models import Reminder
from lms.reports.models import ReportScope
from lms.train.models import AuditEvent, Election
from lms.xapi.models import XapiOutbox, XapiStatement

__all__ = [
    "ApiToken", "Assignment", "AttemptGrant", "AttemptItem", "Attendance", "AuditEvent", "Certificate", "Election",
    "LearnerProgress", "Lesson", "LessonCompletion", "Module", "ModuleCompletion", "Question", "QuestionVersion",
    "QuizAttempt", "ReportCell", "ReportDays", "ReportDue", "ReportItem", "ReportMember", "ReportOption",
    "Reminder", "ReportScope", "ReportUnit", "ReportWeek", "Role", "ShownOnce", "SignIn", "TrainingSession", "Unit",
    "UnitKind", "User", "XapiOutbox", "XapiStatement",
]
