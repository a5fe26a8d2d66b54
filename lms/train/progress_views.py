"""Trainer workspace: the progress matrix, a learner's record, the overdue list."""
from lms.train.views import bp  # noqa: F401
