"""Optional TOTP second factor, required by a setting for chosen roles."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from planner import roles

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"


def current_code(device):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def wrong_code(device):
    return "000000" if current_code(device) != "000000" else "111111"


def sign_in(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return response


def test_without_an_authenticator_or_a_requirement_the_password_is_enough(client, nurse):
    sign_in(client, nurse)
    assert client.get(reverse("home")).status_code == 200


def test_a_required_role_must_set_up_an_authenticator_first(client, neurologist, settings):
    settings.OTP_REQUIRED_ROLES = [roles.NEUROLOGIST]
    sign_in(client, neurologist)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("two_factor_setup")
    page = client.get(reverse("two_factor_setup"))
    assert b"Your role needs a second step" in page.content
    assert b"data:image/svg+xml;base64," in page.content

    device = TOTPDevice.objects.get(user=neurologist, confirmed=False)
    response = client.post(reverse("two_factor_setup"), {"token": wrong_code(device)})
    assert "That code does not match" in response.content.decode()
    # A minute later: past django-otp's throttle after a wrong code.
    with time_machine.travel(timezone.now() + timedelta(minutes=1), tick=False):
        response = client.post(reverse("two_factor_setup"), {"token": current_code(device)})
        assert response.status_code == 302
        device.refresh_from_db()
        assert device.confirmed
        assert client.get(reverse("home")).status_code == 200


def test_a_user_with_an_authenticator_enters_a_code_after_the_password(client, nurse):
    device = TOTPDevice.objects.create(user=nurse, name="phone", confirmed=True)
    sign_in(client, nurse)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor_verify"))

    response = client.post(reverse("two_factor_verify"), {"token": "12ab56", "next": "/"})
    assert "The code is six digits." in response.content.decode()
    response = client.post(reverse("two_factor_verify"), {"token": wrong_code(device), "next": "/"})
    assert "That code is not right" in response.content.decode()
    response = client.post(reverse("two_factor_verify"), {"token": current_code(device), "next": "/"})
    assert "Too many wrong codes in a row" in response.content.decode()

    with time_machine.travel(timezone.now() + timedelta(minutes=1), tick=False):
        response = client.post(reverse("two_factor_verify"), {"token": current_code(device), "next": "/"})
        assert response.status_code == 302 and response["Location"] == "/"
        assert client.get(reverse("home")).status_code == 200


def test_the_code_page_never_redirects_off_site(client, nurse):
    device = TOTPDevice.objects.create(user=nurse, name="phone", confirmed=True)
    sign_in(client, nurse)
    response = client.post(
        reverse("two_factor_verify"), {"token": current_code(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")


def test_signing_out_stays_possible_before_the_second_step(client, nurse):
    TOTPDevice.objects.create(user=nurse, name="phone", confirmed=True)
    sign_in(client, nurse)
    assert client.post(reverse("logout")).status_code == 302
