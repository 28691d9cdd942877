"""Logging in: password, then (for staff who reach personal data) a TOTP code.

Setting up the authenticator app needs a one-time enrolment code from an
administrator first (enrolment.py).
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django_otp import verify_token

from . import enrolment, two_factor
from .access import requires_two_factor
from .audit import record
from .forms import CodeForm, EnrolmentCodeForm
from .models import AuditEvent

WRONG_CODE = "wrong two-factor code"


class StaffLoginView(LoginView):
    """Django's log-in; a user who owes a TOTP code goes on to enter it."""

    def form_valid(self, form):
        response = super().form_valid(form)
        if two_factor.must_enter_code(self.request.user):
            return redirect(two_factor.code_page_url(self.request.user, self.get_success_url()))
        return response


def _next_url(request) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _throttled(device) -> bool:
    allowed, _details = device.verify_is_allowed()
    return not allowed


@never_cache
@login_required
def two_factor_setup(request):
    """Show a new secret (QR code and text) and confirm it with one code."""
    user = request.user
    next_url = _next_url(request)
    if two_factor.is_verified(user) or not requires_two_factor(user):
        return redirect(next_url)
    # Someone holding only the password must not replace a device already set up.
    if two_factor.confirmed_devices(user).exists():
        return redirect(two_factor.code_page_url(user, next_url))
    # ... nor enrol the first one: that takes the administrator's one-time code.
    if not enrolment.redeemed_in_this_session(request):
        return _ask_enrolment_code(request, next_url)
    device = two_factor.pending_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _throttled(device):
            form.add_error("code", _("Too many wrong codes. Wait a minute, then try again."))
        elif device.verify_token(form.cleaned_data["code"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            enrolment.finish(request)
            record(request, AuditEvent.Action.ENROL, device, summary="authenticator app set up")
            two_factor.complete_login(request, device)
            record(request, AuditEvent.Action.LOGIN_2FA, summary="first two-factor code")
            return redirect(next_url)
        else:
            record(request, "login_failed", summary=WRONG_CODE)
            form.add_error("code", _("That code is not right. Enter the code your app shows now."))
    uri = device.config_url
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "next": next_url,
            "secret": two_factor.secret_base32(device),
            "otpauth_uri": uri,
            "qr_svg": two_factor.qr_svg(uri),
        },
    )


def _ask_enrolment_code(request, next_url):
    """The first step of set-up: the one-time code an administrator issued."""
    form = EnrolmentCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if enrolment.redeem(request, form.cleaned_data["enrolment_code"]):
            # A fresh secret that nobody saw before the code was given.
            two_factor.discard_pending_devices(request.user)
            return redirect(two_factor.setup_url(next_url))
        form.add_error(
            "enrolment_code",
            _(
                "That enrolment code is not right, or it has expired or been used. "
                "Check it, or ask your administrator for a new one."
            ),
        )
    context = {"form": form, "next": next_url, "hours": settings.ENROLMENT_CODE_HOURS}
    return render(request, "accounts/enrolment_code.html", context)


@never_cache
@login_required
def two_factor_verify(request):
    """Ask for the current code of the user's authenticator app."""
    user = request.user
    next_url = _next_url(request)
    if two_factor.is_verified(user) or not requires_two_factor(user):
        return redirect(next_url)
    devices = list(two_factor.confirmed_devices(user))
    if not devices:
        return redirect(two_factor.code_page_url(user, next_url))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if all(_throttled(device) for device in devices):
            form.add_error("code", _("Too many wrong codes. Wait a minute, then try again."))
        else:
            code = form.cleaned_data["code"]
            for device in devices:
                verified = verify_token(user, device.persistent_id, code)
                if verified is not None:
                    two_factor.complete_login(request, verified)
                    record(request, AuditEvent.Action.LOGIN_2FA, summary="two-factor code")
                    return redirect(next_url)
            record(request, "login_failed", summary=WRONG_CODE)
            form.add_error("code", _("That code is not right. Enter the code your app shows now."))
    return render(request, "registration/two_factor_verify.html", {"form": form, "next": next_url})


def locked_out(request, original_response=None, credentials=None):
    """django-axes' lockout page (AXES_LOCKOUT_CALLABLE); never echoes the username."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "registration/locked_out.html",
        {"minutes": minutes},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
