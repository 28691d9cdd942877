"""The register and cases personas (socialplan/cases/tests/conftest.py), and API tokens."""

import datetime

import pytest

from socialplan.accounts.models import ApiToken
from socialplan.cases import actions
from socialplan.cases.models import Status

# The personas, as fixtures of this folder too.
from socialplan.cases.tests.conftest import *  # noqa: F403


@pytest.fixture
def bearer():
    """bearer(user) -> the headers that carry a fresh token of this user."""

    def _bearer(user):
        _token, secret = ApiToken.issue(user=user, name="test")
        return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    return _bearer


@pytest.fixture
def referred_case(family_member, sukth_admin, day_centre):
    """Mira's case, owned by Elira (Sukth), referred with consent to the day centre."""
    case = actions.open_case(request=None, person=family_member, by=sukth_admin, summary="x")
    for step in (Status.ASSESSMENT, Status.CASE_PLAN):
        actions.move_case(request=None, case=case, to=step, by=sukth_admin)
    consent = actions.record_consent(
        request=None, case=case, by=sukth_admin, recipient=day_centre.organisation,
        purpose="kujdes ditor", given_on=datetime.date(2026, 11, 1),
    )  # fmt: skip
    referral = actions.refer(
        request=None, case=case, service=day_centre, by=sukth_admin, purpose="kujdes ditor",
        consent=consent,
    )  # fmt: skip
    case.refresh_from_db()
    return case, consent, referral
