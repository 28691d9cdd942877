"""The printable referral form: what a provider without an account receives.

The PDF is read back with a real PDF reader (pypdf): the test checks what a
provider would actually see, including what it must never see.
"""

import datetime
import io
import re

import pytest
from django.contrib.auth import get_user_model
from pypdf import PdfReader

from socialplan.accounts.models import Membership
from socialplan.cases.models import Case, CaseNote, Consent, Referral
from socialplan.cases.referral_pdf import referral_form, render_referral_pdf
from socialplan.directory.models import Category, Organisation, Service
from socialplan.registry.models import Assessment, Person, PersonCategory
from socialplan.territory.models import AdministrativeUnit, Municipality

NATIONAL_ID = "J95417023K"
NOTE_TEXT = "Neighbour reports shouting at night"
ASSESSMENT_NOTE = "Sleeps badly since the move"


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", text)


@pytest.fixture
def referral(db):
    """Besa, an NJVRN worker, refers Drita (a victim of violence) to a counselling service."""
    municipality = Municipality.objects.create(code="test-lezhe", name="Lezhë")
    unit = AdministrativeUnit.objects.create(
        municipality=municipality, code="shenkoll", name="Shënkoll", kind="rural"
    )
    besa = get_user_model().objects.create_user(
        "besa.njvrn", first_name="Besa", last_name="Kola", email="besa@example.org"
    )
    Membership.objects.create(user=besa, municipality=municipality, role="njvrn")
    drita = Person.objects.create(
        municipality=municipality,
        unit=unit,
        first_name="Drita",
        last_name="Hoxha",
        sex="F",
        date_of_birth=datetime.date(1990, 3, 14),
        national_id=NATIONAL_ID,
        phone="+355 69 123 4567",
        address="Rruga e Detit 12",
        synthetic=True,
        created_by=besa,
    )
    PersonCategory.objects.create(
        person=drita,
        category=Category.objects.get(code="domestic_violence"),
        start_date=datetime.date(2025, 1, 10),
        source="self-declaration",
        recorded_by=besa,
    )
    case = Case.objects.create(
        municipality=municipality,
        unit=unit,
        person=drita,
        reference="LZH-2025-0042",
        owner=besa,
        risk="high",
        priority=Case.Priority.URGENT,
        summary="Internal summary, not for providers",
    )
    CaseNote.objects.create(case=case, author=besa, text=NOTE_TEXT)
    Assessment.objects.create(
        person=drita,
        case=case,
        date=datetime.date(2025, 1, 12),
        assessor=besa,
        needs={"protection": 3},
        risk="high",
        notes=ASSESSMENT_NOTE,
    )
    organisation = Organisation.objects.create(
        municipality=municipality,
        code="qendra-nisma",
        name="Qendra Nisma",
        kind="non_public",
        funding="ngo_donor",
    )
    service = Service.objects.create(
        municipality=municipality,
        organisation=organisation,
        code="keshillim",
        name="Këshillim psikologjik",
        type="community",
        funding="ngo_donor",
    )
    consent = Consent.objects.create(
        person=drita,
        case=case,
        recipient=organisation,
        purpose="Psychological counselling",
        given_on=datetime.date(2025, 1, 15),
        recorded_by=besa,
    )
    return Referral.objects.create(
        case=case,
        service=service,
        organisation=organisation,
        reference="REF-2025-0107",
        purpose="Weekly counselling sessions for three months",
        consent=consent,
        sent_by=besa,
    )


def test_form_is_a_pdf_with_what_the_provider_needs(referral):
    data = render_referral_pdf(referral, language="en")

    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "REF-2025-0107" in text
    assert "Please quote reference REF-2025-0107 in your reply" in text
    assert "Drita Hoxha" in text
    assert "14.03.1990" in text
    assert "+355 69 123 4567" in text
    assert "Shënkoll" in text
    assert "Këshillim psikologjik" in text and "Qendra Nisma" in text
    assert "Weekly counselling sessions for three months" in text
    assert "urgent" in text and "high" in text
    assert "Besa Kola" in text and "NJVRN worker" in text
    # The reply section the provider fills in by hand.
    for label in ("Accepted", "Declined", "Reason for declining", "Outcome", "Signature"):
        assert label in text
    # Consent is the legal basis here: its date and purpose are on the form.
    assert "15.01.2025" in text and "Psychological counselling" in text
    assert "without the person's consent" not in text


def test_form_leaves_out_everything_the_referral_does_not_need(referral):
    text = pdf_text(render_referral_pdf(referral, language="en"))

    category = Category.objects.get(code="domestic_violence")
    assert category.name_en not in text
    assert category.name not in text
    assert "violence" not in text.lower()
    assert NATIONAL_ID not in text
    assert NOTE_TEXT not in text
    assert ASSESSMENT_NOTE not in text
    assert "Internal summary" not in text
    assert "Rruga e Detit" not in text
    assert referral.case.reference not in text


def test_form_in_albanian_is_the_default_and_still_leaves_out_the_category(referral):
    text = pdf_text(render_referral_pdf(referral))

    assert "REF-2025-0107" in text and "Drita Hoxha" in text
    assert Category.objects.get(code="domestic_violence").name not in text
    assert NATIONAL_ID not in text


def test_referral_without_consent_states_the_override_reason(referral):
    referral.consent = None
    referral.override_reason = "Immediate danger: the person is at risk of serious harm tonight"
    referral.save()

    text = pdf_text(render_referral_pdf(referral, language="en"))

    assert "Referred without the person's consent" in text
    assert "Immediate danger: the person is at risk of serious harm tonight" in text
    assert "Psychological counselling" not in text


def test_withdrawn_consent_is_flagged(referral):
    referral.consent.withdrawn_on = datetime.date(2025, 2, 1)
    referral.consent.save()
    referral.refresh_from_db()

    text = pdf_text(render_referral_pdf(referral, language="en"))

    assert "withdrew this consent on 01.02.2025" in text


def test_form_data_holds_no_other_personal_fields(referral):
    # The template only ever receives this object: a new field here is a
    # decision to share more, and should be made on purpose.
    fields = set(referral_form(referral).__dataclass_fields__)
    person_fields = {f for f in fields if f.startswith("person_")}
    assert person_fields == {
        "person_name",
        "person_date_of_birth",
        "person_sex",
        "person_unit",
        "person_phone",
    }
