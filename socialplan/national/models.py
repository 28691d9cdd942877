"""Maintained aggregates: counts per municipality, unit, year and dimension.

Dashboards and the national report read these rows, never the raw register,
case or service-event tables: at national scale (6 million service events)
counting on every view is what makes peers' dashboards time out. The rows
are rebuilt per municipality by tallies.refresh() (after an import, after the
synthetic generator, and nightly by `manage.py refresh_tallies`); every page
that shows them says when they were last refreshed.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from socialplan.territory.models import AdministrativeUnit, Municipality


class Tally(models.Model):
    class Measure(models.TextChoices):
        PEOPLE = "people", _("people in the register with a current category")
        CASES_OPENED = "cases_opened", _("cases opened")
        CASES_CLOSED = "cases_closed", _("cases closed")
        CASES_OPEN = "cases_open", _("cases open at the end of the year")
        REFERRALS_SENT = "referrals_sent", _("referrals sent")
        REFERRALS_ACCEPTED = "referrals_accepted", _("referrals accepted")
        SERVICE_EVENTS = "service_events", _("services delivered")
        PEOPLE_SERVED = "people_served", _("people served")
        PROGRESS_REPORTS = "progress_reports", _("approved progress reports")
        SPENT = "spent", _("spent (lek, approved reports)")

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    # NULL: a figure for the whole municipality that is not a sum of units
    # (plan activities; people counted once across units).
    unit = models.ForeignKey(
        AdministrativeUnit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveSmallIntegerField()
    measure = models.CharField(max_length=20, choices=Measure.choices)
    # A category code (people), a progress status (activities), or "" for all.
    dimension = models.CharField(max_length=40, blank=True)
    # Counts, or lek for SPENT: a national sum of lek overflows 32 bits.
    value = models.BigIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["year", "measure"], name="tally_year_measure_idx"),
            models.Index(fields=["municipality", "year"], name="tally_muni_year_idx"),
        ]

    def __str__(self):
        return f"{self.municipality_id} {self.year} {self.measure} {self.dimension}: {self.value}"


class TallyRefresh(models.Model):
    """When a municipality's tallies were last rebuilt, and how long it took."""

    municipality = models.OneToOneField(Municipality, on_delete=models.CASCADE, related_name="+")
    refreshed_at = models.DateTimeField()
    seconds = models.FloatField()
    rows = models.PositiveIntegerField()

    def __str__(self):
        return f"{self.municipality_id} {self.refreshed_at:%Y-%m-%d %H:%M}"
