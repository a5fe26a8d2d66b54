"""The second baseline of bench/pages.py: a bare Flask page that runs one SQLite query.

    gunicorn --config gunicorn.conf.py bench.bare:app
"""
from __future__ import annotations

import os
import sqlite3
import tempfile
import threading

from flask import Flask

app = Flask(__name__)
_path = os.environ.get("BARE_SQLITE", os.path.join(tempfile.gettempdir(), "lms-bare.sqlite3"))
_local = threading.local()


@app.get("/healthz")
def page():
    """One query on a SQLite file, as little else as Flask allows."""
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = sqlite3.connect(_path)
    (value,) = conn.execute("SELECT 1").fetchone()
    return {"status": "ok", "value": value}
