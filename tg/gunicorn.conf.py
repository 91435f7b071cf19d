"""gunicorn's configuration for tg: ``gunicorn -c tg/gunicorn.conf.py`` (scripts/serve.sh).

Every value can be changed from the environment; each variable is read by the same typed
readers as the settings (tg/settings/env.py), so a malformed or out-of-range value stops
gunicorn before it binds, with one line naming the variable.

| variable | default | what |
|---|---|---|
| TG_BIND | 127.0.0.1:8000 | address:port to listen on, behind the reverse proxy |
| TG_WEB_WORKERS | 2 × CPUs + 1 (at most 16) | worker processes |
| TG_WEB_THREADS | 4 | threads per worker (gthread) |
| TG_WEB_TIMEOUT | 30 | seconds a request may take before its worker is killed and replaced |
| TG_WEB_GRACEFUL_TIMEOUT | 30 | seconds in-flight requests get to finish on SIGTERM / SIGHUP |
| TG_WEB_MAX_REQUESTS | 1000 | requests after which a worker is replaced (0: never) |
| TG_FORWARDED_ALLOW_IPS | 127.0.0.1,::1 | proxies whose X-Forwarded-* headers are trusted |
| TG_WEB_LOG_LEVEL | INFO | gunicorn's own log level (DEBUG … CRITICAL) |

Each worker thread may hold one PostgreSQL connection (kept ``DATABASE_CONN_MAX_AGE``
seconds): one instance needs up to workers × threads connections, and every instance
behind the load balancer as many, within PostgreSQL's ``max_connections``.
"""

import os
import sys
from pathlib import Path

# gunicorn loads this file by path: make the repository importable for tg.settings.env.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tg.settings.env import env_choice, env_int, env_list, env_str

CPUS = os.cpu_count() or 1

wsgi_app = "tg.wsgi:application"
bind = env_str("TG_BIND", "127.0.0.1:8000")
# Sync work (templates, the ORM) with short waits on PostgreSQL: CPU-bound processes, each
# with a few threads to overlap the waits. 2 × CPUs + 1 is gunicorn's own rule of thumb.
workers = env_int("TG_WEB_WORKERS", min(2 * CPUS + 1, 16), minimum=1, maximum=64)
threads = env_int("TG_WEB_THREADS", 4, minimum=1, maximum=32)
worker_class = "gthread"

timeout = env_int("TG_WEB_TIMEOUT", 30, minimum=5, maximum=600)
graceful_timeout = env_int("TG_WEB_GRACEFUL_TIMEOUT", 30, minimum=1, maximum=600)
keepalive = 5
# Replace each worker after about this many requests (jittered so that they do not all
# restart at once): bounds the memory any slow leak can take.
max_requests = env_int("TG_WEB_MAX_REQUESTS", 1000, minimum=0, maximum=1_000_000)
max_requests_jitter = max_requests // 10

forwarded_allow_ips = ",".join(env_list("TG_FORWARDED_ALLOW_IPS", ["127.0.0.1", "::1"]))
# Heartbeat files in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Several instances may run on one machine: the control socket (one default path per
# user) would be shared between them. Reload with SIGHUP, stop with SIGTERM instead.
control_socket_disable = True

# Logs to stdout/stderr, for journald (or whatever runs gunicorn). One access line per
# request: client, time, request line, status, bytes, duration in ms and µs, referrer,
# user agent, worker pid.
accesslog = "-"
errorlog = "-"
loglevel = env_choice(
    "TG_WEB_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
).lower()
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(B)s %(M)sms %(D)sus "%(f)s" "%(a)s" %(p)s'
proc_name = "tg"

# What a worker does before its first request, so that the first people to arrive (a
# restart, a deploy, the load test's ramp) do not pay for it: every URL pattern and view
# module imported, and the pages' templates compiled into the cached template loader.
WARM_TEMPLATES = (
    "base.html",
    "registration/login.html",
    "game/dashboard.html",
    "characters/sheet.html",
    "game/spend.html",
    "game/history.html",
    "game/st/dashboard.html",
    "game/st/queue.html",
    "game/st/request.html",
    "game/st/scenes.html",
    "game/st/award.html",
    "includes/dots.html",
)


def post_worker_init(worker):
    try:
        from django.template.loader import get_template
        from django.urls import get_resolver

        get_resolver().url_patterns  # noqa: B018 - imports every URL module and its views
        for name in WARM_TEMPLATES:
            get_template(name)
    except Exception:  # a cold worker still serves
        worker.log.exception("Warming the worker failed; it serves cold.")
