"""Trainer workspace: assignments (views on the train blueprint)."""
from lms.train.views import bp  # noqa: F401
