"""Whole journeys of each role in Chromium, at 360x740 and 1366x900. Every page on the way is
screenshotted, must not scroll sideways on the phone and must pass axe-core (no serious or
critical violation); see tests/browser/journey.py."""
import pytest

from lms.auth.models import Role, User
from lms.learn.models import Assignment
from tests.browser.journey import Journey, answer_quiz, attempt_id_of, count, download_excel, only_sqlite

SIZES = ["phone", "desktop"]
NAMES = {"KZ": "Казахстан", "KZ-A": "Алматинская область", "KZ-A-1": "Карасайский район",
         "KZ-A-1-1": "Участковая избирательная комиссия № 1", "KZ-A-1-2": "Участковая избирательная комиссия № 2"}


@pytest.fixture
def world(app, make, course, database):
    """An oblast with a district and precincts, its trainer, a monitor, and learners with progress."""
    only_sqlite(database)
    tree = make.tree()
    with app.app_context():
        from lms.extensions import db
        from lms.orgs.models import Unit
        for code, name in NAMES.items():
            db.session.get(Unit, tree[code]).names = {"en": name, "ru": name, "kk": name}
        db.session.commit()
    make.user("trainer", Role.TRAINER, tree["KZ-A"], full_name="Нурлан Абенов")
    make.user("monitor", Role.MONITOR, full_name="Mira Monitor")
    learner = make.user("ann", unit=tree["KZ-A-1-1"], full_name="Гульнара Исмаилова")
    make.assign(course, user=learner)
    for n in range(3):
        make.assign(course, user=make.user(f"peer{n}", unit=tree["KZ-A-1-2"], full_name=f"Коллега {n}"))
    return tree


@pytest.mark.parametrize("size", SIZES)
def test_learner_journey_from_sign_in_to_certificate(app, world, live_server, chromium, size):
    j = Journey(chromium, live_server, "learner", size)
    page = j.page
    j.sign_in("ann")
    j.check("dashboard")
    page.click("main a.button:has-text('Start')")
    j.check("first lesson")
    page.click("a[rel=next]")
    j.check("second lesson")
    page.click("a.button:has-text('Go to the quiz')")
    j.check("module before the quiz")
    page.click("button:has-text('Start the quiz')")
    page.wait_for_url("**/attempts/*")
    j.check("quiz")
    answer_quiz(page, app, attempt_id_of(page), right=False)
    page.click("button:has-text('Continue to check your answers')")
    j.check("check the answers")
    page.click("button:has-text('Submit the quiz')")
    page.wait_for_url("**/attempts/*")
    j.check("failed quiz")
    j.goto("/learn/modules/sample-module")
    page.click("button:has-text('Take the quiz again')")
    page.wait_for_url("**/attempts/*")
    answer_quiz(page, app, attempt_id_of(page), right=True)
    page.click("button:has-text('Continue to check your answers')")
    page.click("button:has-text('Submit the quiz')")
    page.wait_for_url("**/attempts/*")
    j.check("passed quiz")
    j.goto("/learn/modules/sample-module")
    page.click("a:has-text('Your certificate')")
    j.check("certificate")
    j.close()


@pytest.mark.parametrize("size", SIZES)
def test_trainer_journey_import_assign_follow_export(app, world, course, live_server, chromium, size, tmp_path):
    j = Journey(chromium, live_server, "trainer", size)
    page = j.page
    j.sign_in("trainer")
    j.check("trainer home")
    j.goto("/train/learners/import")
    j.check("import form")
    bad = tmp_path / "bad.csv"
    bad.write_text("full_name,unit_code\nАйгерим Сапарова,KZ-A-1-1\nБерик Омаров,NO-SUCH-UNIT\n", encoding="utf-8")
    page.set_input_files("input[type=file]", str(bad))
    page.click("button:has-text('Check the file')")
    j.check("import with an error")
    assert "NO-SUCH-UNIT" in page.inner_text("main")
    good = tmp_path / "good.csv"
    good.write_text("full_name,unit_code\nАйгерим Сапарова,KZ-A-1-1\nБерик Омаров,KZ-A-1-2\n", encoding="utf-8")
    page.set_input_files("input[type=file]", str(good))
    page.click("button:has-text('Check the file')")
    j.check("import preview")
    page.click("main form button[type=submit].primary")
    j.check("imported")
    assert count(app, User, User.full_name == "Берик Омаров") == 1

    j.goto("/train/assignments/new")
    j.check("new assignment")
    page.check("input[name=modules]")
    page.fill("#unit-search", "№ 2")
    page.check(f"input[name=units][value='{world['KZ-A-1-2']}']")
    page.click("main button.primary:has-text('Assign')")
    page.wait_for_url("**/train/assignments")
    j.check("assignment made")
    assert count(app, Assignment, Assignment.unit_id == world["KZ-A-1-2"]) == 1

    j.goto("/train/progress")
    j.check("progress matrix")
    download_excel(page)
    j.close()


@pytest.mark.parametrize("size", SIZES)
def test_monitor_journey_drills_down_to_a_precinct_and_downloads(app, world, live_server, chromium, size):
    j = Journey(chromium, live_server, "monitor", size)
    page = j.page
    j.sign_in("monitor")
    j.goto("/reports/completion")
    j.check("completion, all countries")
    for code in ("KZ", "KZ-A", "KZ-A-1", "KZ-A-1-2"):
        page.click(f"table.report a:has-text('{NAMES[code]}')")
        j.check(f"completion {code}")
        if code == "KZ-A-1":  # the district's chart: one bar per precinct
            sizes = page.eval_on_selector_all(".bar-chart .bar-label, .bar-chart .bar-value, .column-chart span",
                                              "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))")
            assert sizes and min(sizes) >= 12, sizes  # chart text keeps a legible size at any width
            assert NAMES["KZ-A-1-2"] in page.inner_text(".bar-chart")  # whole names, not cut
    assert page.locator("figure svg").count() >= 1  # a chart beside the figures
    download_excel(page)
    j.goto("/reports/knowledge")
    j.check("knowledge report")
    j.close()


@pytest.mark.parametrize("size", SIZES)
def test_switching_the_language_to_kazakh(app, world, live_server, chromium, size):
    j = Journey(chromium, live_server, "kazakh", size)
    page = j.page
    j.sign_in("ann")
    page.select_option("#lang-select", "kk")
    page.click("form.lang button")
    page.wait_for_load_state("load")
    assert page.get_attribute("html", "lang") == "kk"
    j.check("dashboard in Kazakh")
    j.goto("/learn/modules/sample-module")
    j.check("module in Kazakh")
    j.close()
