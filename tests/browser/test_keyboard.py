"""A precinct official who uses no mouse: the whole quiz is done with Tab, the arrow keys,
Space, typing and Enter, from the module page to the result."""
from lms.extensions import db
from lms.learn.models import QuizAttempt
from tests.browser.journey import attempt_id_of, only_sqlite
from tests.conftest import PASSWORD

FOCUSED = """() => { const e = document.activeElement;
  return {tag: e.tagName, type: e.type || "", name: e.name || "", value: e.value || "", checked: !!e.checked,
          text: (e.innerText || "").trim()}; }"""


def _key(app, attempt_id):
    """What the right answer is for each input name, as the keyboard must enter it."""
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        key = {}
        for item in attempt.items:
            name, data = f"q{item.position}", item.version.data
            if item.version.kind in ("single", "multiple"):
                key[name] = {o["id"] for o in data["options"] if o.get("correct")}
            elif item.version.kind == "order":
                for n, step in enumerate(data["steps"], start=1):
                    key[f"{name}-{step['id']}"] = str(n)
            else:
                for field in data["fields"]:
                    key[f"{name}-{field['id']}"] = str(field["answer"])
        return key


def _tab_to(page, predicate, limit=200):
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if predicate(focused):
            return focused
    raise AssertionError("never reached by Tab")


def test_a_quiz_is_done_by_keyboard_alone(app, make, course, live_server, chromium, database):
    only_sqlite(database)
    make.assign(course, user=make.user("ann"))
    context = chromium.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(live_server + "/login")
    _tab_to(page, lambda f: f["name"] == "username")
    page.keyboard.type("ann")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/learn/")
    page.goto(live_server + "/learn/modules/sample-module")
    _tab_to(page, lambda f: f["tag"] == "BUTTON" and "quiz" in f["text"].lower())
    page.keyboard.press("Enter")
    page.wait_for_url("**/attempts/*")
    attempt_id = attempt_id_of(page)
    key = _key(app, attempt_id)
    done: set[str] = set()
    while True:
        f = _tab_to(page, lambda f: f["name"] in key and f["name"] + f["value"] not in done
                    or f["tag"] == "BUTTON" and "Continue" in f["text"])
        if f["tag"] == "BUTTON":
            break
        name, right = f["name"], key[f["name"]]
        if f["type"] == "radio":  # the arrow keys move the choice within the group
            for _ in range(10):
                if page.evaluate(FOCUSED)["value"] in right:
                    break
                page.keyboard.press("ArrowDown")
            if not page.evaluate(FOCUSED)["checked"]:  # Tab only focuses the first radio; Space chooses it
                page.keyboard.press("Space")
            done.update(name + v for v in page.eval_on_selector_all(
                f"input[name={name}]", "els => els.map(e => e.value)"))
        elif f["type"] == "checkbox":
            if (f["value"] in right) != f["checked"]:
                page.keyboard.press("Space")
            done.add(name + f["value"])
        elif f["tag"] == "SELECT":
            page.keyboard.type(right)  # typing a number picks that option
            done.add(name + f["value"])
            done.add(name + right)
        else:
            page.keyboard.type(right)
            done.add(name + f["value"])
            done.add(name + right)
    page.keyboard.press("Enter")
    page.wait_for_url("**/review")
    _tab_to(page, lambda f: f["tag"] == "BUTTON" and "Submit" in f["text"])
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/attempts/{attempt_id}")
    with app.app_context():
        items = db.session.get(QuizAttempt, attempt_id).items
        wrong = [(i.version.kind, i.answer, i.credit) for i in items if i.credit < 1]
    assert wrong == [] and "100" in page.inner_text(".score")
    with app.app_context():
        assert db.session.get(QuizAttempt, attempt_id).passed
    context.close()
