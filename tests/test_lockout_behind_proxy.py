"""The sign-in lockout counts per username and client address, and reads that address correctly
behind the documented reverse proxy: an attacker cannot lock the real user out from elsewhere, and a
client cannot choose its own address with a forged X-Forwarded-For."""

import runpy

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"
PROXY = "10.0.0.2"  # the reverse proxy, as the app sees it (REMOTE_ADDR)
ATTACKER = "198.51.100.66"
REAL_USER = "198.51.100.7"


def address_settings(monkeypatch, proxy_count):
    """The settings module's client-address settings, as loaded with REVERSE_PROXY_COUNT=proxy_count."""
    monkeypatch.setenv("REVERSE_PROXY_COUNT", str(proxy_count))
    loaded = runpy.run_path(str(settings.BASE_DIR / "planner" / "settings.py"))
    return {name: loaded[name] for name in ("AXES_IPWARE_PROXY_COUNT", "AXES_IPWARE_META_PRECEDENCE_ORDER")}


def sign_in(client, password, **headers):
    return client.post(reverse("login"), {"username": "target", "password": password}, **headers)


def via_proxy(forwarded_for):
    """Headers of a request the proxy passed on: it appended the address it saw to X-Forwarded-For."""
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded_for}


def test_lockout_behind_proxy_counts_per_username_and_address_read_by_ipware():
    from axes.helpers import IPWARE_INSTALLED

    # Without django-ipware, django-axes reads REMOTE_ADDR only: behind a proxy, everyone shares one address.
    assert IPWARE_INSTALLED
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_lockout_behind_proxy_attacker_cannot_lock_out_the_real_user(monkeypatch):
    make_user(None, username="target")
    with override_settings(**address_settings(monkeypatch, 1)):
        attacker = Client()
        for _ in range(settings.AXES_FAILURE_LIMIT + 1):
            response = sign_in(attacker, "guess", **via_proxy(ATTACKER))
        assert response.status_code == 429
        assert sign_in(attacker, PASSWORD, **via_proxy(ATTACKER)).status_code == 429  # locked at that address

        response = sign_in(Client(), PASSWORD, **via_proxy(REAL_USER))
        assert response.status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


def test_lockout_behind_proxy_a_forged_entry_does_not_pass_for_the_real_user(monkeypatch):
    """The attacker writes the real user's address into X-Forwarded-For; the proxy appends the true one."""
    make_user(None, username="target")
    with override_settings(**address_settings(monkeypatch, 1)):
        attacker = Client()
        for _ in range(settings.AXES_FAILURE_LIMIT + 1):
            response = sign_in(attacker, "guess", **via_proxy(f"{REAL_USER}, {ATTACKER}"))
        assert response.status_code == 429
        assert sign_in(Client(), PASSWORD, **via_proxy(REAL_USER)).status_code == 302
    assert REAL_USER not in set(AccessAttempt.objects.values_list("ip_address", flat=True))


def test_lockout_behind_proxy_spoofed_forwarded_for_is_ignored_without_a_proxy(monkeypatch):
    """Connected directly (the default), a client that invents a new address for each guess is still stopped."""
    make_user(None, username="target")
    with override_settings(**address_settings(monkeypatch, 0)):
        attacker = Client()
        for attempt in range(settings.AXES_FAILURE_LIMIT + 1):
            response = sign_in(attacker, "guess", REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}")
        assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


def test_lockout_behind_proxy_the_default_trusts_no_forwarded_header(monkeypatch):
    monkeypatch.delenv("AXES_PROXY_COUNT", raising=False)
    monkeypatch.delenv("REVERSE_PROXY_COUNT", raising=False)
    loaded = runpy.run_path(str(settings.BASE_DIR / "planner" / "settings.py"))
    assert loaded["AXES_IPWARE_META_PRECEDENCE_ORDER"] == ("REMOTE_ADDR",)
