"""tg served as production serves it, for the tests that promise what an operator sees.

- ``production_env()``: the environment of docs/deployment/tg.env.example, pointed at a
  database of the test cluster and the test Redis;
- ``Server``: ``scripts/serve.sh`` or gunicorn with ``tg/gunicorn.conf.py``, a real process
  on a free loopback port, stopped with SIGTERM;
- ``Site``: HTTP as the TLS proxy forwards it (``Host``, ``X-Forwarded-Proto: https``),
  with cookies, CSRF and the real sign-in form; ``Poller`` keeps asking a site for pages
  from a thread and records every status;
- ``scratch_database()``, ``pg()``, ``query()``: databases beside the test database on
  the same PostgreSQL, and PostgreSQL's own tools (pg_dump, psql, createdb).

The processes see only committed rows: tests that use them are transactional.
"""

from __future__ import annotations

import glob
import http.client
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import psycopg2
import pytest
from django.db import connection

from tests.processes import ROOT, child_env, free_port, manage

DEPLOYMENT = ROOT / "docs" / "deployment"
ENV_TEMPLATE = DEPLOYMENT / "tg.env.example"
UNITS = DEPLOYMENT / "systemd"
SITE_HOST = "tg.example.org"  # ALLOWED_HOSTS of the env template

_ASSIGNMENT = re.compile(r"^(#?)([A-Z][A-Z0-9_]*)=(.*)$")


# --- The environment file ----------------------------------------------------------------


def env_template(*, optional: bool = False) -> dict[str, str]:
    """The ``NAME=value`` lines of tg.env.example; with ``optional``, the ``#NAME=value``
    lines (tg's defaults) as well."""
    values = {}
    for line in ENV_TEMPLATE.read_text().splitlines():
        match = _ASSIGNMENT.match(line)
        if match and (optional or not match.group(1)):
            values[match.group(2)] = match.group(3)
    return values


def production_env(database: str | None = None, *, optional: bool = False, **extra) -> dict:
    """The env template with what a test must supply: a secret key, the test cluster's
    ``database`` (the test database by default), the test Redis, and mail kept in the
    process (locmem) instead of an SMTP server that does not exist here."""
    values = env_template(optional=optional)
    values.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=database_url(database),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    if os.environ.get("REDIS_URL"):
        values["REDIS_URL"] = os.environ["REDIS_URL"]
    return {**values, **extra}


# --- PostgreSQL ----------------------------------------------------------------------------


def _params() -> dict:
    settings = connection.settings_dict
    return {
        "host": settings["HOST"] or "127.0.0.1",
        "port": str(settings["PORT"] or 5432),
        "user": settings["USER"] or "postgres",
    }


def database_url(name: str | None = None) -> str:
    """A URL to ``name`` (the test database by default) on the test cluster."""
    p = _params()
    password = connection.settings_dict["PASSWORD"]
    auth = f"{p['user']}:{password}" if password else p["user"]
    return f"postgres://{auth}@{p['host']}:{p['port']}/{name or connection.settings_dict['NAME']}"


def pg_bin(tool: str) -> str:
    """``/usr/lib/postgresql/<version>/bin/<tool>`` (Debian's layout)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"))
    assert found, f"{tool} not found under /usr/lib/postgresql/*/bin"
    return found[-1]


def pg(tool: str, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    """A PostgreSQL client tool against the test cluster, as an operator runs it."""
    p = _params()
    result = subprocess.run(
        [pg_bin(tool), "-h", p["host"], "-p", p["port"], "-U", p["user"], *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return result


def query(database: str, statement: str, params=()) -> list[tuple]:
    """Rows of one statement in ``database`` (autocommit)."""
    p = _params()
    raw = psycopg2.connect(dbname=database, host=p["host"], port=p["port"], user=p["user"])
    raw.autocommit = True
    try:
        with raw.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.fetchall() if cursor.description else []
    finally:
        raw.close()


@contextmanager
def scratch_database(name: str, *, template: str | None = None):
    """A database ``name`` on the test cluster (a copy of ``template``), dropped after."""
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    admin = connection.settings_dict["NAME"]
    query(admin, drop)
    copy = f' TEMPLATE "{template}"' if template else ""
    query(admin, f'CREATE DATABASE "{name}"{copy}')
    try:
        yield name
    finally:
        query(admin, drop)


def balances_and_ledgers(database: str) -> list[tuple[int, int, int]]:
    """(character id, balance, ledger sum) of every character of ``database``."""
    return query(
        database,
        "SELECT c.id, c.xp, COALESCE(SUM(e.amount), 0)::int FROM characters_character c "
        "LEFT JOIN game_xpledgerentry e ON e.character_id = c.id GROUP BY c.id ORDER BY c.id",
    )


# A database as it was before the constraint migrations (with this release's columns and
# tables, which the code needs, added first), holding one chronicle: sophia its head
# storyteller, pat a player whose Ada (20 XP) has one pending request. With
# TG_VIOLATIONS=1 it also holds rows that break each rule --fix can repair on its own.
PRE_CONSTRAINT_SCRIPT = """
import os
import django
django.setup()
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from characters.models import Human
from game.models import Chronicle, ChronicleMembership, Gameline

for target in [("contenttypes",), ("auth",),
               ("characters", "0004_character_version"), ("game", "0009_spend_request_player_note"),
               ("core",), ("notifications",), ("sessions",), ("admin",), ("axes",)]:
    call_command("migrate", *target, verbosity=0, interactive=False)

User = get_user_model()
head = User.objects.create_user("sophia", password="pw-sophia", email="sophia@example.test")
pat = User.objects.create_user("pat", password="pw-pat", email="pat@example.test")
chronicle = Chronicle.objects.create(name="Chicago by Night", head_st=head)
ChronicleMembership.objects.create(user=pat, chronicle=chronicle)
ada = Human.objects.create(name="Ada", owner=pat, chronicle=chronicle, status="App", xp=20)
ada.spend_xp("brawl")


def sql(statement, *params):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


if os.environ.get("TG_VIOLATIONS") == "1":
    make = lambda name, xp: Human.objects.create(
        name=name, owner=pat, chronicle=chronicle, status="App", xp=xp)
    bea, cy, dee, eve = make("Bea", 6), make("Cy", 6), make("Dee", 0), make("Eve", 10)
    sql("UPDATE characters_human SET strength = 0, brawl = 11, willpower = 0, "
        "temporary_willpower = 5, age = -3 WHERE character_ptr_id = %s", bea.pk)
    sql("UPDATE characters_character SET status = 'Zz' WHERE id = %s", cy.pk)
    sql("UPDATE characters_character SET xp = 9 WHERE id = %s", dee.pk)
    eve.spend_xp("wits")
    sql("UPDATE characters_character SET status = 'Dec' WHERE id = %s", eve.pk)
    line = Gameline.objects.get(short_name="vtm")
    for _ in range(2):
        sql("INSERT INTO game_strelationship (user_id, chronicle_id, gameline_id, created_at) "
            "VALUES (%s, %s, %s, now())", head.pk, chronicle.pk, line.pk)
    sql("INSERT INTO game_scene (chronicle_id, name, finished, xp_given, xp_awarded_at, "
        "created_at) VALUES (%s, 'Flagged', false, true, now(), now())", chronicle.pk)
"""


def build_pre_constraint_database(name: str, *, violations: bool) -> None:
    """Fill the empty database ``name`` as PRE_CONSTRAINT_SCRIPT says (a real process)."""
    env = production_env(name, TG_VIOLATIONS="1" if violations else "0")
    ran = subprocess.run(
        [sys.executable, "-c", PRE_CONSTRAINT_SCRIPT],
        cwd=ROOT,
        env=child_env(env),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert ran.returncode == 0, ran.stderr


def production_user(username: str, password: str | None = None, **fields):
    """A user who can sign in on a server with the production settings: the test
    settings hash passwords with MD5 for speed, which production does not accept, so the
    password is hashed with PBKDF2 here (few iterations; production rehashes at sign-in)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django.utils.crypto import get_random_string

    password = password or f"pw-{username}"
    encoded = PBKDF2PasswordHasher().encode(password, get_random_string(12), iterations=1000)
    fields.setdefault("email", f"{username}@example.test")
    return get_user_model().objects.create(username=username, password=encoded, **fields)


# --- HTTP ------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def header(self, name: str) -> str:
        return self.headers.get(name, "")


@dataclass
class Site:
    """One browser's worth of requests to a server on loopback, as the TLS-terminating
    proxy forwards them: ``Host`` is the site's name and ``X-Forwarded-Proto`` https, so
    production's HTTPS redirect, secure cookies and CSRF origin check all apply."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    timeout: float = 30

    def request(self, method: str, path: str, body: dict | None = None, headers=None):
        sent = {"Host": SITE_HOST, "X-Forwarded-Proto": "https", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body, doseq=True)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Origin"] = f"https://{SITE_HOST}"
            sent["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=data, headers=sent)
            answer = conn.getresponse()
            response = Response(answer.status, answer.headers, answer.read())
        finally:
            conn.close()
        for line in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(line)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        return response

    def get(self, path: str, **headers) -> Response:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, data: dict) -> Response:
        return self.request("POST", path, body=data)

    def sign_in(self, username: str, password: str) -> None:
        """Through the sign-in form, as a person does; fails unless it lets them in."""
        self.get("/accounts/login/")
        answer = self.post("/accounts/login/", {"username": username, "password": password})
        assert answer.status == 302 and "sessionid" in self.cookies, (answer.status, answer.text)


class Poller(threading.Thread):
    """Asks ``site`` for ``paths`` in turn until stopped; records (path, status) — or
    (path, the exception) when no answer came."""

    def __init__(self, site: Site, paths: list[str], pause: float = 0.05):
        super().__init__(daemon=True)
        self.site, self.paths, self.pause = site, paths, pause
        self.answers: list[tuple[str, int | str]] = []
        self._stop_event = threading.Event()

    def run(self):
        while not self._stop_event.is_set():
            for path in self.paths:
                try:
                    self.answers.append((path, self.site.get(path).status))
                except OSError as error:
                    self.answers.append((path, f"{type(error).__name__}: {error}"))
            time.sleep(self.pause)

    def stop(self) -> list[tuple[str, int | str]]:
        self._stop_event.set()
        self.join(60)
        return self.answers


# --- Servers ---------------------------------------------------------------------------


class Server:
    """tg in a real process on a free loopback port: ``scripts/serve.sh`` (``serve=True``)
    or gunicorn with tg's configuration. Its output goes to ``log``."""

    def __init__(self, env: dict, log: Path, *, serve: bool = False, command=None):
        self.port = free_port()
        self.log = log
        # Two workers of two threads: enough to overlap requests, light on two cores.
        env = {
            "TG_BIND": f"127.0.0.1:{self.port}",
            "TG_WEB_WORKERS": "2",
            "TG_WEB_THREADS": "2",
        } | env
        if command is None:
            command = (
                [str(ROOT / "scripts" / "serve.sh")]
                if serve
                else [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "tg" / "gunicorn.conf.py")]
            )
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=child_env(env), stdout=out, stderr=subprocess.STDOUT
            )
        self.wait_until_ready()

    def site(self) -> Site:
        return Site(self.port)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"the server exited with {self.process.returncode}:\n{self.output()}"
                )
            try:
                if self.site().get("/health/").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise AssertionError(f"the server did not answer /health/ in {timeout} s:\n{self.output()}")

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, as systemd stops it; the exit status once it has gone."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


@pytest.fixture(scope="session")
def static_root(tmp_path_factory) -> Path:
    """Static files collected once, as the deploy does, for the gunicorn processes."""
    root = tmp_path_factory.mktemp("staticfiles")
    env = production_env(TG_STATIC_ROOT=str(root))
    ran = manage("collectstatic", "--noinput", "-v", "0", env=env)
    assert ran.returncode == 0, ran.stderr
    return root


@pytest.fixture
def start_server(static_root, tmp_path):
    """``start_server(database=None, **env)``: gunicorn with the production settings on
    ``database`` (the test database by default); every server is stopped after the test."""
    servers = []

    def start(database: str | None = None, *, serve: bool = False, **env) -> Server:
        environment = production_env(database, TG_STATIC_ROOT=str(static_root), **env)
        server = Server(environment, tmp_path / f"server-{len(servers)}.log", serve=serve)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def manage_on(database: str | None, *args: str, **env) -> subprocess.CompletedProcess:
    """``manage.py ARGS`` with the production environment, on ``database``."""
    return manage(*args, env=production_env(database, **env))
