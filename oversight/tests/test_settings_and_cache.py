"""Settings per environment, and the Redis cache: configured as documented, and harmless
when Redis goes away (cache misses, pages still served, sessions kept)."""

import copy
import logging
import os
import secrets
import subprocess
import sys
import time
import zlib

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache, caches
from django.test import Client, override_settings

from core.log_filters import CacheOutageFilter
from tests.processes import free_port

BASE_DIR = settings.BASE_DIR


def run_python(*args: str, env: dict) -> subprocess.CompletedProcess:
    """Run Python on ``args`` with a clean tg environment plus ``env``; capture its output."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"}
        and not k.startswith("DJANGO_")
    }
    return subprocess.run(
        [sys.executable, *args],
        env={**clean, **env},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- Settings --------------------------------------------------------------------------


@pytest.mark.process
def test_production_refuses_to_start_without_a_secret_key():
    result = run_python(
        "-c",
        "import django; django.setup()",
        env={"DJANGO_SETTINGS_MODULE": "tg.settings.production"},
    )

    assert result.returncode != 0
    assert "The environment variable SECRET_KEY must be set." in result.stderr


@pytest.mark.process
def test_production_passes_the_deploy_check_with_the_documented_variables():
    env = {
        "DJANGO_SETTINGS_MODULE": "tg.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "tg.example.org",
        "DATABASE_URL": "postgres://tg:secret@127.0.0.1:5432/tg",
        "REDIS_URL": "redis://127.0.0.1:6379/1",
    }
    result = run_python("manage.py", "check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "System check identified no issues (0 silenced).\n"
    assert "WARNING" not in result.stderr


@pytest.mark.process
def test_production_has_debug_off_and_uses_the_environment():
    env = {
        "DJANGO_SETTINGS_MODULE": "tg.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "tg.example.org,www.tg.example.org",
        "DATABASE_URL": "postgres://tg:secret@db.internal:5432/tgprod",
        "REDIS_URL": "redis://127.0.0.1:6379/1",
    }
    result = run_python(
        "-c",
        "from django.conf import settings as s; db = s.DATABASES['default']; "
        "print(s.DEBUG, s.ALLOWED_HOSTS, db['ENGINE'], db['HOST'], db['NAME'], "
        "s.CACHES['default']['BACKEND'], s.SESSION_ENGINE)",
        env=env,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "['tg.example.org',",
        "'www.tg.example.org']",
        "django.db.backends.postgresql",
        "db.internal",
        "tgprod",
        "django_redis.cache.RedisCache",
        "django.contrib.sessions.backends.db",
    ]


@pytest.mark.process
def test_without_urls_development_needs_nothing_installed():
    result = run_python(
        "-c",
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'])",
        env={"DJANGO_SETTINGS_MODULE": "tg.settings.development"},
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "django.db.backends.sqlite3",
        "django.core.cache.backends.locmem.LocMemCache",
    ]


# --- Redis -----------------------------------------------------------------------------


@pytest.mark.redis
def test_the_cache_is_django_redis_with_the_documented_options():
    from django_redis import get_redis_connection
    from django_redis.compressors.zlib import ZlibCompressor

    config = settings.CACHES["default"]
    pool = get_redis_connection("default").connection_pool

    assert config["BACKEND"] == "django_redis.cache.RedisCache"
    assert cache._ignore_exceptions is True
    assert isinstance(cache.client._compressor, ZlibCompressor)
    assert pool.max_connections == 50
    assert pool.connection_kwargs["retry_on_timeout"] is True


@pytest.mark.redis
def test_values_round_trip_through_redis_compressed():
    from django_redis import get_redis_connection

    value = {"chronicle": "Chicago by Night", "notes": "Elysium at midnight. " * 100}
    key = f"tg-test:{secrets.token_hex(4)}"

    cache.set(key, value, 30)

    assert cache.get(key) == value
    raw = get_redis_connection("default").get(cache.make_key(key))
    assert len(raw) < len(value["notes"]) / 10
    assert b"Elysium" in zlib.decompress(raw)
    cache.delete(key)
    assert cache.get(key) is None


@pytest.fixture
def own_redis(tmp_path):
    """A Redis server of this test's own on loopback, so it can be stopped mid-test."""
    import redis

    port = free_port()
    process = subprocess.Popen(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(host="127.0.0.1", port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    else:
        process.kill()
        pytest.fail("redis-server did not start")
    yield process, f"redis://127.0.0.1:{port}/0"
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)


@pytest.mark.process  # its own redis-server
@pytest.mark.redis
@pytest.mark.django_db
def test_a_redis_outage_degrades_without_errors_or_lost_sessions(
    own_redis, django_user_model, caplog
):
    process, location = own_redis
    [outage_filter] = [
        f for f in logging.getLogger("tg.cache").filters if isinstance(f, CacheOutageFilter)
    ]
    outage_filter.reset()
    config = copy.deepcopy(settings.CACHES)
    config["default"]["LOCATION"] = location
    django_user_model.objects.create_superuser("helena", "helena@example.test", "pw-helena")

    with override_settings(CACHES=config):
        assert caches["default"].client._server == [location]
        browser = Client()
        assert browser.login(username="helena", password="pw-helena")
        session_key = browser.session.session_key
        assert Session.objects.filter(session_key=session_key).exists()

        process.terminate()
        process.wait(timeout=10)
        caplog.clear()

        assert cache.get("anything") is None
        cache.set("anything", "still no error")
        health = browser.get("/health/")
        admin_page = browser.get("/admin/")
        newcomer = Client()
        login = newcomer.post(
            "/admin/login/?next=/admin/", {"username": "helena", "password": "pw-helena"}
        )
        after_login = newcomer.get("/admin/")

    assert health.status_code == 200
    assert health.json() == {
        "status": "degraded",
        "components": {"database": "ok", "cache": "degraded"},
    }
    assert admin_page.status_code == 200
    assert admin_page.context["user"].username == "helena"
    assert (login.status_code, login["Location"]) == (302, "/admin/")
    assert after_login.status_code == 200
    assert after_login.context["user"].username == "helena"
    # One warning line for the whole outage, no traceback, nothing at ERROR.
    [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert (warning.name, warning.levelname, warning.exc_info) == ("tg.cache", "WARNING", None)
    assert warning.getMessage().startswith("cache unavailable, serving without it: ")


@pytest.mark.process  # its own redis-server, paused and resumed
@pytest.mark.redis
@pytest.mark.django_db
def test_a_logout_during_a_redis_stall_stays_a_logout(own_redis, django_user_model):
    """Redis stops answering (SIGSTOP), the player signs out, Redis answers again
    (SIGCONT): the old cookie opens nothing. With cached sessions and cache errors
    ignored, the logout deleted the database row but not the cached copy, and the
    cookie was signed in again for the session's whole life."""
    import os
    import signal

    process, location = own_redis
    config = copy.deepcopy(settings.CACHES)
    config["default"]["LOCATION"] = location
    django_user_model.objects.create_user("pat", "pat@example.test", "pw-pat")

    with override_settings(CACHES=config):
        browser = Client()
        assert browser.login(username="pat", password="pw-pat")
        assert browser.get("/").status_code == 200
        cookie = browser.cookies["sessionid"].value
        os.kill(process.pid, signal.SIGSTOP)
        try:
            logout = browser.post("/accounts/logout/")
        finally:
            os.kill(process.pid, signal.SIGCONT)
        assert logout.status_code == 302
        returning = Client()
        returning.cookies["sessionid"] = cookie
        dashboard = returning.get("/")

    assert not Session.objects.filter(session_key=cookie).exists()
    assert dashboard.status_code == 302
    assert dashboard["Location"].startswith("/accounts/login/")
