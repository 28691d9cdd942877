"""The TOTP second factor: which device a user has, and finishing a log-in.

django-otp keeps the devices and checks codes; this module holds the few
decisions of our own (who must enter a code, where they are sent).
"""

from base64 import b32encode
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.urls import reverse
from django.utils.safestring import mark_safe
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from .access import requires_two_factor

DEVICE_NAME = "authenticator app"


def is_verified(user) -> bool:
    # OTPMiddleware installs is_verified(); a request without it is not verified.
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def must_enter_code(user) -> bool:
    """True for a user logged in with a password who still owes a TOTP code."""
    return (
        settings.OTP_REQUIRED
        and user.is_authenticated
        and not is_verified(user)
        and requires_two_factor(user)
    )


def confirmed_devices(user):
    return TOTPDevice.objects.devices_for_user(user, confirmed=True)


def pending_device(user) -> TOTPDevice:
    """The device being set up: the same secret on every visit until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def code_page_url(user, next_url: str = "") -> str:
    """Where a user who owes a code goes: set-up without a device, otherwise verify."""
    has_device = confirmed_devices(user).exists()
    url = reverse("accounts:two_factor_verify" if has_device else "accounts:two_factor_setup")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def setup_url(next_url: str = "") -> str:
    url = reverse("accounts:two_factor_setup")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def secret_base32(device: TOTPDevice) -> str:
    return b32encode(device.bin_key).decode()


def qr_svg(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    return mark_safe(image.to_string(encoding="unicode"))


def complete_login(request, device: TOTPDevice) -> None:
    # A new session key for the elevated session, as Django does at log-in.
    request.session.cycle_key()
    otp_login(request, device)


def discard_pending_devices(user) -> None:
    """Forget unconfirmed secrets: one may have been shown before enrolment codes existed."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
