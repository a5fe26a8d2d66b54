"""Monitoring reports on a small fixed data set, figures computed by hand; scope and read-only rules."""
import csv
import io
import re
from datetime import date, timedelta

import openpyxl
import pytest
import sqlalchemy as sa

from lms.auth.models import Role, User
from lms.extensions import db
from lms.learn.models import Assignment, QuizAttempt
from tests.conftest import Browser
from tests.learn.helpers import answers, start_quiz, submit


def take(app, username, right, read_all=True):
    b = Browser(app.test_client())
    b.login(username)
    if read_all:
        for lesson in ("first", "second"):
            b.get(f"/learn/modules/sample-module/lessons/{lesson}")
    aid = start_quiz(b)
    submit(b, aid, answers(app, aid, right=right))


@pytest.fixture
def data(app, make, course):
    tree = make.tree()
    users = {
        "monitor": make.user("monitor", Role.MONITOR),
        "trainer": make.user("trainer", Role.TRAINER, tree["KZ-A"]),
        "admin": make.user("admin", Role.ADMIN),
        "a1": make.user("a1", unit=tree["KZ-A-1-1"], full_name="Aida One"),
        "a2": make.user("a2", unit=tree["KZ-A-1-1"], full_name="Asel Two"),
        "a3": make.user("a3", unit=tree["KZ-A-1-2"], full_name="Arman Three"),
        "k1": make.user("k1", unit=tree["KG-A-1-1"], full_name="Kanat One"),
    }
    yesterday = date.today() - timedelta(days=1)
    make.assign(course, unit=tree["KZ-A"], due_date=yesterday)
    make.assign(course, unit=tree["KG-A"], due_date=date.today() + timedelta(days=30))
    take(app, "a1", right=True)
    take(app, "a2", right=False, read_all=False)
    take(app, "k1", right=True)
    return tree, users


def login(app, username):
    b = Browser(app.test_client())
    b.login(username)
    return b


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


EXPECTED_KZ_A = ["3", "3", "2", "1", "33.3", "2", "50.0", "50.0", "0.0"]  # learners .. median days


def test_completion_figures_match_hand_counts(app, data):
    tree, _ = data
    b = login(app, "monitor")
    page = b.get(f"/reports/completion?unit={tree['KZ']}").get_data(as_text=True)
    assert "33.3%" in page and "50%" in page  # numbers in the locale's format
    rows = csv_rows(b.get(f"/reports/completion.csv?unit={tree['KZ']}"))
    assert rows[1][0] == "KZ-A" and rows[1][2:] == EXPECTED_KZ_A
    assert rows[-1][0] == "Total" and rows[-1][2:] == EXPECTED_KZ_A
    book = openpyxl.load_workbook(io.BytesIO(b.get(f"/reports/completion.xlsx?unit={tree['KZ']}").data))
    xrow = list(book.active.iter_rows(values_only=True))[1]
    assert list(xrow[2:]) == [3, 3, 2, 1, 33.3, 2, 50.0, 50.0, 0.0]
    # one level down: the two precincts of the district
    rows = csv_rows(b.get(f"/reports/completion.csv?unit={tree['KZ-A-1']}"))
    by_code = {r[1]: r[2:] for r in rows[1:]}
    assert by_code["KZ-A-1-1"][:6] == ["2", "2", "2", "1", "50.0", "1"]
    assert by_code["KZ-A-1-2"][:6] == ["1", "1", "0", "0", "0.0", "1"]
    # the whole organisation: both countries
    rows = csv_rows(b.get("/reports/completion.csv"))
    total = rows[-1]
    assert total[2:6] == ["4", "4", "3", "2"] and total[6] == "50.0" and total[7] == "2"


def test_json_api_gives_the_same_figures(app, data):
    tree, _ = data
    b = login(app, "monitor")
    page = b.post("/account/tokens", {"name": "dashboard"}).get_data(as_text=True)
    token = re.search(r'<code class="token">([^<]+)</code>', page).group(1)
    assert b.client.get("/api/v1/reports/completion").status_code == 401
    api = app.test_client()
    response = api.get("/api/v1/reports/completion?unit=KZ", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    row = response.json["rows"][0]
    assert row["unit"]["code"] == "KZ-A"
    assert [row[k] for k in ("learners", "assigned", "started", "completed", "completion_rate", "overdue",
                             "average_best_score", "first_attempt_pass_rate", "median_days_to_complete")] == \
        [3, 3, 2, 1, 33.3, 2, 50.0, 50.0, 0.0]
    knowledge = api.get("/api/v1/reports/knowledge?module=sample-module",
                        headers={"Authorization": f"Bearer {token}"}).json
    escort = next(q for q in knowledge["questions"] if q["question"] == "escort")
    assert (escort["answered"], escort["right"], escort["difficulty"], escort["discrimination"]) == (3, 2, 0.667, 1.0)
    assert escort["wrong_options"] == [{"option": "a", "chosen": 1}]
    # a revoked token no longer works
    with app.app_context():
        from lms.auth.models import ApiToken
        token_id = db.session.scalar(sa.select(ApiToken.id))
    b.post(f"/account/tokens/{token_id}/revoke", {}, from_page="/account/tokens")
    assert api.get("/api/v1/reports/completion", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_knowledge_report_item_analysis(app, data):
    tree, _ = data
    b = login(app, "monitor")
    rows = csv_rows(b.get("/reports/knowledge.csv"))
    escort = next(r for r in rows if r[0] == "How many members escort the box?")
    assert escort[3:7] == ["3", "2", "0.667", "1.0"] and escort[7] == "One (1)"
    kz = csv_rows(b.get(f"/reports/knowledge.csv?unit={tree['KZ']}"))
    escort = next(r for r in kz if r[0] == "How many members escort the box?")
    assert escort[3:6] == ["2", "1", "0.5"]
    page = b.get("/reports/knowledge").get_data(as_text=True)
    assert "KZ-A" in page or "Average first-attempt score" in page


def test_trainer_sees_only_their_oblast(app, data):
    tree, _ = data
    b = login(app, "trainer")
    assert b.get(f"/reports/completion?unit={tree['KG']}").status_code == 404
    assert b.get(f"/reports/completion.csv?unit={tree['KG-A']}").status_code == 404
    assert b.get(f"/reports/knowledge.xlsx?unit={tree['KG-A-1-1']}").status_code == 404
    rows = csv_rows(b.get("/reports/completion.csv"))
    assert [r[1] for r in rows[1:-1]] == ["KZ-A"]  # the trainer starts from their own oblast
    page = b.post("/account/tokens", {"name": "mine"}).get_data(as_text=True)
    token = re.search(r'<code class="token">([^<]+)</code>', page).group(1)
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/reports/completion?unit=KG", headers=headers).status_code == 404
    assert api.get("/api/v1/reports/knowledge?module=sample-module&unit=KG-A", headers=headers).status_code == 404
    own = api.get("/api/v1/reports/completion", headers=headers).json
    assert [r["unit"]["code"] for r in own["rows"]] == ["KZ-A"] and own["total"]["learners"] == 3


def test_names_only_at_precinct_level_and_only_when_allowed(app, data):
    tree, _ = data
    precinct = f"/reports/completion?unit={tree['KZ-A-1-1']}"
    assert "Aida One" not in login(app, "monitor").get(precinct).get_data(as_text=True)
    assert "Aida One" in login(app, "trainer").get(precinct).get_data(as_text=True)
    assert "Aida One" not in login(app, "trainer").get(f"/reports/completion?unit={tree['KZ-A-1']}").get_data(
        as_text=True
    )
    with app.app_context():
        db.session.execute(sa.update(User).where(User.username == "monitor").values(can_see_names=True))
        db.session.commit()
    assert "Aida One" in login(app, "monitor").get(precinct).get_data(as_text=True)


def _counts(app):
    with app.app_context():
        return [db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (User, Assignment, QuizAttempt)]


def test_monitor_cannot_change_anything(app, data):
    b = login(app, "monitor")
    before = _counts(app)
    allowed = {"/logout", "/language", "/account", "/account/password", "/account/tokens",
               "/account/tokens/<int:token_id>/revoke",
               "/login"}
    tried = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule in allowed:
            continue
        url = re.sub(r"<(?:int:)?(\w+)>", "1", rule.rule)
        response = b.post(url, {"name": "x", "full_name": "x", "unit": "1"}, from_page="/reports/completion")
        assert response.status_code in (403, 404), (rule.rule, response.status_code)
        tried += 1
    assert tried >= 10
    assert _counts(app) == before


def test_summaries_follow_every_write(app, data, make):
    """Deactivating a learner and withdrawing an assignment change the figures at once."""
    tree, users = data
    b = login(app, "trainer")
    b.post(f"/train/learners/{users['a3']}/deactivate", {}, from_page="/train/learners")
    rows = csv_rows(login(app, "monitor").get(f"/reports/completion.csv?unit={tree['KZ']}"))
    assert rows[1][2:6] == ["2", "2", "2", "1"]
    with app.app_context():
        assignment_id = db.session.scalar(sa.select(Assignment.id).where(Assignment.unit_id == tree["KZ-A"]))
    b.post(f"/train/assignments/{assignment_id}/withdraw", {}, from_page=f"/train/assignments/{assignment_id}")
    rows = csv_rows(login(app, "monitor").get(f"/reports/completion.csv?unit={tree['KZ']}"))
    assert rows[1][2:6] == ["2", "0", "0", "0"]


def test_role_filter_counts_trainers_apart(app, data):
    """The KZ-A trainer is reached by the oblast's assignment: counted as a trainer, not as an official."""
    tree, _ = data
    b = login(app, "monitor")
    officials = csv_rows(b.get(f"/reports/completion.csv?unit={tree['KZ']}"))[-1]
    trainers = csv_rows(b.get(f"/reports/completion.csv?unit={tree['KZ']}&role=trainer"))[-1]
    everyone = csv_rows(b.get(f"/reports/completion.csv?unit={tree['KZ']}&role=all"))[-1]
    assert officials[2:4] == ["3", "3"] and trainers[2:4] == ["1", "1"] and everyone[2:4] == ["4", "4"]
    assert b.get(f"/reports/completion.csv?unit={tree['KZ']}&role=admin").status_code == 400


def test_admin_limits_a_monitor_to_countries(app, data):
    tree, users = data
    admin = login(app, "admin")
    response = admin.post(f"/admin/monitors/{users['monitor']}", {"countries": [str(tree["KG"])]},
                          from_page=f"/admin/monitors/{users['monitor']}")
    assert response.status_code == 303
    monitor = login(app, "monitor")
    rows = csv_rows(monitor.get("/reports/completion.csv"))
    assert [r[1] for r in rows[1:-1]] == ["KG"]
    assert monitor.get(f"/reports/completion?unit={tree['KZ']}").status_code == 404
    assert login(app, "trainer").get("/admin/monitors").status_code == 403
    assert admin.post(f"/admin/monitors/{users['monitor']}", {"countries": [str(tree["KZ-A"])]},
                      from_page="/admin/monitors").status_code == 400  # not a country


def _crumbs(page: str) -> list[str]:
    nav = page[page.index('class="breadcrumbs"'):]
    return [re.sub(r"<[^>]+>", "", li).strip() for li in re.findall(r"<li[^>]*>(.*?)</li>", nav[:nav.index("</nav>")])]


def test_knowledge_report_drills_down_with_breadcrumbs_and_explains_its_terms(app, data):
    tree, _ = data
    b = login(app, "monitor")
    top = b.get("/reports/knowledge").get_data(as_text=True)
    assert _crumbs(top) == ["All countries"]
    assert f'unit={tree["KZ"]}' in top and "Discrimination index" in top and "80% or more" in top
    country = b.get(f"/reports/knowledge?unit={tree['KZ']}").get_data(as_text=True)
    assert f'unit={tree["KZ-A"]}' in country and _crumbs(country) == ["All countries", "KZ"]
    oblast = b.get(f"/reports/knowledge?unit={tree['KZ-A']}").get_data(as_text=True)
    assert _crumbs(oblast) == ["All countries", "KZ", "KZ-A"]
    # the oblast's district: a1 answered all right, a2 all wrong at their first attempts
    table = oblast[oblast.index("First attempts by unit"):]
    cells = r'">KZ-A-1</a></th>\s*<td>(\d+)</td>\s*<td>([\d.,]+)%</td>\s*<td>([\d.,]+)%</td>'
    row = re.search(f'unit={tree["KZ-A-1"]}' + cells, table)
    assert row, table[:800]
    answered, right, average = row.groups()
    assert int(answered) > 0 and right == "50" and average == "50"
    district = b.get(f"/reports/knowledge?unit={tree['KZ-A-1']}").get_data(as_text=True)
    assert _crumbs(district) == ["All countries", "KZ", "KZ-A", "KZ-A-1"]
    assert f'unit={tree["KZ-A-1-1"]}' in district and f'unit={tree["KZ-A-1-2"]}' in district
    precinct = b.get(f"/reports/knowledge?unit={tree['KZ-A-1-1']}")
    assert precinct.status_code == 200
    assert _crumbs(precinct.get_data(as_text=True)) == ["All countries", "KZ", "KZ-A", "KZ-A-1", "KZ-A-1-1"]


def test_a_trainer_drills_down_in_their_oblast_only(app, data):
    tree, _ = data
    b = login(app, "trainer")
    top = b.get("/reports/knowledge").get_data(as_text=True)
    assert _crumbs(top) == ["All your units"] and f'unit={tree["KZ-A"]}' in top and f'unit={tree["KG-A"]}' not in top
    district = b.get(f"/reports/knowledge?unit={tree['KZ-A-1']}").get_data(as_text=True)
    assert _crumbs(district) == ["All your units", "KZ-A", "KZ-A-1"]  # the country above is not theirs
    for unit in ("KG", "KG-A", "KG-A-1", "KG-A-1-1", "KZ"):
        assert b.get(f"/reports/knowledge?unit={tree[unit]}").status_code == 404
    assert b.get("/reports/knowledge?unit=999999").status_code == 404


def test_a_mean_on_a_half_does_not_depend_on_the_order_of_addition():
    """Measured on 200,000 generated learners: three district means fell exactly on a half
    (24,464.4 over 296 scores is 82.65) and the float sums of the incremental path and of a
    rebuild, added in other orders, rounded them to different sides."""
    from lms.reports.services import mean_of_scores

    for total, count, mean in ((24464.4, 296, 82.7), (22563.0, 276, 81.8), (23477.1, 278, 84.5)):
        noisy = [total - 3e-12, total, total + 3e-12, sum([total / 4] * 4)]
        assert {mean_of_scores(t, count) for t in noisy} == {mean}
    assert mean_of_scores(0.0, 0) is None
