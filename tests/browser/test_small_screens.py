"""Staff pages on a 320-pixel screen: wide tables scroll inside their box, the page never scrolls sideways."""
from lms.auth.models import Role
from tests.browser.journey import sign_in

LONG = "Territorial election commission of the Almaty region, district number seventeen"


def test_staff_pages_fit_a_small_screen(app, make, course, live_server, chromium):
    tree = make.tree()
    district = make.unit("KZ-A-LONG", tree["KZ-A"], {"en": LONG, "ru": LONG})
    make.unit("KZ-A-LONG-P1", district, {"en": LONG + ", precinct 1", "ru": LONG})
    make.user("root", Role.ADMIN)
    make.user("tina", Role.TRAINER, tree["KZ-A"], full_name="Tatyana Konstantinovna Vasilyeva-Abdrakhmanova")
    make.user("ann", unit=tree["KZ-A-1-1"], full_name="Gulnara Ismailovna Abdrakhmanova-Nurpeisova")
    make.assign(course, unit=district)
    context = chromium.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    sign_in(page, live_server, "root")
    for path in ("/admin/units", f"/admin/units?unit={tree['KZ-A']}", f"/admin/units?unit={district}",
                 "/admin/staff", "/admin/staff/new", "/admin/audit", "/train/learners", "/train/progress",
                 "/train/assignments", "/train/sessions", "/train/elections", "/train/overdue",
                 f"/admin/units/{district}/move", f"/admin/units/{district}/close"):
        page.goto(live_server + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
    context.close()
