"""Optional TOTP second factor (django-otp), which a setting can require for chosen roles.

A user with a confirmed authenticator must enter a code after the password before any page
opens, the set-up page included: adding or replacing an authenticator needs the second factor,
or a password alone could enrol an attacker's phone. A user in a role listed in
OTP_REQUIRED_ROLES who has none is sent to set one up first, and only that page opens until then.
"""

import base64
import io
import time

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from patients.audit.models import AuditEvent
from patients.audit.services import audit_record
from planner.access.backends import roles_of

# Pages a half-signed-in user may still reach: the code page and signing out. The set-up page is
# reachable only by a user without a confirmed authenticator (see SecondFactorMiddleware).
EXEMPT_URL_NAMES = {"two_factor_verify", "logout", "login", "healthz", "keep_alive"}

# The secret being set up lives in the session until a correct code confirms it, so that merely
# viewing the set-up page writes nothing to the database.
PENDING_KEY_SESSION_KEY = "two_factor_pending_key"


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Six-digit code from your authenticator app",
        min_length=6,
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}),
    )

    def clean_token(self):
        token = self.cleaned_data["token"].strip()
        if not token.isdigit():
            raise forms.ValidationError("The code is six digits.")
        return token


def requires_second_factor(user):
    if not settings.OTP_REQUIRED_ROLES:
        return False
    return not set(roles_of(user)).isdisjoint(settings.OTP_REQUIRED_ROLES)


class SecondFactorMiddleware:
    """Holds back every page until a signed-in user has passed their second factor."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        match = request.resolver_match
        if match is not None and match.url_name in EXEMPT_URL_NAMES:
            return None
        if request.path.startswith(settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/static/"):
            return None
        if user_has_device(user):
            return redirect(f"{reverse('two_factor_verify')}?next={request.get_full_path()}")
        if requires_second_factor(user):
            if match is not None and match.url_name == "two_factor_setup":
                return None
            return redirect("two_factor_setup")
        return None


def _safe_next(request):
    target = request.POST.get("next") or request.GET.get("next") or reverse("home")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("home")


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        devices = list(TOTPDevice.objects.devices_for_user(request.user))
        # django-otp doubles the wait after each wrong code; say so rather than "wrong code".
        if not any(device.verify_is_allowed()[0] for device in devices):
            form.add_error("token", "Too many wrong codes in a row. Wait a few seconds, then enter the current code.")
        else:
            device = next((d for d in devices if d.verify_token(form.cleaned_data["token"])), None)
            if device is not None:
                otp_login(request, device)
                return redirect(_safe_next(request))
            audit_record(
                action=AuditEvent.Action.LOGIN_FAILED,
                request=request,
                obj=request.user,
                changes={"second_factor": "wrong code"},
            )
            form.add_error(
                "token", "That code is not right, or it has expired. Enter the code now showing in your app."
            )
    return render(request, "registration/two_factor_verify.html", {"form": form, "next": _safe_next(request)})


def _qr_code_data_uri(config_url):
    buffer = io.BytesIO()
    segno.make(config_url, error="m").save(buffer, kind="svg", scale=5, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


class SetupForm(TokenForm):
    replace = forms.BooleanField(
        required=False,
        label="Replace my current authenticator (codes from the old app stop working once this one is confirmed)",
    )


def _confirmed_time_step(key, token):
    """The time step at which token is the code for key, or None. Checks one step either side for clock drift."""
    device = TOTPDevice(key=key)  # unsaved: only its defaults (step, digits, tolerance) are used
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    totp.time = time.time()
    if totp.verify(int(token), device.tolerance):
        return totp.t()
    return None


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    """Add or replace an authenticator: show a new secret as a QR code and as text, confirm with one code.

    With an authenticator already confirmed, only a session that has passed it may add another;
    the middleware holds every other session back, and this check stays in case it is ever moved.
    """
    user = request.user
    has_device = user_has_device(user)
    if has_device and not user.is_verified():
        return redirect(f"{reverse('two_factor_verify')}?next={request.get_full_path()}")
    key = request.session.get(PENDING_KEY_SESSION_KEY)
    if key is None:
        key = request.session[PENDING_KEY_SESSION_KEY] = random_hex(20)
    form = SetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        time_step = _confirmed_time_step(key, form.cleaned_data["token"])
        if time_step is not None:
            replace = has_device and form.cleaned_data["replace"]
            device = _confirm_device(request, key, time_step, replace=replace)
            del request.session[PENDING_KEY_SESSION_KEY]
            if device is None:  # another enrolment got there first: its code is needed now
                return redirect(f"{reverse('two_factor_verify')}?next={reverse('home')}")
            otp_login(request, device)
            messages.success(request, "Two-step sign-in is on. You will need a code from your app at each sign-in.")
            return redirect("home")
        form.add_error("token", "That code does not match. Check the time on your phone and enter the current code.")
    device = TOTPDevice(user=user, key=key, name="Authenticator")  # unsaved: builds the QR code only
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "qr_code": _qr_code_data_uri(device.config_url),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "required": requires_second_factor(user),
            "has_device": has_device,
        },
    )


def _confirm_device(request, key, time_step, *, replace):
    """Saves the confirmed authenticator; when replacing, removes the old ones only now that the new one works.

    None when a session without the second factor finds that an authenticator was confirmed meanwhile:
    a first enrolment happens once, even when two are submitted at the same moment.
    """
    user = request.user
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user.pk).exists()  # one enrolment at a time per user
        if not user.is_verified() and user_has_device(user):
            return None
        # The code just used may not sign anyone in again: last_t marks it spent.
        device = TOTPDevice.objects.create(user=user, key=key, name="Authenticator", confirmed=True, last_t=time_step)
        others = TOTPDevice.objects.filter(user=user).exclude(pk=device.pk)
        # Unconfirmed rows are left over from set-ups begun before secrets were kept in the session.
        (others if replace else others.filter(confirmed=False)).delete()
        audit_record(
            action=AuditEvent.Action.UPDATE,
            request=request,
            obj=user,
            changes={"second_factor": "authenticator replaced" if replace else "authenticator added"},
        )
    return device
