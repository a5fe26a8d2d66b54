"""The result page of a submitted attempt: outcome, attempts left and the next step first, then what to re-read."""
import re

from tests.learn.helpers import answers, attempt_items, start_quiz, submit
from tests.train.test_assignments import signed_in
from tests.train.test_extra_attempt import grant
from tests.train.test_progress import setup_oblasts


def _learner(make, course, name="ann"):
    learner = make.user(name)
    make.assign(course, user=learner)
    return learner


def _wrong_on(app, aid, slugs):
    """Answers right on every question except those whose id is in `slugs`."""
    good, bad = answers(app, aid, right=True), answers(app, aid, right=False)
    form = {}
    for pos, _kind, data, _layout in attempt_items(app, aid):
        source = bad if data["id"] in slugs else good
        form.update({k: v for k, v in source.items() if k == f"q{pos}" or k.startswith(f"q{pos}-")})
    return form


def _before(html: str, marker: str) -> str:
    assert marker in html, marker
    return html[:html.index(marker)]


def test_a_failed_result_starts_with_outcome_attempts_left_and_try_again(app, browser, make, course):
    _learner(make, course)
    browser.login("ann")
    aid = start_quiz(browser)
    submit(browser, aid, _wrong_on(app, aid, {"steps", "count"}))  # two questions of lesson "second" missed
    html = browser.get(f"/learn/attempts/{aid}").get_data(as_text=True)
    top = _before(html, "<details class=\"question")  # everything above the folded review
    assert "50%" in top and "Not passed." in top and "The pass mark is 75%." in top
    assert "2 of 4 questions fully right." in top
    assert "1 attempt left" in top and "(of 2)" in top
    # the primary action is the retry, posted to the module's quiz, before the review
    assert re.search(r'<form method="post" action="/learn/modules/sample-module/quiz"[^>]*>\s*<input[^>]*csrf_token'
                     r'[^>]*>\s*<button type="submit" class="primary">Try again</button>', top)
    assert 'href="/learn/modules/sample-module"' in top
    # the lesson behind the missed questions, with their numbers; not the lesson of the right ones
    read_again = top[top.index("Read again before you try again"):]
    assert 'href="/learn/modules/sample-module/lessons/second"' in read_again
    assert "lessons/first" not in read_again
    numbers = re.search(r"questions (\d+), (\d+)", read_again)
    assert numbers, read_again
    # every question is folded, the missed ones say which lesson to read
    assert html.count('<details class="question') == 4
    assert html.count('class="question result-wrong"') == 2
    assert "Read again:" in html


def test_the_try_again_button_starts_the_next_attempt(app, browser, make, course):
    _learner(make, course)
    browser.login("ann")
    aid = start_quiz(browser)
    submit(browser, aid, answers(app, aid, right=False))
    response = browser.post("/learn/modules/sample-module/quiz", from_page=f"/learn/attempts/{aid}")
    assert response.status_code == 303
    second = int(re.search(r"/attempts/(\d+)", response.headers["Location"]).group(1))
    assert second != aid
    # the first result now points to the open attempt instead of offering another
    html = browser.get(f"/learn/attempts/{aid}").get_data(as_text=True)
    assert f'href="/learn/attempts/{second}"' in html and "Try again" not in html


def test_the_last_failed_attempt_offers_no_retry_but_a_trainers_grant_does(app, browser, make, course):
    tree, ids = setup_oblasts(app, make, course)
    ann = signed_in(app, "ann")
    for _ in range(2):
        aid = start_quiz(ann)
        submit(ann, aid, answers(app, aid, right=False))
    html = ann.get(f"/learn/attempts/{aid}").get_data(as_text=True)
    top = _before(html, "<details class=\"question")
    assert "No attempts left." in top and "Ask your trainer for help." in top
    assert "Try again" not in html
    assert "Read again before you try again" in top  # still told what to read

    browser.login("trainer")
    assert grant(browser, ids["ann"], course).status_code == 303
    html = ann.get(f"/learn/attempts/{aid}").get_data(as_text=True)
    top = _before(html, "<details class=\"question")
    assert "1 attempt left" in top and "(of 3, 1 extra attempt given)" in top and "Try again" in top

    # the trainer sees the same standing, without the learner's buttons
    trainer_view = browser.get(f"/train/learners/{ids['ann']}/attempts/{aid}").get_data(as_text=True)
    assert "1 attempt left" in trainer_view and "Try again" not in trainer_view
    assert "lessons/first" in trainer_view  # all wrong: both lessons to read again


def test_a_passed_result_says_so_and_leads_back_to_the_module(app, browser, make, course):
    _learner(make, course)
    browser.login("ann")
    aid = start_quiz(browser)
    submit(browser, aid, answers(app, aid, right=True))
    html = browser.get(f"/learn/attempts/{aid}").get_data(as_text=True)
    top = _before(html, "<details class=\"question")
    assert "100%" in top and "Passed." in top and "Try again" not in html
    assert "attempt left" not in top and "Read again" not in html
    assert re.search(r'class="button primary" href="/learn/modules/sample-module"', top)
