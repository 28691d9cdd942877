"""The Local Social Plan as data.

Every figure keeps the text the document printed and where it printed it
(`printed`, `line`); the interpreted value sits beside it. Nothing here
"fixes" a number: the reconciliation (reconciliation.py) compares.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from socialplan.territory.models import Municipality


class Plan(models.Model):
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="plans")
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    title = models.CharField(_("title"), max_length=300)
    period_start = models.DateField(_("start of period"))
    period_end = models.DateField(_("end of period"))
    vision = models.TextField(_("vision"), blank=True)
    mission = models.TextField(_("mission"), blank=True)
    general_goal = models.TextField(_("general goal"), blank=True)
    # The text the plan was read from, and where in it vision/mission/goal are.
    source_document = models.CharField(_("source document"), max_length=200, blank=True)
    source_lines = models.JSONField(default=dict, blank=True)
    # SHA-256 of the data file last loaded: loading the same file is a no-op.
    loaded_hash = models.CharField(max_length=64, blank=True, editable=False)
    # Revisions (revisions.py): the adopted baseline is version 0; each revision
    # is a whole copy of the version it revised, so progress reported on a
    # version keeps pointing at that version's activities.
    revision_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="revisions",
        verbose_name=_("revision of"),
    )
    revision_number = models.PositiveSmallIntegerField(
        _("version"), default=0, help_text=_("0 for the adopted plan, 1, 2, … for its revisions.")
    )
    revision_reason = models.TextField(_("reason for the revision"), blank=True)
    council_decision = models.CharField(
        _("council decision"),
        max_length=200,
        blank=True,
        help_text=_("e.g. “VKB nr. 45, datë 12.03.2027”"),
    )
    revised_at = models.DateTimeField(_("revised at"), null=True, blank=True)
    revised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("revised by"),
    )

    class Meta:
        ordering = ["municipality", "-period_start", "revision_number"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="plan_period_ordered"
            ),
            models.CheckConstraint(
                condition=Q(revision_of__isnull=True, revision_number=0)
                | Q(revision_of__isnull=False, revision_number__gt=0),
                name="plan_revision_numbered",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("plan:overview", args=[self.slug])

    @property
    def years(self) -> list[int]:
        return list(range(self.period_start.year, self.period_end.year + 1))

    @property
    def is_revision(self) -> bool:
        return self.revision_of_id is not None


class Priority(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="priorities")
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.TextField(_("title"))
    line = models.PositiveIntegerField(_("line in the source"), null=True, blank=True)

    class Meta:
        ordering = ["plan", "number"]
        verbose_name = _("priority")
        verbose_name_plural = _("priorities")
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="priority_number_unique")
        ]

    def __str__(self):
        return f"P{self.number}. {self.title}"

    def get_absolute_url(self):
        return reverse("plan:priority", args=[self.plan.slug, self.number])


class Objective(models.Model):
    priority = models.ForeignKey(Priority, on_delete=models.CASCADE, related_name="objectives")
    code = models.CharField(_("code"), max_length=20)
    printed_code = models.CharField(_("code as printed"), max_length=40, blank=True)
    title = models.TextField(_("title"))
    line = models.PositiveIntegerField(_("line in the source"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["priority", "position"]
        verbose_name = _("specific objective")
        verbose_name_plural = _("specific objectives")
        constraints = [
            models.UniqueConstraint(fields=["priority", "code"], name="objective_code_unique")
        ]

    def __str__(self):
        return f"OS {self.code}"

    def get_absolute_url(self):
        return reverse("plan:objective", args=[self.priority.plan.slug, self.code])


class Measure(models.Model):
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="measures")
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.TextField(_("title"))
    line = models.PositiveIntegerField(_("line in the source"), null=True, blank=True)

    class Meta:
        ordering = ["objective", "number"]
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        constraints = [
            models.UniqueConstraint(fields=["objective", "number"], name="measure_number_unique")
        ]

    def __str__(self):
        return f"{self.objective.code} / M{self.number}"

    def get_absolute_url(self):
        return reverse("plan:measure", args=[self.objective.priority.plan.slug, self.pk])


class Activity(models.Model):
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="activities")
    # Rows are identified by their place in the measure: printed codes repeat
    # (OS 2.2 prints "A 2.2" twice) or are missing.
    position = models.PositiveSmallIntegerField()
    code = models.CharField(_("code as printed"), max_length=40, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    title = models.TextField(_("title"), blank=True)
    indicator = models.TextField(_("indicator as printed"), blank=True)
    start_year = models.PositiveSmallIntegerField(_("start year"), null=True, blank=True)
    end_year = models.PositiveSmallIntegerField(_("end year"), null=True, blank=True)
    lead = models.TextField(_("lead institution"), blank=True)
    contributor = models.TextField(_("contributing institution"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    line = models.PositiveIntegerField(_("line in the source"), null=True, blank=True)

    class Meta:
        ordering = ["measure", "position"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [
            models.UniqueConstraint(fields=["measure", "position"], name="activity_position_unique")
        ]

    def __str__(self):
        return f"{self.display_code} {self.title}".strip()

    def get_absolute_url(self):
        return reverse("plan:activity", args=[self.measure.objective.priority.plan.slug, self.pk])

    @property
    def display_code(self) -> str:
        return self.code or f"({_('no code')})"

    @property
    def years(self) -> list[int]:
        """The years the activity runs, as printed (a reversed span counts as printed)."""
        if self.start_year is None or self.end_year is None:
            return []
        low, high = sorted((self.start_year, self.end_year))
        return list(range(low, high + 1))


class Target(models.Model):
    """One measurable statement split out of an activity's indicator text."""

    class Per(models.TextChoices):
        YEAR = "year", _("per year")
        PERIOD = "period", _("for the whole period")

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="targets")
    position = models.PositiveSmallIntegerField()
    text = models.TextField(_("text as printed"))
    parsed = models.BooleanField(_("measurable"), default=True)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2, null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=300, blank=True)
    per = models.CharField(_("per"), max_length=10, choices=Per.choices, blank=True)
    years = models.JSONField(_("years"), default=list, blank=True)

    class Meta:
        ordering = ["activity", "position"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(fields=["activity", "position"], name="target_position_unique"),
            models.CheckConstraint(
                condition=Q(parsed=False) | Q(value__isnull=False), name="target_parsed_has_value"
            ),
        ]

    def __str__(self):
        return self.text


class FundingSource(models.TextChoices):
    MUNICIPALITY = "municipality", _("Municipality (own funds)")
    DONOR = "donor", _("Donor (secured)")
    DONOR_UNCOVERED = "donor_uncovered", _("Donor not yet secured")
    CENTRAL_GOVERNMENT = "central_government", _("Central government / ministry")
    PROVIDER = "provider", _("Provider's own or other funds")
    UNKNOWN = "unknown", _("Source not stated")


class BudgetLine(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="budget_lines")
    position = models.PositiveSmallIntegerField()
    printed = models.TextField(_("as printed"), blank=True)
    # Integer lek; NULL when the document gives no readable amount (never 0).
    amount = models.BigIntegerField(_("amount (lek)"), null=True, blank=True)
    per_year = models.BooleanField(_("per year"), default=False)
    source = models.CharField(_("funding source"), max_length=20, choices=FundingSource.choices)
    funder = models.CharField(_("named funder"), max_length=200, blank=True)
    interpretation = models.TextField(_("interpretation"), blank=True)
    line = models.PositiveIntegerField(_("line in the source"), null=True, blank=True)

    class Meta:
        ordering = ["activity", "position"]
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        constraints = [
            models.UniqueConstraint(fields=["activity", "position"], name="budget_position_unique"),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="budget_amount_not_negative",
            ),
        ]

    def __str__(self):
        return self.printed

    @property
    def is_municipal(self) -> bool:
        return self.source == FundingSource.MUNICIPALITY

    @property
    def year_count(self) -> int:
        """How many times the amount counts: once, or once per year of the activity."""
        if not self.per_year:
            return 1
        return max(len(self.activity.years), 1)

    @property
    def total(self) -> int | None:
        if self.amount is None:
            return None
        return self.amount * self.year_count

    def amount_by_year(self) -> dict[int, int]:
        """Spread over the activity's years: per-year lines repeat, others split evenly.

        The plan does not phase whole-period amounts, so an even split (the
        remainder in the first year) is a reading, and pages say so.
        """
        if self.amount is None:
            return {}
        years = self.activity.years
        if not years:
            return {}
        if self.per_year:
            return dict.fromkeys(years, self.amount)
        share, rest = divmod(self.amount, len(years))
        return {year: share + (rest if i == 0 else 0) for i, year in enumerate(years)}


class DeclaredTotal(models.Model):
    """A total the document itself prints, where it prints it."""

    class Where(models.TextChoices):
        SUMMARY_TABLE = "summary_table", _("summary table")
        ACTION_PLAN_TOTAL = "action_plan_total", _("total of the action-plan table")
        ACTION_SHEET = "action_sheet", _("action sheet")

    class Group(models.TextChoices):
        TOTAL = "total", _("total")
        MUNICIPALITY = "municipality", _("municipality")
        NON_MUNICIPAL = "non_municipal", _("non-municipal")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="declared_totals")
    position = models.PositiveSmallIntegerField()
    priority = models.ForeignKey(
        Priority, null=True, blank=True, on_delete=models.CASCADE, related_name="declared_totals"
    )
    objective = models.ForeignKey(
        Objective, null=True, blank=True, on_delete=models.CASCADE, related_name="declared_totals"
    )
    where = models.CharField(_("where"), max_length=20, choices=Where.choices)
    group = models.CharField(_("group"), max_length=20, choices=Group.choices)
    printed = models.CharField(_("as printed"), max_length=200)
    amount = models.BigIntegerField(_("amount (lek)"))
    line = models.PositiveIntegerField(_("line in the source"), null=True, blank=True)
    label = models.TextField(_("label"), blank=True)

    class Meta:
        ordering = ["plan", "position"]
        verbose_name = _("declared total")
        verbose_name_plural = _("declared totals")
        constraints = [
            models.UniqueConstraint(fields=["plan", "position"], name="declared_position_unique"),
        ]

    def __str__(self):
        return f"{self.get_where_display()}: {self.printed}"
