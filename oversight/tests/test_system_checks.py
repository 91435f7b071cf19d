"""A mistyped monitoring setting is a named warning of `manage.py check`: it does not
block `migrate` or the web server (the monitoring commands refuse it themselves)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings


def check(*args) -> str:
    err = StringIO()
    call_command("check", *args, stdout=StringIO(), stderr=err)
    return err.getvalue()


def test_a_valid_configuration_passes():
    assert check("--fail-level", "WARNING") == ""


@override_settings(TG_MONITORING={"THRESHOLDS": {"xp_spend_tme_p95_ms": 800}})
def test_an_unknown_metric_in_the_thresholds_is_a_warning_that_blocks_nothing():
    assert (
        "(tg.W001) TG_MONITORING['THRESHOLDS'] names an unknown metric 'xp_spend_tme_p95_ms'"
        in (check())
    )
    with pytest.raises(SystemCheckError, match=r"tg\.W001"):
        check("--fail-level", "WARNING")


@override_settings(TG_MONITORING={"WEIGHTS": {"xp_spend_time_p95_ms": "high"}})
def test_a_weight_that_is_not_a_number_is_a_warning():
    assert "must be a number" in check()


@override_settings(TG_MONITORING={"SNAPSHOT_RETENTON_DAYS": 30})
def test_a_misspelt_setting_is_a_warning_naming_the_likely_key():
    assert (
        "(tg.W001) TG_MONITORING['SNAPSHOT_RETENTON_DAYS'] is not a monitoring setting; "
        "did you mean 'SNAPSHOT_RETENTION_DAYS'?"
    ) in check()


@pytest.mark.django_db
@override_settings(TG_MONITORING={"THRESHOLDS": {"nonsense": 1}, "TOKEN": "t0ken"})
def test_the_endpoints_answer_503_not_500_when_monitoring_is_misconfigured(client):
    for url in ("/health/validation/", "/metrics"):
        response = client.get(url, HTTP_AUTHORIZATION="Bearer t0ken")
        assert response.status_code == 503
        assert "monitoring settings are invalid" in response.json()["error"]


@pytest.mark.django_db
@override_settings(
    TG_MONITORING={"THRESHOLDS": {"nonsense": 1}, "TOKEN": "t0ken"},
    ADMINS=[("ops", "ops@example.test")],
)
def test_deliberate_503s_do_not_mail_the_admins(client, mailoutbox):
    for _ in range(3):
        assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer t0ken").status_code == 503
    assert mailoutbox == []
