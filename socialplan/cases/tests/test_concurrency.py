"""Two providers' staff click "accept" at the same moment: exactly one wins (PostgreSQL)."""

import datetime
import threading

import pytest
from django.db import connection, connections

from socialplan.cases import actions
from socialplan.cases.models import CaseEvent, Referral, Status

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="real concurrent connections need PostgreSQL"
)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_acceptances(
    durres_plan, family_member, sukth_admin, provider_worker, day_centre
):
    case = actions.open_case(request=None, person=family_member, by=sukth_admin)
    for step in (Status.ASSESSMENT, Status.CASE_PLAN):
        actions.move_case(request=None, case=case, to=step, by=sukth_admin)
    consent = actions.record_consent(
        request=None, case=case, by=sukth_admin, recipient=day_centre.organisation, purpose="x",
        given_on=datetime.date.today(),
    )  # fmt: skip
    referral = actions.refer(
        request=None, case=case, service=day_centre, by=sukth_admin, purpose="x", consent=consent
    )
    start = threading.Barrier(2)
    results = []

    def accept():
        try:
            copy = Referral.objects.get(pk=referral.pk)
            start.wait()
            actions.accept_referral(request=None, referral=copy, by=provider_worker)
            results.append("accepted")
        except actions.AlreadyAnswered:
            results.append("already answered")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["accepted", "already answered"]
    assert CaseEvent.objects.filter(case=case, to_status=Status.IN_SERVICE).count() == 1
