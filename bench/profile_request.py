"""Where a request's time goes: pyinstrument over N requests to /healthz, the dashboard and a lesson.

Compiles the catalogs, builds the app in this process on a fresh SQLite file with the courses and
the demo data, signs in as the demo learner through the real form and warms every page up. Then, for each path, it
times N requests through the WSGI app (the test client, no network; the fastest of ten batches,
in wall and in this thread's CPU time, which others' load on the machine disturbs less),
profiles N more, and prints the mean time per request and pyinstrument's call tree, cut at the
frames below --min-share of the time. It finds where to cut; bench/pages.py measures the effect.

    .venv/bin/python bench/profile_request.py [-n 300] [--min-share 2] [--path /learn/] [--html DIR]
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=300, help="requests per path (default 300)")
    parser.add_argument("--min-share", type=float, default=2.0, help="hide frames under this %% of the time")
    parser.add_argument("--path", action="append", help="profile only this path (repeatable)")
    parser.add_argument("--html", help="also write each path's profile as HTML into this folder")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="lms-profile-")
    os.environ.update({"SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{tmp}/profile.sqlite3",
                       "LMS_RATELIMIT": "0", "LMS_INSTANCE_PATH": tmp})
    from pyinstrument import Profiler

    from bench._server import compile_catalogs, demo_app, signed_in_client

    compile_catalogs()
    app, _runner = demo_app()
    client = signed_in_client(app, "learner", app.config["LMS_DEMO_PASSWORD"])
    html = client.get("/learn/modules/mobile-ballot-box").get_data(as_text=True)
    first = re.search(r"/lessons/([a-z0-9-]+)", html).group(1)
    paths = args.path or ["/healthz", "/learn/", f"/learn/modules/mobile-ballot-box/lessons/{first}"]
    for path in paths:  # warm up: templates compiled, statements cached, files read
        for _ in range(20):
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")
    for path in paths:
        batches, cpu = [], []  # the fastest of ten timed batches: others share the machine
        size = max(args.n // 10, 1)
        for _ in range(10):
            start, start_cpu = time.perf_counter(), time.thread_time()
            for _ in range(size):
                client.get(path).close()
            batches.append((time.perf_counter() - start) / size)
            cpu.append((time.thread_time() - start_cpu) / size)
        profiler = Profiler(interval=0.0002)
        start = time.perf_counter()
        with profiler:
            for _ in range(args.n):
                client.get(path).close()
        elapsed = time.perf_counter() - start
        print(f"\n=== {path}: {min(batches) * 1000:.3f} ms per request, {min(cpu) * 1000:.3f} ms CPU "
              f"({elapsed / args.n * 1000:.2f} profiled), {args.n} requests")
        print(profiler.output_text(unicode=True, color=False, show_all=False,
                                   processor_options={"filter_threshold": args.min_share / 100}))
        if args.html:
            os.makedirs(args.html, exist_ok=True)
            name = re.sub(r"[^a-z0-9]+", "-", path.strip("/").lower()) or "root"
            Path(args.html, f"{name}.html").write_text(profiler.output_html())
    return 0


if __name__ == "__main__":
    sys.exit(main())
