"""The printable referral form, for a provider that has no account.

Staff print (or e-mail) this PDF to the provider, the provider fills in the
reply section by hand, and staff type the reply in (Referral.reply_recorded_by_staff).

Data minimisation is built into the shape: the template never sees the
model objects, only a `ReferralForm` holding the fields a provider needs to
act on the referral (the person's name, date of birth, sex, unit and phone,
the purpose, the case's risk and priority, who referred and the legal basis
for sharing). Categories in need, the national ID, assessments, case notes
and other people's data are not in it, so no template change can leak them.

The caller (a view or an action) is responsible for the access check and for
the audit row (`accounts.audit.record(request, "export", referral)`); this
module only renders.
"""

import datetime
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone, translation

from socialplan.accounts.models import Membership
from socialplan.registry.access import WITHHELD

TEMPLATE = "cases/referral_form.html"


@dataclass(frozen=True)
class ReferralForm:
    """Everything the printed form shows, and nothing more."""

    municipality: str
    unit: str  # the administrative unit that runs the case
    reference: str
    sent_on: datetime.date
    service: str
    organisation: str
    person_name: str
    person_date_of_birth: datetime.date
    person_sex: str
    person_unit: str
    person_phone: str
    purpose: str
    risk: str
    priority: str
    referred_by_name: str
    referred_by_roles: list[str]
    referred_by_email: str
    # Legal basis for sharing: a consent (date, purpose) or the override reason.
    consent_given_on: datetime.date | None
    consent_purpose: str
    consent_withdrawn_on: datetime.date | None
    override_reason: str

    @property
    def has_consent(self) -> bool:
        return self.consent_given_on is not None


def referral_form(referral, *, can_read_text: bool = True) -> ReferralForm:
    """The form's data; display values are translated in the active language."""
    case = referral.case
    person = case.person
    sender = referral.sent_by
    consent = referral.consent
    role_labels = dict(Membership.Role.choices)
    roles = sorted(
        {
            m.role
            for m in Membership.objects.filter(user=sender, municipality_id=case.municipality_id)
        },
        key=list(role_labels).index,
    )
    return ReferralForm(
        municipality=case.municipality.name,
        unit=case.unit.name,
        reference=referral.reference,
        sent_on=timezone.localdate(referral.sent_at) if referral.sent_at else timezone.localdate(),
        service=referral.service.name,
        organisation=referral.organisation.name,
        person_name=f"{person.first_name} {person.last_name}",
        person_date_of_birth=person.date_of_birth,
        person_sex=str(person.get_sex_display()),
        person_unit=person.unit.name,
        person_phone=person.phone,
        purpose=referral.purpose if can_read_text else str(WITHHELD),
        risk=str(case.get_risk_display()),
        priority=str(case.get_priority_display()),
        referred_by_name=sender.get_full_name() or sender.get_username(),
        referred_by_roles=[str(role_labels[r]) for r in roles],
        referred_by_email=sender.email,
        consent_given_on=consent.given_on if consent else None,
        consent_purpose=(consent.purpose if can_read_text else str(WITHHELD)) if consent else "",
        consent_withdrawn_on=consent.withdrawn_on if consent else None,
        override_reason=referral.override_reason if can_read_text else str(WITHHELD),
    )


def render_referral_html(referral, *, language: str = "sq", can_read_text: bool = True) -> str:
    with translation.override(language):
        form = referral_form(referral, can_read_text=can_read_text)
        return render_to_string(TEMPLATE, {"form": form, "language": language})


def render_referral_pdf(referral, *, language: str = "sq", can_read_text: bool = True) -> bytes:
    """The referral form as PDF bytes, in `language` ("sq" or "en")."""
    # Imported here: WeasyPrint loads Pango at import, which no other page needs.
    from weasyprint import HTML, URLFetcher

    html = render_referral_html(referral, language=language, can_read_text=can_read_text)
    # The form is self-contained: no protocol is allowed, so no value in it can
    # make the server fetch a file or a URL.
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()
