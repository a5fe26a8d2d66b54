"""Shared bench helpers: a prepared database, a gunicorn server, a signed-in client and a load loop."""
from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def flask(env: dict[str, str], *args: str) -> str:
    out = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True)
    return out.stdout


def compile_catalogs() -> None:
    """Compile the translations as `make translations` does: without the .mo files (a fresh checkout)
    every page comes out in English, which is not what a deployment serves and costs less to render."""
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "compile", "-d", "translations"],
                   cwd=ROOT, check=True)


def prepared_env(database_url: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    tmp = tempfile.mkdtemp(prefix="lms-bench-")
    env.update({"SECRET_KEY": "bench", "DATABASE_URL": database_url or f"sqlite:///{tmp}/bench.sqlite3",
                "LMS_RATELIMIT": "0", "GUNICORN_ACCESSLOG": ""})
    return env


@contextmanager
def gunicorn(env: dict[str, str], workers: int = 2, threads: int = 2, app: str = "wsgi:app"):
    """Serve `app` with gunicorn on a free port (the project's settings, no access log); yields the port."""
    port = free_port()
    proc = subprocess.Popen([str(BIN / "gunicorn"), "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
                             "--workers", str(workers), "--threads", str(threads), "--access-logfile", "/dev/null",
                             app],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not start")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def login(port: int, username: str, password: str) -> str:
    """Sign in through the real form; return the Cookie header."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("GET", "/login")
    response = conn.getresponse()
    html = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": token})
    conn.request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    response = conn.getresponse()
    response.read()
    if response.status != 302:
        raise RuntimeError(f"login failed: {response.status}")
    return response.getheader("Set-Cookie").split(";")[0]


def wrk_throughput(port: int, path: str, cookie: str | None, seconds: float = 3.0, connections: int = 20) -> float:
    """Requests per second for `path` measured by wrk (2 threads, `connections` keep-alive connections),
    as the issue on fixed costs measured them; it fails on any answer other than 2xx or 3xx."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True,
                         check=True).stdout
    if "Non-2xx or 3xx responses" in out or "Socket errors" in out:
        raise RuntimeError(f"{path}: wrk saw errors\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def throughput(port: int, path: str, cookie: str | None, seconds: float = 3.0, threads: int = 4) -> float:
    """Requests per second for `path` over keep-alive connections from `threads` threads (wrk where
    it is installed: a Python client would take much of the CPU that it measures)."""
    if shutil.which("wrk"):
        return wrk_throughput(port, path, cookie, seconds)
    counts = [0] * threads
    stop = time.perf_counter() + seconds
    headers = {"Cookie": cookie} if cookie else {}

    def worker(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        while time.perf_counter() < stop:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{path} answered {response.status}")
            counts[n] += 1

    start = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(counts) / (time.perf_counter() - start)


def signed_in_client(app, username: str, password: str):
    """A Flask test client signed in through the real form."""
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    if response.status_code != 302:
        raise RuntimeError(f"login failed for {username}: {response.status_code}")
    return client


def demo_app(config: dict | None = None):
    """The app on an empty database, migrated, with the courses and the demo organisation; and a CLI runner."""
    from flask_migrate import upgrade

    from lms import create_app

    app = create_app(config)
    runner = app.test_cli_runner()
    with app.app_context():
        upgrade()
    for command in (["courses", "import"], ["demo", "seed"]):
        result = runner.invoke(args=command)
        if result.exit_code != 0:
            raise RuntimeError(result.output)
    return app, runner
