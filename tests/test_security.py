"""Sign-in throttling, idle time-out, cookies and headers."""

import pytest
import time_machine
from django.urls import reverse

from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"


def test_five_failed_sign_ins_lock_the_account_with_a_clear_message(client, settings):
    make_user(None, username="target")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(reverse("login"), {"username": "target", "password": "guess"})
        assert response.status_code == 200
    response = client.post(reverse("login"), {"username": "target", "password": "guess"})
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content
    # Even the right password is refused while locked.
    response = client.post(reverse("login"), {"username": "target", "password": PASSWORD})
    assert response.status_code == 429


def test_the_lockout_does_not_spill_over_to_other_users(client, settings):
    make_user(None, username="target")
    make_user(None, username="bystander")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "target", "password": "guess"})
    response = client.post(reverse("login"), {"username": "bystander", "password": PASSWORD})
    assert response.status_code == 302


def test_an_idle_session_ends_after_the_time_out(client, nurse, settings):
    with time_machine.travel("2026-06-01 09:00", tick=False) as traveller:
        client.post(reverse("login"), {"username": nurse.username, "password": PASSWORD})
        assert client.get(reverse("home")).status_code == 200
        traveller.shift(settings.SESSION_COOKIE_AGE - 60)
        assert client.get(reverse("home")).status_code == 200  # activity renews the session
        traveller.shift(settings.SESSION_COOKIE_AGE - 60)
        assert client.get(reverse("home")).status_code == 200
        traveller.shift(settings.SESSION_COOKIE_AGE + 1)
        response = client.get(reverse("home"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_idle_time_out_defaults_to_fifteen_minutes(settings):
    assert settings.SESSION_IDLE_TIMEOUT_MINUTES == 15
    assert settings.SESSION_COOKIE_AGE == 15 * 60


def test_activity_renews_the_session_at_most_once_a_minute(client, nurse):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def session_writes():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("home"))
        writes = [q["sql"] for q in queries if "django_session" in q["sql"] and not q["sql"].startswith("SELECT")]
        return response, writes

    with time_machine.travel("2026-06-01 09:00", tick=False) as traveller:
        client.force_login(nurse)
        _, writes = session_writes()
        assert writes  # the first page after signing in renews
        traveller.shift(30)
        response, writes = session_writes()
        assert writes == [] and "sessionid" not in response.cookies
        traveller.shift(31)
        response, writes = session_writes()
        assert writes and "expire_date" in writes[0]  # the idle time-out slides forward


def test_keep_alive_renews_the_session_and_needs_post(client, nurse):
    client.force_login(nurse)
    assert client.get(reverse("keep_alive")).status_code == 405
    response = client.post(reverse("keep_alive"))
    assert response.status_code == 200
    assert response.json()["expires_in_seconds"] > 0


def test_pages_tell_the_browser_when_the_session_ends(client, nurse):
    client.force_login(nurse)
    page = client.get(reverse("home")).content.decode()
    assert 'data-timeout-seconds="900"' in page


def test_cookies_are_http_only_and_same_site(client, nurse):
    response = client.post(reverse("login"), {"username": nurse.username, "password": PASSWORD})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert cookie["secure"]  # production defaults: DEBUG is off in tests


def test_csrf_is_enforced_on_login(nurse):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("login"), {"username": nurse.username, "password": PASSWORD})
    assert response.status_code == 403


def test_password_validators_refuse_weak_passwords(nurse):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password("password123", nurse)
    validate_password("a-much-longer-clinic-passphrase", nurse)
