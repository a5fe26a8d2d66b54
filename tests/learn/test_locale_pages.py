"""Pages in the reader's locale: numbers written as the locale writes them, and which language a module is shown in."""
from flask import render_template_string

from lms.reports import charts
from tests.learn.helpers import answers, start_quiz, submit

NBSP = "\xa0"


def test_a_russian_result_page_writes_numbers_the_russian_way(app, browser, make, course):
    learner = make.user("ivan", locale="ru")
    make.assign(course, user=learner)
    browser.login("ivan")
    aid = start_quiz(browser)
    submit(browser, aid, answers(app, aid, right=True, partial_multiple=True))  # 3.5 of 4 points
    html = browser.get(f"/learn/attempts/{aid}").get_data(as_text=True)
    assert f"87,5{NBSP}%" in html and "87.5" not in html
    assert f"Проходной балл: 75{NBSP}%." in html
    assert f"Частично верно: 50{NBSP}% балла" in html
    module = browser.get("/learn/modules/sample-module").get_data(as_text=True)
    assert f"Проходной балл: 75{NBSP}%." in module and f"<td>87,5{NBSP}%</td>" in module
    dashboard = browser.get("/learn/").get_data(as_text=True)
    assert f"{NBSP}%</progress>" in dashboard


def test_counts_percentages_and_chart_labels_follow_the_locale(app):
    page = ('{{ ngettext("%(num)d account", "%(num)d accounts", 20000) }} | {{ 66.666|percent }} | {{ 20000|num }}'
            ' | {{ _("Pass mark: %(mark)s.", mark=70|percent) }}')
    with app.test_request_context(headers={"Accept-Language": "ru"}):  # one request, one locale
        ru = render_template_string(page)
        chart = str(charts.bar_chart([("Алматы", 66.7)], "Доля"))
        trend = str(charts.column_chart([("01.03", 20000)], "Неделя"))
    with app.test_request_context(headers={"Accept-Language": "en"}):
        en = render_template_string(page)
    assert ru.startswith(f"20{NBSP}000 ") and f"| 66,7{NBSP}% |" in ru and f"| 20{NBSP}000 |" in ru
    assert f"Проходной балл: 70{NBSP}%." in ru
    assert en == "20,000 accounts | 66.7% | 20,000 | Pass mark: 70%."
    assert f">66,7{NBSP}%</span>" in chart and f"20{NBSP}000" in trend


def test_a_module_without_the_readers_language_says_which_one_it_is_shown_in(app, browser, make, course):
    for name, locale in (("aigul", "kk"), ("bakyt", "ky"), ("emma", "en")):
        make.assign(course, user=make.user(name, locale=locale))
    # Kazakh: the first lesson has a Kazakh text, the second not
    browser.login("aigul")
    partly = ("Бұл модульдің кейбір сабақтары мына тілде көрсетіледі: орыс тілі. "
              "Олардың мына тілдегі нұсқасы әлі жоқ: қазақ тілі.")
    assert partly in browser.get("/learn/").get_data(as_text=True)
    assert partly in browser.get("/learn/modules/sample-module").get_data(as_text=True)
    browser.post("/logout", from_page="/learn/")
    # Kyrgyz: no lesson has a Kyrgyz text
    browser.login("bakyt")
    whole = "Бул модуль орусча көрсөтүлөт: анын кыргызча версиясы азырынча жок."
    assert whole in browser.get("/learn/").get_data(as_text=True)
    assert whole in browser.get("/learn/modules/sample-module").get_data(as_text=True)
    browser.post("/logout", from_page="/learn/")
    # English: every lesson has it, nothing to say
    browser.login("emma")
    for path in ("/learn/", "/learn/modules/sample-module"):
        assert "language-notice" not in browser.get(path).get_data(as_text=True)
