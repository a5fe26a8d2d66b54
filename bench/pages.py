"""Learner pages against two baselines measured in the same run.

Compiles the catalogs, starts gunicorn (2 workers x 2 threads) on SQLite with the demo data, and
beside it the same gunicorn serving a bare Flask page that runs one SQLite query (bench/bare.py). Signs in as
the demo learner and measures requests per second for the app's /healthz (one SELECT), the
dashboard and a lesson page, and for the bare page. Rounds alternate so that drift of the
machine hits every path alike; each path's ratio is the median over the rounds of its ratio to the
bare page measured in the same round (targets: /healthz at least 0.6, the dashboard and the lesson
at least 0.4), also printed to /healthz. The load comes from wrk (20 connections) where it is
installed, as the issue measured it, else from Python threads.

    .venv/bin/python bench/pages.py [--seconds 3] [--rounds 3]
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._server import compile_catalogs, flask, gunicorn, login, prepared_env, throughput  # noqa: E402

TARGETS = {"baseline /healthz": 0.6, "learner dashboard": 0.4, "lesson page": 0.4}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--courses", help="course folder to import (default: courses/)")
    args = parser.parse_args()
    compile_catalogs()  # the demo learner reads Russian pages, as deployed
    env = prepared_env()
    flask(env, "db", "upgrade")
    flask(env, "courses", "import", *([args.courses] if args.courses else []))
    flask(env, "demo", "seed")
    paths = {
        "baseline /healthz": "/healthz",
        "learner dashboard": "/learn/",
        "lesson page": "/learn/modules/mobile-ballot-box/lessons/{first}",
    }
    with gunicorn(env, app="bench.bare:app") as bare_port, gunicorn(env) as port:
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
        throughput(bare_port, "/healthz", None, seconds=0.5)
        results: dict[str, list[float]] = {"bare Flask page": [], **{name: [] for name in paths}}
        for n in range(args.rounds):
            order = list(results) if n % 2 == 0 else list(reversed(results))
            for name in order:
                if name == "bare Flask page":
                    results[name].append(throughput(bare_port, "/healthz", None, seconds=args.seconds))
                else:
                    results[name].append(throughput(port, paths[name], cookie, seconds=args.seconds))
    # each round's ratio to the bare page measured next to it, so that the machine's drift between
    # rounds (large on a shared machine) cancels out; then the median over the rounds
    bare_rounds = results["bare Flask page"]
    health_rounds = results["baseline /healthz"]
    print(f"{'path':<22}{'req/s (median)':>16}{'range':>14}{'vs bare':>9}{'target':>8}{'vs /healthz':>13}")
    ok = True
    for name, values in results.items():
        ratio = statistics.median(v / b for v, b in zip(values, bare_rounds))
        to_health = statistics.median(v / h for v, h in zip(values, health_rounds))
        target = TARGETS.get(name)
        ok &= target is None or ratio >= target
        spread = f"{min(values):.0f}-{max(values):.0f}"
        print(f"{name:<22}{statistics.median(values):>16.0f}{spread:>14}{ratio:>9.2f}"
              f"{(f'>={target}' if target else ''):>8}{to_health:>13.2f}")
    print(f"targets: {'met' if ok else 'NOT met'} ({args.rounds} rounds of {args.seconds:g} s; "
          f"ratios are medians of each round's ratio to the bare page measured beside it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
