"""A production-like cluster on 127.0.0.1: a fresh PostgreSQL database, Redis, N gunicorn
instances and nginx in front of them, configured by deploy/nginx.conf as it is in the
repository (only ports and paths are replaced). Used by tests/cluster and bench/load.py.

    with Cluster(instances=2) as c:
        c.url            # through nginx
        c.instance_urls  # each gunicorn directly
"""
from __future__ import annotations

import base64
import http.client
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))
from bench._server import free_port  # noqa: E402

PG_ADMIN = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")


def wait_for(url_host: str, port: int, path: str = "/healthz", seconds: float = 30) -> None:
    """Wait until `path` answers 200."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(url_host, port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"http://{url_host}:{port}{path} did not answer 200 within {seconds} s")


class Cluster:
    """Start the whole set-up on entry and stop it on exit (the database is dropped)."""

    def __init__(self, instances: int = 2, workers: int = 2, threads: int = 2, database: str = "postgresql",
                 redis_db: int = 7, env: dict[str, str] | None = None, seed: bool = True, own_redis: bool = False,
                 own_postgres: bool = False):
        self.instances, self.workers, self.threads = instances, workers, threads
        self.database, self.redis_db, self.extra_env, self.seed = database, redis_db, env or {}, seed
        self.tmp = Path(tempfile.mkdtemp(prefix="lms-cluster-"))
        self.procs: list[subprocess.Popen] = []
        self.ports: list[int] = []
        self.nginx: subprocess.Popen | None = None
        self.db_name = f"lms_cluster_{os.getpid()}_{secrets.token_hex(3)}"
        self.own_redis = own_redis  # a private redis-server that a fault test may stop
        self.redis_proc: subprocess.Popen | None = None
        self.redis_port = 6379
        self.own_postgres = own_postgres  # a private PostgreSQL server that a fault test may restart
        self.pg_admin = PG_ADMIN
        self.pg_data = self.tmp / "pg"
        self.pg_port = 0

    # --- set-up
    def _admin_sql(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.pg_admin, autocommit=True) as conn:
            conn.execute(sql)

    def __enter__(self) -> Cluster:
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self) -> None:
        if self.database == "postgresql":
            if self.own_postgres:
                self._init_postgres()
            self._admin_sql(f"CREATE DATABASE {self.db_name}")
            database_url = self.pg_admin.rsplit("/", 1)[0] + "/" + self.db_name
        else:
            database_url = f"sqlite:///{self.tmp}/lms.sqlite3"
        import redis

        if self.own_redis:
            self.redis_port = free_port()
            self.start_redis()
            redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        else:
            redis_url = f"{REDIS}/{self.redis_db}"
        redis.Redis.from_url(redis_url).flushdb()
        self.env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": secrets.token_hex(32),
                    # one signing key for every instance, as in production (base64url of a 32-byte seed)
                    "LMS_SIGNING_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode(),
                    "REDIS_URL": redis_url, "LMS_PROXY_HOPS": "1", "LMS_INSTANCE_PATH": str(self.tmp),
                    "LMS_PASSWORD_MEMORY_KIB": "8192", "GUNICORN_ACCESSLOG": str(self.tmp / "access.log"),
                    **self.extra_env}
        self.env.pop("FLASK_DEBUG", None)
        if self.seed:
            for args in (["db", "upgrade"], ["courses", "import"], ["demo", "seed"]):
                self.flask(*args)
        for _ in range(self.instances):
            self.start_instance()
        self._start_nginx()

    # --- a private PostgreSQL server (own_postgres=True), run as the `postgres` account when root
    def _pg(self, *args: str) -> None:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*as_postgres, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _init_postgres(self) -> None:
        bindir = Path(sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1])
        self.pg_ctl = str(bindir / "pg_ctl")
        self.pg_data.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.tmp, "postgres")
            shutil.chown(self.pg_data, "postgres")
        self._pg(str(bindir / "initdb"), "-D", str(self.pg_data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.pg_port = free_port()
        self.pg_admin = f"postgresql://postgres@127.0.0.1:{self.pg_port}/postgres"
        self.start_postgres()

    def start_postgres(self) -> None:
        """Start the private PostgreSQL server and wait until it accepts connections."""
        self._pg(self.pg_ctl, "-D", str(self.pg_data), "-w", "-l", str(self.pg_data / "log"), "-o",
                 f"-p {self.pg_port} -k {self.pg_data} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop_postgres(self) -> None:
        """Stop the private PostgreSQL server at once (fast shutdown: sessions are cut)."""
        self._pg(self.pg_ctl, "-D", str(self.pg_data), "-w", "-m", "fast", "stop")

    def start_redis(self) -> None:
        """Start the cluster's own redis-server (own_redis=True) and wait for it."""
        import redis

        self.redis_proc = subprocess.Popen(
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(50):
            try:
                redis.Redis(port=self.redis_port, socket_connect_timeout=0.2).ping()
                return
            except redis.exceptions.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop_redis(self) -> None:
        """Kill the cluster's own redis-server."""
        assert self.redis_proc is not None
        self.redis_proc.kill()
        self.redis_proc.wait()

    def flask(self, *args: str) -> str:
        """Run `flask --app wsgi ARGS` against the cluster's database."""
        out = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=self.env,
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)}: {out.stderr[-2000:]}")
        return out.stdout

    def start_instance(self, port: int | None = None) -> int:
        """Start one gunicorn instance (on `port`, or a free one) and wait until it answers."""
        port = port or free_port()
        log = open(self.tmp / f"gunicorn-{port}.log", "ab")  # noqa: SIM115  (the process writes it until stopped)
        proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
             "--workers", str(self.workers), "--threads", str(self.threads), "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True)
        self.procs.append(proc)
        if port not in self.ports:
            self.ports.append(port)
        wait_for("127.0.0.1", port)
        return port

    def _start_nginx(self) -> None:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.path.exists(nginx):
            raise RuntimeError("nginx is not installed (apt-get install nginx-light)")
        site = (ROOT / "deploy/nginx.conf").read_text()
        servers = "\n".join(f"    server 127.0.0.1:{p} max_fails=3 fail_timeout=5s;" for p in self.ports)
        site = site.replace("    server 127.0.0.1:8001 max_fails=3 fail_timeout=5s;\n"
                            "    server 127.0.0.1:8002 max_fails=3 fail_timeout=5s;", servers)
        self.port = free_port()
        site = site.replace("listen 80;", f"listen 127.0.0.1:{self.port};")
        site = site.replace("/srv/lms/lms/static/", f"{ROOT}/lms/static/")
        site = site.replace("/var/log/nginx/lms.access.log", str(self.tmp / "nginx-access.log"))
        mime = "/etc/nginx/mime.types"
        conf = self.tmp / "nginx.conf"
        conf.write_text(f"""
worker_processes 1;
pid {self.tmp}/nginx.pid;
error_log {self.tmp}/nginx-error.log warn;
{"user root;" if os.geteuid() == 0 else ""}
events {{ worker_connections 1024; }}
http {{
    {"include " + mime + ";" if os.path.exists(mime) else ""}
    default_type application/octet-stream;
    client_body_temp_path {self.tmp}/body;
    proxy_temp_path {self.tmp}/proxy;
    fastcgi_temp_path {self.tmp}/fastcgi;
    uwsgi_temp_path {self.tmp}/uwsgi;
    scgi_temp_path {self.tmp}/scgi;
    include {self.tmp}/site.conf;
}}
""")
        (self.tmp / "site.conf").write_text(site)
        self.nginx = subprocess.Popen([nginx, "-p", str(self.tmp), "-c", str(conf), "-g", "daemon off;"],
                                      stdout=subprocess.DEVNULL, stderr=open(self.tmp / "nginx.out", "ab"))  # noqa: SIM115
        wait_for("127.0.0.1", self.port)

    # --- use
    @property
    def url(self) -> str:
        """The cluster's address, through nginx."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def instance_urls(self) -> list[str]:
        """Each instance directly, without nginx."""
        return [f"http://127.0.0.1:{p}" for p in self.ports]

    def sql(self, statement: str, **params) -> list[tuple]:
        """Run one SQL statement on the cluster's database and return its rows."""
        import sqlalchemy as sa

        url = self.env["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://")
        engine = sa.create_engine(url)
        try:
            with engine.begin() as conn:
                result = conn.execute(sa.text(statement), params)
                return [tuple(r) for r in result] if result.returns_rows else []
        finally:
            engine.dispose()

    def kill_worker(self, instance: int = 0) -> int:
        """SIGKILL one worker process of an instance; gunicorn starts a new one. Returns its pid."""
        master = self.procs[instance].pid
        children = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
        pid = int(children[0])
        os.kill(pid, signal.SIGKILL)
        return pid

    def __exit__(self, *exc) -> None:
        for proc in [self.nginx, *self.procs]:
            if proc is None or proc.poll() is not None:
                continue
            try:
                os.killpg(proc.pid, signal.SIGTERM) if proc is not self.nginx else proc.terminate()
            except ProcessLookupError:
                pass
        if self.redis_proc is not None and self.redis_proc.poll() is None:
            self.redis_proc.kill()
        for proc in [self.nginx, *self.procs, self.redis_proc]:
            if proc is not None:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        if self.database == "postgresql" and self.own_postgres:
            try:
                self.stop_postgres()
            except Exception:  # noqa: BLE001  already stopped, or never started
                pass
        elif self.database == "postgresql":
            try:
                self._admin_sql(f"DROP DATABASE IF EXISTS {self.db_name} WITH (FORCE)")
            except Exception:  # noqa: BLE001  the server may be the thing a fault test stopped
                pass
        if os.environ.get("LMS_CLUSTER_KEEP") != "1":  # keep logs and data to look at
            shutil.rmtree(self.tmp, ignore_errors=True)
