"""Rebuild the maintained tallies of one municipality from the raw tables.

One INSERT ... SELECT ... GROUP BY per measure and year, in one transaction,
so readers see either the old tallies or the new ones, never half. The SQL
is plain enough to run on SQLite and PostgreSQL alike, and every statement
filters on municipality_id first (the tenant key: on a sharded database each
statement stays on one shard).
"""

import datetime
import time
import zoneinfo

from django.db import connection, transaction
from django.utils import timezone

from socialplan.territory.models import Municipality

from .models import Tally, TallyRefresh

TZ = zoneinfo.ZoneInfo("Europe/Tirane")
# Years tallied: this one and the four before (the synthetic history spans four
# years; a plan runs four). Older years keep their last tallies.
YEARS_BACK = 4

INSERT = "INSERT INTO national_tally (municipality_id, unit_id, year, measure, dimension, value) "

# Named parameters (see bounds()): %(m)s the municipality, %(year)s, the year's
# bounds as timestamps (%(start)s, %(end)s) and as dates (%(first)s, %(last)s),
# and %(as_of)s, the day categories are counted on.
STATEMENTS = {
    Tally.Measure.PEOPLE: [
        # By category, and once more over all categories (a person in two
        # categories counts once in the total).
        """SELECT p.municipality_id, p.unit_id, %(year)s, 'people', c.code, COUNT(DISTINCT p.id)
           FROM registry_personcategory pc
           JOIN registry_person p ON p.id = pc.person_id
           JOIN directory_category c ON c.id = pc.category_id
           WHERE p.municipality_id = %(m)s AND p.merged_into_id IS NULL
             AND pc.start_date <= %(as_of)s AND (pc.end_date IS NULL OR pc.end_date > %(as_of)s)
           GROUP BY p.municipality_id, p.unit_id, c.code""",
        """SELECT p.municipality_id, p.unit_id, %(year)s, 'people', '', COUNT(DISTINCT p.id)
           FROM registry_personcategory pc
           JOIN registry_person p ON p.id = pc.person_id
           WHERE p.municipality_id = %(m)s AND p.merged_into_id IS NULL
             AND pc.start_date <= %(as_of)s AND (pc.end_date IS NULL OR pc.end_date > %(as_of)s)
           GROUP BY p.municipality_id, p.unit_id""",
    ],
    Tally.Measure.CASES_OPENED: [
        """SELECT municipality_id, unit_id, %(year)s, 'cases_opened', '', COUNT(*)
           FROM cases_case WHERE municipality_id = %(m)s
             AND opened_at >= %(start)s AND opened_at < %(end)s
           GROUP BY municipality_id, unit_id""",
    ],
    Tally.Measure.CASES_CLOSED: [
        """SELECT municipality_id, unit_id, %(year)s, 'cases_closed', '', COUNT(*)
           FROM cases_case WHERE municipality_id = %(m)s
             AND closed_at >= %(start)s AND closed_at < %(end)s
           GROUP BY municipality_id, unit_id""",
    ],
    Tally.Measure.CASES_OPEN: [
        """SELECT municipality_id, unit_id, %(year)s, 'cases_open', '', COUNT(*)
           FROM cases_case WHERE municipality_id = %(m)s AND opened_at < %(end)s
             AND (closed_at IS NULL OR closed_at >= %(end)s)
           GROUP BY municipality_id, unit_id""",
    ],
    Tally.Measure.REFERRALS_SENT: [
        """SELECT c.municipality_id, c.unit_id, %(year)s, 'referrals_sent', '', COUNT(*)
           FROM cases_referral r JOIN cases_case c ON c.id = r.case_id
           WHERE c.municipality_id = %(m)s AND r.sent_at >= %(start)s AND r.sent_at < %(end)s
           GROUP BY c.municipality_id, c.unit_id""",
    ],
    Tally.Measure.REFERRALS_ACCEPTED: [
        """SELECT c.municipality_id, c.unit_id, %(year)s, 'referrals_accepted', '', COUNT(*)
           FROM cases_referral r JOIN cases_case c ON c.id = r.case_id
           WHERE c.municipality_id = %(m)s AND r.state IN ('accepted', 'completed')
             AND r.responded_at >= %(start)s AND r.responded_at < %(end)s
           GROUP BY c.municipality_id, c.unit_id""",
    ],
    Tally.Measure.SERVICE_EVENTS: [
        """SELECT municipality_id, unit_id, %(year)s, 'service_events', '', COUNT(*)
           FROM cases_serviceevent WHERE municipality_id = %(m)s
             AND date >= %(first)s AND date <= %(last)s
           GROUP BY municipality_id, unit_id""",
    ],
    Tally.Measure.PEOPLE_SERVED: [
        """SELECT municipality_id, unit_id, %(year)s, 'people_served', '', COUNT(DISTINCT person_id)
           FROM cases_serviceevent WHERE municipality_id = %(m)s
             AND date >= %(first)s AND date <= %(last)s
           GROUP BY municipality_id, unit_id""",
    ],
    Tally.Measure.PROGRESS_REPORTS: [
        """SELECT p.municipality_id, NULL, %(year)s, 'progress_reports', r.status, COUNT(*)
           FROM monitoring_progressreport r JOIN plan_plan p ON p.id = r.plan_id
           WHERE p.municipality_id = %(m)s AND r.year = %(year)s AND r.state = 'approved'
           GROUP BY p.municipality_id, r.status""",
    ],
    Tally.Measure.SPENT: [
        """SELECT p.municipality_id, NULL, %(year)s, 'spent', '', SUM(s.amount)
           FROM monitoring_spending s
           JOIN monitoring_progressreport r ON r.id = s.report_id
           JOIN plan_plan p ON p.id = r.plan_id
           WHERE p.municipality_id = %(m)s AND r.year = %(year)s AND r.state = 'approved'
           GROUP BY p.municipality_id""",
    ],
}


def years_to_tally(today: datetime.date | None = None) -> list[int]:
    today = today or timezone.localdate()
    return list(range(today.year - YEARS_BACK, today.year + 1))


def bounds(year: int, today: datetime.date) -> dict:
    # Raw SQL gets values as Django would store them (SQLite keeps UTC text).
    moment, day = connection.ops.adapt_datetimefield_value, connection.ops.adapt_datefield_value
    return {
        "year": year,
        "start": moment(datetime.datetime(year, 1, 1, tzinfo=TZ)),
        "end": moment(datetime.datetime(year + 1, 1, 1, tzinfo=TZ)),
        "first": day(datetime.date(year, 1, 1)),
        "last": day(datetime.date(year, 12, 31)),
        # Categories held at the end of the year, or today for the current one.
        "as_of": day(min(datetime.date(year, 12, 31), today)),
    }


@transaction.atomic
def refresh(municipality: Municipality, *, today: datetime.date | None = None) -> int:
    """Rebuild one municipality's tallies for the recent years; returns the rows written."""
    started = time.perf_counter()
    today = today or timezone.localdate()
    years = years_to_tally(today)
    Tally.objects.filter(municipality=municipality, year__in=years).delete()
    with connection.cursor() as cursor:
        for year in years:
            params = {**bounds(year, today), "m": municipality.pk}
            for statements in STATEMENTS.values():
                for select in statements:
                    cursor.execute(INSERT + select, params)
    rows = Tally.objects.filter(municipality=municipality, year__in=years).count()
    TallyRefresh.objects.update_or_create(
        municipality=municipality,
        defaults={
            "refreshed_at": timezone.now(),
            "seconds": time.perf_counter() - started,
            "rows": rows,
        },
    )
    return rows


def refresh_all(*, today: datetime.date | None = None) -> dict[str, int]:
    """Every municipality, each in its own transaction (a failure keeps the others)."""
    return {m.code: refresh(m, today=today) for m in Municipality.objects.order_by("code")}
