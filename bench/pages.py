"""Learner pages against a bare endpoint of the same app, in one run.

Starts gunicorn on SQLite with the demo data, signs in as the demo learner, and measures
requests per second for the dashboard and a lesson page against /healthz (one SELECT).
Rounds alternate so that drift of the machine hits every path alike. Prints the ratios;
the target is at least 0.5 for both.

    .venv/bin/python bench/pages.py [--seconds 3] [--rounds 3]
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._server import flask, gunicorn, login, prepared_env, throughput  # noqa: E402

TARGET = 0.5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--courses", help="course folder to import (default: courses/)")
    args = parser.parse_args()
    env = prepared_env()
    flask(env, "db", "upgrade")
    flask(env, "courses", "import", *([args.courses] if args.courses else []))
    flask(env, "demo", "seed")
    paths = {
        "baseline /healthz": "/healthz",
        "learner dashboard": "/learn/",
        "lesson page": "/learn/modules/mobile-ballot-box/lessons/{first}",
    }
    with gunicorn(env) as port:
        cookie = login(port, "learner", env.get("LMS_DEMO_PASSWORD", "election-demo"))
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("GET", "/learn/modules/mobile-ballot-box", headers={"Cookie": cookie})
        html = conn.getresponse().read().decode()
        import re
        first = re.search(r"/lessons/([a-z0-9-]+)", html).group(1)
        paths["lesson page"] = paths["lesson page"].format(first=first)
        for path in paths.values():  # warm up
            throughput(port, path, cookie, seconds=0.5)
        results: dict[str, list[float]] = {name: [] for name in paths}
        for _ in range(args.rounds):
            for name, path in paths.items():
                results[name].append(throughput(port, path, cookie, seconds=args.seconds))
    base = statistics.median(results["baseline /healthz"])
    print(f"{'path':<22}{'req/s (median)':>16}{'ratio':>8}")
    ok = True
    for name, values in results.items():
        rps = statistics.median(values)
        ratio = rps / base
        print(f"{name:<22}{rps:>16.0f}{ratio:>8.2f}")
        if name != "baseline /healthz" and ratio < TARGET:
            ok = False
    print(f"target: every ratio >= {TARGET}: {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
