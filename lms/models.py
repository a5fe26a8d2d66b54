"""Every model, imported in one place for Alembic and the shell."""
from lms.auth.models import Role, User
from lms.content.models import Lesson, Module, Question, QuestionVersion
from lms.learn.models import Assignment, AttemptItem, LessonCompletion, ModuleCompletion, QuizAttempt
from lms.orgs.models import Unit, UnitKind

__all__ = [
    "Assignment", "AttemptItem", "Lesson", "LessonCompletion", "Module", "ModuleCompletion",
    "Question", "QuestionVersion", "QuizAttempt", "Role", "Unit", "UnitKind", "User",
]
