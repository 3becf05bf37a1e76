"""Optional TOTP second factor, required by a setting for chosen roles."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from planner.access import roles
from planner.access.two_factor import PENDING_KEY_SESSION_KEY

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"


def current_code(device):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def pending_device(client):
    """The authenticator being set up, as the user's app would hold it (unsaved: it lives in the session)."""
    return TOTPDevice(key=client.session[PENDING_KEY_SESSION_KEY])


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

    device = pending_device(client)
    response = client.post(reverse("two_factor_setup"), {"token": wrong_code(device)})
    assert "That code does not match" in response.content.decode()
    # A minute later: past django-otp's throttle after a wrong code.
    with time_machine.travel(timezone.now() + timedelta(minutes=1), tick=False):
        response = client.post(reverse("two_factor_setup"), {"token": current_code(device)})
        assert response.status_code == 302
        assert TOTPDevice.objects.get(user=neurologist).confirmed
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


def verify(client, device):
    response = client.post(reverse("two_factor_verify"), {"token": current_code(device), "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_two_factor_setup_needs_verified_session(client, nurse):
    """The bypass: with only the password, confirming a new authenticator signed the user in fully."""
    TOTPDevice.objects.create(user=nurse, name="phone", confirmed=True)
    sign_in(client, nurse)
    response = client.get(reverse("two_factor_setup"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor_verify"))

    # The attacker brings a secret of their own; the session never had one, so plant one.
    attacker_device = TOTPDevice(key="0" * 40)
    session = client.session
    session[PENDING_KEY_SESSION_KEY] = attacker_device.key
    session.save()
    response = client.post(reverse("two_factor_setup"), {"token": current_code(attacker_device), "replace": "on"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor_verify"))
    assert list(TOTPDevice.objects.filter(user=nurse).values_list("name", flat=True)) == ["phone"]
    assert client.get(reverse("home"))["Location"].startswith(reverse("two_factor_verify"))


def test_two_factor_setup_view_refuses_a_password_only_session_even_without_the_middleware(rf, nurse):
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp.middleware import OTPMiddleware

    from planner.access.two_factor import two_factor_setup

    TOTPDevice.objects.create(user=nurse, name="phone", confirmed=True)
    request = rf.post(reverse("two_factor_setup"), {"token": "123456"})
    request.user = nurse
    request.session = SessionStore()
    OTPMiddleware(lambda r: None)(request)  # marks the user unverified, as on every request
    response = two_factor_setup(request)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor_verify"))
    assert TOTPDevice.objects.filter(user=nurse).count() == 1


def test_two_factor_setup_page_views_create_no_device_rows(client, nurse):
    sign_in(client, nurse)
    pages = [client.get(reverse("two_factor_setup")) for _ in range(3)]
    assert all(page.status_code == 200 for page in pages)
    assert not TOTPDevice.objects.exists()
    # The same secret is shown each time, so a QR code scanned from the first view still works.
    assert len({page.context["secret"] for page in pages}) == 1


def test_two_factor_first_enrolment_works_once_and_opens_nothing_else_before(client, neurologist, settings):
    settings.OTP_REQUIRED_ROLES = [roles.NEUROLOGIST]
    sign_in(client, neurologist)
    for name in ("home", "patients:patient_list"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"] == reverse("two_factor_setup")
    client.get(reverse("two_factor_setup"))
    response = client.post(reverse("two_factor_setup"), {"token": current_code(pending_device(client))})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200  # verified by the enrolment itself

    # Next time, the password alone opens neither the pages nor the set-up page.
    client.post(reverse("logout"))
    sign_in(client, neurologist)
    response = client.get(reverse("two_factor_setup"))
    assert response["Location"].startswith(reverse("two_factor_verify"))
    assert TOTPDevice.objects.filter(user=neurologist).count() == 1


def test_two_factor_replacing_an_authenticator_needs_an_explicit_choice(client, nurse):
    old = TOTPDevice.objects.create(user=nurse, name="old phone", confirmed=True)
    sign_in(client, nurse)
    verify(client, old)

    page = client.get(reverse("two_factor_setup"))
    assert b"Replace my current authenticator" in page.content
    client.post(reverse("two_factor_setup"), {"token": current_code(pending_device(client))})
    assert TOTPDevice.objects.filter(user=nurse).count() == 2  # added, the old one kept

    client.get(reverse("two_factor_setup"))
    new = pending_device(client)
    response = client.post(reverse("two_factor_setup"), {"token": wrong_code(new), "replace": "on"})
    assert response.status_code == 200
    assert TOTPDevice.objects.filter(user=nurse).count() == 2  # a wrong code removes nothing
    response = client.post(reverse("two_factor_setup"), {"token": current_code(new), "replace": "on"})
    assert response.status_code == 302
    assert list(TOTPDevice.objects.filter(user=nurse).values_list("key", flat=True)) == [new.key]
    assert client.get(reverse("home")).status_code == 200


def test_two_factor_the_confirming_code_cannot_be_replayed(client, nurse):
    sign_in(client, nurse)
    client.get(reverse("two_factor_setup"))
    device = pending_device(client)
    code = current_code(device)
    client.post(reverse("two_factor_setup"), {"token": code})
    client.post(reverse("logout"))
    sign_in(client, nurse)
    response = client.post(reverse("two_factor_verify"), {"token": code, "next": "/"})
    assert response.status_code == 200  # refused: that code was spent on the set-up


def test_two_factor_first_enrolment_happens_once_even_when_two_race(rf, nurse):
    """Two set-up pages were open without the second factor; the other one's code was confirmed in between.

    The view's check at the top has already passed, so the saving step must check again, under a lock.
    """
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp.middleware import OTPMiddleware

    from planner.access.two_factor import _confirm_device

    request = rf.post(reverse("two_factor_setup"))
    request.user = nurse
    request.session = SessionStore()
    OTPMiddleware(lambda r: None)(request)
    winner = TOTPDevice.objects.create(user=nurse, name="first", confirmed=True)
    assert _confirm_device(request, "0" * 40, time_step=1, replace=True) is None
    assert list(TOTPDevice.objects.filter(user=nurse)) == [winner]
