"""Optional TOTP second factor (django-otp), which a setting can require for chosen roles.

A user with a confirmed authenticator must enter a code after the password before any page
opens; a user in a role listed in OTP_REQUIRED_ROLES who has none is sent to set one up first.
"""

import base64
import io

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from patients.audit.models import AuditEvent
from patients.audit.services import audit_record

# Pages a half-signed-in user may still reach: the factor pages themselves and signing out.
EXEMPT_URL_NAMES = {"two_factor_verify", "two_factor_setup", "logout", "login", "healthz", "keep_alive"}


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
    return user.groups.filter(name__in=settings.OTP_REQUIRED_ROLES).exists()


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


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    """Add an authenticator: show the secret as a QR code and as text, confirm with one code."""
    device, _ = TOTPDevice.objects.get_or_create(user=request.user, confirmed=False, defaults={"name": "Authenticator"})
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            with transaction.atomic():
                device.confirmed = True
                device.save()
                audit_record(
                    action=AuditEvent.Action.UPDATE,
                    request=request,
                    obj=request.user,
                    changes={"second_factor": "authenticator added"},
                )
            otp_login(request, device)
            messages.success(request, "Two-step sign-in is on. You will need a code from your app at each sign-in.")
            return redirect("home")
        form.add_error("token", "That code does not match. Check the time on your phone and enter the current code.")
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "qr_code": _qr_code_data_uri(device.config_url),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "required": requires_second_factor(request.user),
            "has_device": user_has_device(request.user),
        },
    )
