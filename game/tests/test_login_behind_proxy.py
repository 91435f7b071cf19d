"""The sign-in rate limit counts failures by the client's real address, never the proxy's.

django-axes locks a (login name, address) pair out after ``TG_LOGIN_FAILURE_LIMIT``
wrong passwords. Behind the reverse proxy every connection comes from the proxy, so
keyed on the connection's address, anyone could lock any account out for everyone. Each
test here is the attack as it arrives at gunicorn: ``REMOTE_ADDR`` is the proxy's
address and ``X-Forwarded-For`` is the header as the proxy passes it on (it appends the
address that connected to it to whatever the client sent). The settings are read from
the environment as at start-up (``TG_PROXY_COUNT``), with django-axes switched on.
"""

import importlib.util

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.urls import reverse

from tests.processes import ROOT

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"
LOCKED = "Too many failed sign-ins"
WRONG = "Please enter a correct username and password."
# The proxy on the same machine as gunicorn, and one on the private network.
PROXIES = ("127.0.0.1", "10.0.0.2")
CLIENT_ADDRESS_SETTINGS = (
    "AXES_IPWARE_META_PRECEDENCE_ORDER",
    "AXES_IPWARE_PROXY_COUNT",
    "IPWARE_STRICT",
)


def started_with(monkeypatch, **env: str) -> dict:
    """The client-address settings tg/settings/base.py gives with this environment (the
    module run afresh, as a process starting with it would), django-axes on."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    path = ROOT / "tg" / "settings" / "base.py"
    spec = importlib.util.spec_from_file_location("tg.settings.base", path)
    module = importlib.util.module_from_spec(spec)  # not put in sys.modules
    spec.loader.exec_module(module)
    started = {
        name: getattr(module, name) for name in CLIENT_ADDRESS_SETTINGS if hasattr(module, name)
    }
    return {**started, "AXES_ENABLED": True}


@pytest.fixture
def owner():
    return get_user_model().objects.create_user("pat", password="pw", email="pat@example.test")


def sign_in(remote_addr: str, password: str, forwarded_for: str | None = None):
    """One sign-in through a new browser, as gunicorn receives it."""
    meta = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded_for
    client = Client()
    response = client.post(reverse("login"), {"username": "pat", "password": password}, **meta)
    return client, response


def assert_signed_in(client, response, owner):
    assert response.status_code == 302, response.content.decode()[:300]
    assert response["Location"] == reverse("dashboard")
    assert client.session["_auth_user_id"] == str(owner.pk)


def assert_locked_out(client, response):
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_setting_is_read_from_the_environment_and_off_by_default(monkeypatch):
    monkeypatch.delenv("TG_PROXY_COUNT", raising=False)
    assert started_with(monkeypatch)["AXES_IPWARE_META_PRECEDENCE_ORDER"] == ("REMOTE_ADDR",)
    behind_one = started_with(monkeypatch, TG_PROXY_COUNT="1")
    assert behind_one["AXES_IPWARE_META_PRECEDENCE_ORDER"][0] == "HTTP_X_FORWARDED_FOR"


@pytest.mark.parametrize("proxy", PROXIES)
def test_an_attacker_behind_the_proxy_never_locks_out_the_owner(monkeypatch, owner, proxy):
    with override_settings(**started_with(monkeypatch, TG_PROXY_COUNT="1")):
        for _ in range(6):
            _, response = sign_in(proxy, "guess", forwarded_for=ATTACKER)
            assert response.status_code in (200, 429)

        # The attacker is locked out, even with the right password...
        assert_locked_out(*sign_in(proxy, "pw", forwarded_for=ATTACKER))
        # ...and the owner, through the same proxy from their own address, is not.
        client, response = sign_in(proxy, "pw", forwarded_for=OWNER)
        assert_signed_in(client, response, owner)

    assert list(AccessAttempt.objects.values_list("username", "ip_address")) == [("pat", ATTACKER)]


@pytest.mark.parametrize("proxy", PROXIES)
def test_a_forged_forwarded_for_cannot_pin_failures_on_the_owner(monkeypatch, owner, proxy):
    """The attacker sends ``X-Forwarded-For: <owner's address>``; the proxy appends the
    attacker's real address to it."""
    forged = f"{OWNER}, {ATTACKER}"
    with override_settings(**started_with(monkeypatch, TG_PROXY_COUNT="1")):
        for _ in range(6):
            sign_in(proxy, "guess", forwarded_for=forged)
        # Forged entries of any kind, several of them, change nothing either.
        for header in (f"{OWNER}, {OWNER}, {ATTACKER}", f"unknown, {OWNER}, {ATTACKER}"):
            assert_locked_out(*sign_in(proxy, "guess", forwarded_for=header))

        client, response = sign_in(proxy, "pw", forwarded_for=OWNER)
        assert_signed_in(client, response, owner)
        assert_locked_out(*sign_in(proxy, "pw", forwarded_for=ATTACKER))

    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [ATTACKER]


def test_behind_two_proxies_the_client_is_the_address_the_first_one_appended(monkeypatch, owner):
    """A CDN in front of the site's own proxy: the header reaching gunicorn ends with the
    client's address (written by the CDN) and the CDN's (written by the proxy)."""
    cdn, proxy = "192.0.2.10", "127.0.0.1"
    with override_settings(**started_with(monkeypatch, TG_PROXY_COUNT="2")):
        for _ in range(6):
            sign_in(proxy, "guess", forwarded_for=f"{OWNER}, {ATTACKER}, {cdn}")
        assert_locked_out(*sign_in(proxy, "pw", forwarded_for=f"{ATTACKER}, {cdn}"))
        client, response = sign_in(proxy, "pw", forwarded_for=f"{OWNER}, {cdn}")
        assert_signed_in(client, response, owner)

    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [ATTACKER]


def test_without_a_proxy_the_forwarded_for_header_is_ignored(monkeypatch, owner):
    """No proxy configured (the default): clients connect directly, and a header a client
    sends is its own invention. The attacker's failures stay on the attacker's address."""
    monkeypatch.delenv("TG_PROXY_COUNT", raising=False)
    with override_settings(**started_with(monkeypatch)):
        for _ in range(6):
            sign_in(ATTACKER, "guess", forwarded_for=OWNER)
        assert_locked_out(*sign_in(ATTACKER, "pw", forwarded_for=OWNER))

        client, response = sign_in(OWNER, "pw")
        assert_signed_in(client, response, owner)
        # Nor can a direct client borrow another address to escape its own lockout.
        assert_locked_out(*sign_in(ATTACKER, "pw", forwarded_for="192.0.2.99"))

    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [ATTACKER]
