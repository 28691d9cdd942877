"""Targets against actuals, per year. An actual is entered in approved progress reports,
or computed from operational data when the target is linked to a figure the system counts;
a computed value says how it was computed."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _

from socialplan.cases.models import Case, Referral
from socialplan.directory.models import Service
from socialplan.plan.models import Plan, Target

from .models import IndicatorLink, ProgressReport, TargetActual


@dataclass
class IndicatorRow:
    target: Target
    planned: Decimal | None  # the value expected in that year
    actual: Decimal | None
    computed: bool
    how: str  # how the actual was obtained

    @property
    def ratio(self) -> float | None:
        if self.planned in (None, 0) or self.actual is None:
            return None
        return float(self.actual / self.planned)


def planned_for_year(target: Target, year: int) -> Decimal | None:
    """A per-year target counts in each year of the activity; a period target in its last year."""
    if not target.parsed:
        return None
    years = target.years or target.activity.years
    if year not in years:
        return None
    if target.per == Target.Per.YEAR:
        return target.value
    return target.value if year == max(years) else None


def _year_range(year: int):
    start = datetime.datetime(year, 1, 1, tzinfo=datetime.UTC)
    return start, datetime.datetime(year + 1, 1, 1, tzinfo=datetime.UTC)


def compute(link: IndicatorLink, plan: Plan, year: int) -> tuple[Decimal, str]:
    municipality = plan.municipality
    start, end = _year_range(year)
    if link.metric == IndicatorLink.Metric.NJVRN_CASES:
        value = (
            Case.objects.filter(
                municipality=municipality,
                opened_at__gte=start,
                opened_at__lt=end,
                owner__memberships__role="njvrn",
                owner__memberships__municipality=municipality,
            )
            .distinct()
            .count()
        )
        return Decimal(value), _("cases opened in %(y)s whose owner is an NJVRN worker") % {
            "y": year
        }
    if link.metric == IndicatorLink.Metric.PEOPLE_SERVED:
        value = (
            Referral.objects.filter(
                case__municipality=municipality,
                state__in=[Referral.State.ACCEPTED, Referral.State.COMPLETED],
                responded_at__gte=start,
                responded_at__lt=end,
                case__person__categories__category__code=link.category_code,
            )
            .values("case__person")
            .distinct()
            .count()
        )
        return Decimal(value), _("people in category “%(c)s” with a referral accepted in %(y)s") % {
            "c": link.category_code,
            "y": year,
        }
    if link.metric == IndicatorLink.Metric.SERVICES:
        services = Service.objects.filter(municipality=municipality).exclude(
            status=Service.Status.CLOSED
        )
        if link.unit_id:
            services = services.filter(units=link.unit_id)
        where = link.unit.name if link.unit_id else municipality.name
        return Decimal(services.distinct().count()), _(
            "active services in the directory, %(w)s"
        ) % {"w": where}
    if link.metric == IndicatorLink.Metric.REFERRALS:
        value = Referral.objects.filter(
            case__municipality=municipality, sent_at__gte=start, sent_at__lt=end
        ).count()
        return Decimal(value), _("referrals sent in %(y)s") % {"y": year}
    from socialplan.emergency.models import Exercise

    exercises = Exercise.objects.filter(municipality=municipality, date__year=year)
    if link.metric == IndicatorLink.Metric.TRAININGS:
        return Decimal(exercises.count()), _("trainings and exercises recorded in %(y)s") % {
            "y": year
        }
    trained = sum(x.participant_count for x in exercises)
    return Decimal(trained), _("participants of trainings and exercises in %(y)s") % {"y": year}


def indicator_rows(plan: Plan, year: int) -> list[IndicatorRow]:
    targets = list(
        Target.objects.filter(activity__measure__objective__priority__plan=plan, parsed=True)
        .select_related("activity__measure__objective__priority", "link__unit")
        .order_by(
            "activity__measure__objective__priority__number",
            "activity__measure__objective__position",
            "activity__measure__number",
            "activity__position",
            "position",
        )
    )
    entered = dict(
        TargetActual.objects.filter(
            report__plan=plan,
            report__year=year,
            report__state=ProgressReport.State.APPROVED,
        )
        .values("target")
        .annotate(total=Sum("value"))
        .values_list("target", "total")
    )
    rows = []
    for target in targets:
        planned = planned_for_year(target, year)
        link = getattr(target, "link", None)
        if link is not None:
            actual, how = compute(link, plan, year)
            rows.append(IndicatorRow(target, planned, actual, True, how))
        elif target.pk in entered:
            how = _("sum of the approved progress reports of %(y)s") % {"y": year}
            rows.append(IndicatorRow(target, planned, entered[target.pk], False, how))
        elif planned is not None:
            rows.append(IndicatorRow(target, planned, None, False, _("not reported yet")))
    return rows
