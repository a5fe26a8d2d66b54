"""Demo organisation and synthetic scale data."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register `flask demo seed|generate`."""
    from lms.demo.cli import demo_cli

    app.cli.add_command(demo_cli)
