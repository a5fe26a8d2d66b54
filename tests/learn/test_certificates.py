"""Certificates of completion: only for a completed module, checkable by anyone with the code."""
import re

from lms.auth.models import Role
from tests.learn.helpers import answers, start_quiz, submit
from tests.train.test_assignments import signed_in


def complete(app, browser):
    for lesson in ("first", "second"):
        browser.get(f"/learn/modules/sample-module/lessons/{lesson}")
    aid = start_quiz(browser)
    submit(browser, aid, answers(app, aid))


def test_certificate_after_completion_and_public_check(app, browser, make, course):
    tree = make.tree()
    learner = make.user("ann", unit=tree["KZ-A-1-1"], full_name="Ann <Akhmetova>")
    make.assign(course, user=learner)
    browser.login("ann")
    assert browser.get("/learn/modules/sample-module/certificate").status_code == 404  # not complete yet
    assert "Your certificate" not in browser.get("/learn/").get_data(as_text=True)
    complete(app, browser)
    dash = browser.get("/learn/").get_data(as_text=True)
    assert 'href="/learn/modules/sample-module/certificate"' in dash
    page = browser.get("/learn/modules/sample-module/certificate").get_data(as_text=True)
    assert "<strong>Ann &lt;Akhmetova&gt;</strong>" in page  # the name is shown, and escaped
    assert "with a score of 100%" in page and "KZ-A-1-1" in page
    url = re.search(r"at (http://[^ ]+/learn/certificates/(\d+-[\w-]+)) \(code", page)
    code = url.group(2)

    public = app.test_client()  # nobody signed in
    check = public.get(f"/learn/certificates/{code}")
    assert check.status_code == 200
    text = check.get_data(as_text=True)
    assert "This certificate is genuine." in text and "Ann &lt;Akhmetova&gt;" in text and "100%" in text
    head, signature = code.split("-", 1)
    forged = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    for bad in (f"{head}-{forged}", f"{int(head) + 1}-{signature}", "x-y", "99999999999-abc", code + "x"):
        assert public.get(f"/learn/certificates/{bad}").status_code == 404, bad


def test_certificate_is_only_for_the_officials_own_completed_modules(app, browser, make, course):
    tree = make.tree()
    ann = make.user("ann", unit=tree["KZ-A-1-1"])
    make.user("bob", unit=tree["KZ-A-1-1"])
    make.assign(course, user=ann)
    browser.login("ann")
    complete(app, browser)
    bob = signed_in(app, "bob")  # not assigned: the module is not found for him
    assert bob.get("/learn/modules/sample-module/certificate").status_code == 404
    trainer = make.user("tina", Role.TRAINER, tree["KZ-A"])
    assert trainer and signed_in(app, "tina").get("/learn/modules/sample-module/certificate").status_code == 404
