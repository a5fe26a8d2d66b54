"""Page weight of every main page of every role, measured in Chromium.

Starts gunicorn on SQLite with the demo (`demo seed`), signs in as each demo account in
Debian's Chromium and opens its main pages at 360x740. For each page it counts every request
the browser made, the bytes received (bodies as served by gunicorn, uncompressed) and what
gzip would make of them (as nginx sends them, deploy/nginx.conf), and any request to another
host. Prints every page, then the largest against the target: at most 60 KB per page, with
nothing from another host.

    .venv/bin/python bench/pageweight.py
"""
from __future__ import annotations

import gzip
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._server import flask, gunicorn, prepared_env  # noqa: E402

TARGET = 60 * 1024
CHROMIUM = "/usr/bin/chromium"
PAGES = {
    "learner": ["/learn/", "/learn/modules/mobile-ballot-box", "{lesson}", "/account/password"],
    "trainer": ["/train/", "/train/learners", "/train/learners/import", "/train/progress", "/train/assignments",
                "/train/assignments/new", "/train/sessions", "/train/overdue"],
    "monitor": ["/reports/completion", "/reports/knowledge", "{drill}"],
    "admin": ["/admin/", "/admin/units", "/admin/staff", "/admin/audit"],
}


def measure(page, base: str, path: str) -> dict:
    """Open `path` in a fresh cache and sum what came back."""
    seen: list = []

    def note(request) -> None:
        seen.append(request)

    page.on("requestfinished", note)
    document = page.goto(base + path, wait_until="load")
    page.remove_listener("requestfinished", note)
    raw = packed = 0
    foreign = []
    for request in seen:
        if not request.url.startswith(base):
            foreign.append(request.url)
            continue
        response = request.response()
        body = response.body() if response else b""
        raw += len(body)
        packed += len(gzip.compress(body, 6)) if len(body) > 256 else len(body)
    return {"path": path, "status": document.status if document else 0,
            "requests": len(seen), "bytes": raw, "gzip": packed, "foreign": foreign}


def main() -> int:
    from playwright.sync_api import sync_playwright

    env = prepared_env()
    env["LMS_DEMO_LEARNERS"] = env.get("LMS_DEMO_LEARNERS", "300")
    flask(env, "db", "upgrade")
    flask(env, "courses", "import")
    flask(env, "demo", "seed")
    password = env.get("LMS_DEMO_PASSWORD", "election-demo")
    rows = []
    with gunicorn(env) as port, sync_playwright() as p:
        base = f"http://127.0.0.1:{port}"
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        for role, paths in PAGES.items():
            context = browser.new_context(viewport={"width": 360, "height": 740})
            page = context.new_page()
            context.new_cdp_session(page).send("Network.setCacheDisabled", {"cacheDisabled": True})  # a first visit
            page.goto(base + "/login")
            page.fill("#username", role)
            page.fill("#password", password)
            page.click("main button[type=submit]")
            page.wait_for_load_state("load")
            for path in paths:
                if path == "{lesson}":
                    page.goto(base + "/learn/modules/mobile-ballot-box")
                    lessons = r'href="(/learn/modules/mobile-ballot-box/lessons/[^"]+)"'
                    path = re.search(lessons, page.content()).group(1)
                elif path == "{drill}":
                    page.goto(base + "/reports/completion")
                    path = re.search(r'href="(/reports/completion\?[^"]*unit=\d+[^"]*)"', page.content()).group(1)
                    path = path.replace("&amp;", "&")
                rows.append({"role": role, **measure(page, base, path)})
            context.close()
        browser.close()
    print(f"{'role':<8} {'page':<52} {'http':>4} {'req':>4} {'bytes':>8} {'gzip':>7}  foreign")
    for r in rows:
        print(f"{r['role']:<8} {r['path'][:52]:<52} {r['status']:>4} {r['requests']:>4} {r['bytes']:>8,} "
              f"{r['gzip']:>7,}  {len(r['foreign']) or '-'}")
    largest = max(rows, key=lambda r: r["bytes"])
    foreign = sum(len(r["foreign"]) for r in rows)
    print(f"largest: {largest['role']} {largest['path']}: {largest['bytes'] / 1024:.1f} KB in {largest['requests']} "
          f"requests ({largest['gzip'] / 1024:.1f} KB gzipped); "
          f"ratio to the 60 KB target {largest['bytes'] / TARGET:.2f}")
    print(f"requests to other hosts: {foreign}")
    return 0 if largest["bytes"] <= TARGET and foreign == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
