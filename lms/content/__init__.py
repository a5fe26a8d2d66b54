"""Course content: the course file format, its validation, import and SCORM 1.2 export."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register `flask courses check|import|export-scorm`."""
    from lms.content.cli import courses_cli

    app.cli.add_command(courses_cli)
