"""The CLI as a newcomer runs it: no SECRET_KEY exported, as after `make run`."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from lms.config import ROOT

FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]


def _run(args, instance: Path):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL", "FLASK_DEBUG")}
    env["LMS_INSTANCE_PATH"] = str(instance)
    return subprocess.run(FLASK + args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_without_a_key_the_cli_says_in_one_line_what_to_set(tmp_path):
    result = _run(["courses", "check", "tests/fixtures/courses"], tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "SECRET_KEY" in lines[0], result.stderr


def test_the_cli_reads_the_development_key_that_make_run_writes(tmp_path):
    (tmp_path / "dev-secret-key").write_text("0123456789abcdef" * 4 + "\n")
    result = _run(["courses", "check", "tests/fixtures/courses"], tmp_path)
    assert result.returncode == 0, result.stderr
    result = _run(["db", "upgrade"], tmp_path)  # the SQLite file goes to the same instance folder
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "lms.sqlite3").exists()
    result = _run(["reports", "rebuild", "--check"], tmp_path)
    assert result.returncode == 0 and "match" in result.stdout, result.stdout + result.stderr
