"""Schemathesis over every operation of the API: whatever it is sent, the server never fails.

The schema is read from the running application (/api/v1/openapi.json, over
WSGI), and every operation is called with requests generated from it: as a
superuser (with a token, so every code path is open), with the ids of real
records as well as made-up ones, with valid and invalid input, and
anonymously. A 5xx answer fails the test, and so does an answer the schema
does not describe (its status code, content type or body). Hypothesis is derandomized and
the number of examples bounded, so the run is the same each time and short.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from socialplan.accounts.models import ApiToken
from socialplan.directory.hsds import export_dataset
from socialplan.emergency.actions import activate
from socialplan.monitoring.models import ProgressReport
from socialplan.wsgi import application

EXAMPLES = 5
FEW = 2
# No 5xx; and every answer's status, content type and body are the ones the schema describes.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def wsgi_calls():
    """Requests served by the WSGI application inside the test's transaction.

    Like Django's test client: the end of a request must not close the
    connection that holds the test's transaction (and its data).
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def real_ids(durres_plan, referred_case, day_centre, provider_worker):
    """The id of one real record for each path that takes one."""
    case, _consent, referral = referred_case
    activity = (
        durres_plan.priorities.get(number=1).objectives.get().measures.first().activities.first()
    )
    report = ProgressReport.objects.create(
        plan=durres_plan, activity=activity, year=2026, organisation=day_centre.organisation,
        status="on_track", created_by=provider_worker,
    )  # fmt: skip
    hsds = export_dataset(durres_plan.municipality)
    call_command("seed_emergency", "durres")
    event = activate(
        request=None, by=provider_worker, municipality=durres_plan.municipality, kind="flood",
        title="Përmbytje", units=list(durres_plan.municipality.units.all()[:2]),
        coordinator=provider_worker,
    )  # fmt: skip
    return {
        "/api/v1/people/": case.person_id,
        "/api/v1/cases/": case.pk,
        "/api/v1/referrals/": referral.pk,
        "/api/v1/services/": day_centre.pk,
        "/api/v1/progress-reports/": report.pk,
        "/api/v1/hsds/services/": hsds["services"][0]["id"],
        "/api/v1/hsds/organizations/": hsds["organizations"][0]["id"],
        "/api/v1/plans/": durres_plan.slug,
        "/api/v1/municipalities/": durres_plan.municipality.code,
        "/api/v1/emergencies/": event.pk,
    }


def _fixed_path(operation, real_ids) -> dict | None:
    for prefix, value in real_ids.items():
        if operation.path.startswith(prefix) and operation.path.count("{") == 1:
            name = operation.path.split("{")[1].split("}")[0]
            return {name: value}
    return None


def _run(operation, *, headers, examples, **strategy):
    @hypothesis_settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(**strategy))
    def check(case):
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    check()


def test_no_server_error_and_answers_as_described(wsgi_calls, real_ids, django_user_model):
    superuser = django_user_model.objects.create_superuser("api.root", password="x-not-real")
    _token, secret = ApiToken.issue(user=superuser, name="schemathesis")
    staff = {"Authorization": f"Bearer {secret}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 32

    for operation in operations:
        fixed = _fixed_path(operation, real_ids)
        if fixed:
            _run(operation, headers=staff, examples=EXAMPLES, path_parameters=fixed)
        _run(operation, headers=staff, examples=EXAMPLES)
        try:
            _run(operation, headers=staff, examples=FEW, generation_mode=GenerationMode.NEGATIVE)
        except Unsatisfiable:
            pass  # nothing in this operation can be invalid (no parameter, no body)
        _run(operation, headers={}, examples=FEW)
