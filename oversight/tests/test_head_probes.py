"""Probes that ask with HEAD (load balancers, uptime checkers) get the GET's status and
headers without the body, and leave nothing in the log: a probe every 5 seconds must not
write a warning line each time. gunicorn logs one per response whose body it has to drop
("WSGI app sent body bytes on a no-body response"), so this is checked on a real server."""

import re

import pytest

pytestmark = pytest.mark.django_db

TOKEN = "s3cret-monitor-token"
PROBE = {"Host": "10.20.30.40:8000", "X-Forwarded-Proto": "http"}  # an instance, by address
MONITOR = {"Authorization": f"Bearer {TOKEN}"}
LOG_LEVEL = re.compile(r"\b(WARNING|ERROR|CRITICAL)\b")


@pytest.mark.dates  # the report they serve reads the clock
@pytest.mark.parametrize("path", ["/health/validation/", "/metrics"])
def test_the_monitoring_endpoints_answer_head_like_get(client, tg_monitoring, path):
    tg_monitoring(TOKEN=TOKEN, ENDPOINT_CACHE_SECONDS=0)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}

    get, head = client.get(path, **auth), client.head(path, **auth)

    assert head.status_code == get.status_code
    assert head["Content-Type"] == get["Content-Type"]
    assert head.content == b""


@pytest.mark.server
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_head_probes_get_no_body_and_log_no_warning(start_server):
    server = start_server(TG_MONITOR_TOKEN=TOKEN)
    site = server.site()
    asked = [
        ("/health/", PROBE),
        ("/health/validation/", MONITOR),
        ("/metrics", MONITOR),
        ("/accounts/login/", {}),
    ]

    for path, headers in asked:
        get = site.request("GET", path, headers=headers)
        for _ in range(3):
            head = site.request("HEAD", path, headers=headers)
            assert (head.status, head.body) == (get.status, b""), path
            assert head.header("Content-Type") == get.header("Content-Type"), path

    assert server.stop() == 0
    output = server.output()
    for path, _ in asked:
        assert len(re.findall(f'"HEAD {re.escape(path)} HTTP/1.1" ', output)) == 3, output
    assert [line for line in output.splitlines() if LOG_LEVEL.search(line)] == []
