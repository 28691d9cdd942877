"""Monitoring the plan: progress reports with approval, actuals and spending,
indicators computed from operational data, the chapter VII frame,
consultations and their recommendations, and published annual reports."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from socialplan.directory.models import Organisation
from socialplan.plan.models import Activity, BudgetLine, Objective, Plan, Target
from socialplan.territory.models import AdministrativeUnit


class ProgressReport(models.Model):
    """What one reporter says of one activity for one period (a year, or a quarter of it)."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("not started")
        ON_TRACK = "on_track", _("on track")
        DELAYED = "delayed", _("delayed")
        DONE = "done", _("done")
        CANCELLED = "cancelled", _("cancelled")

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        RETURNED = "returned", _("returned")
        APPROVED = "approved", _("approved")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="progress_reports")
    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="progress_reports"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(
        _("quarter"), default=0, help_text=_("0 for the whole year, 1-4 for a quarter.")
    )
    # Who reports: an organisation (a provider, an NGO) or a unit; both empty = the directorate.
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        AdministrativeUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # "org:<id>", "unit:<id>" or "directorate": one key for the uniqueness rule,
    # since a database treats two empty reporters as different.
    reporter_key = models.CharField(max_length=30, editable=False)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    narrative = models.TextField(_("what was done"), blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.TextField(_("why it was returned"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    reopen_reason = models.TextField(_("why it was reopened"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = [
            "plan",
            "year",
            "quarter",
            "activity__measure__objective__priority__number",
            "activity_id",
        ]
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "year", "quarter", "reporter_key"],
                name="progress_one_per_reporter_and_period",
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=0, quarter__lte=4), name="progress_quarter_0_4"
            ),
        ]

    def __str__(self):
        return f"{self.activity.display_code} {self.year}" + (
            f" T{self.quarter}" if self.quarter else ""
        )

    def save(self, *args, **kwargs):
        if self.organisation_id:
            self.reporter_key = f"org:{self.organisation_id}"
        elif self.unit_id:
            self.reporter_key = f"unit:{self.unit_id}"
        else:
            self.reporter_key = "directorate"
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("monitoring:report", args=[self.pk])

    @property
    def editable(self) -> bool:
        return self.state in (self.State.DRAFT, self.State.RETURNED)

    @property
    def reporter(self) -> str:
        return str(self.organisation or self.unit or _("Directorate of Social Services"))


class TargetActual(models.Model):
    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="actuals")
    target = models.ForeignKey(Target, on_delete=models.PROTECT, related_name="actuals")
    value = models.DecimalField(_("actual value"), max_digits=14, decimal_places=2)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "target"], name="actual_once_per_report")
        ]

    def __str__(self):
        return f"{self.target}: {self.value}"


class Spending(models.Model):
    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="spending")
    budget_line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="spending")
    amount = models.BigIntegerField(_("spent (lek)"))
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["report", "budget_line"], name="spending_once_per_report"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="spending_not_negative"),
        ]

    def __str__(self):
        return f"{self.budget_line}: {self.amount}"


def evidence_path(instance, filename):
    # The stored name is ours: the uploaded name is reduced to a safe tail, never a path.
    from django.utils.text import get_valid_filename

    safe = get_valid_filename(filename.rsplit("/", 1)[-1])[-80:]
    return f"evidence/{instance.report.plan_id}/{instance.report_id}/{safe}"


class Evidence(models.Model):
    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("file"), upload_to=evidence_path)
    name = models.CharField(_("name"), max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name


class IndicatorLink(models.Model):
    """Ties a target to a figure the system already counts, so its actual is computed."""

    class Metric(models.TextChoices):
        NJVRN_CASES = "njvrn_cases", _("cases managed through the NJVRN (opened in the year)")
        PEOPLE_SERVED = (
            "people_served",
            _("people of a category who received a service in the year"),
        )
        SERVICES = "services", _("active services (in a unit, if given)")
        REFERRALS = "referrals", _("referrals sent in the year")
        TRAININGS = "trainings", _("trainings and exercises recorded in the year")
        TRAINED = "trained", _("people trained in the year")

    target = models.OneToOneField(Target, on_delete=models.CASCADE, related_name="link")
    metric = models.CharField(_("computed from"), max_length=20, choices=Metric.choices)
    category_code = models.CharField(_("category"), max_length=40, blank=True)
    unit = models.ForeignKey(AdministrativeUnit, null=True, blank=True, on_delete=models.PROTECT)

    def __str__(self):
        return f"{self.target} <- {self.metric}"


class FrameRow(models.Model):
    """A row of the chapter VII template: objective, indicators with targets, data source."""

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="frame_rows")
    position = models.PositiveSmallIntegerField(default=0)
    performance_indicator = models.TextField(_("performance indicator"))
    performance_target = models.CharField(_("target"), max_length=100, blank=True)
    monitoring_indicator = models.TextField(_("monitoring indicator"), blank=True)
    monitoring_target = models.CharField(_("target"), max_length=100, blank=True)
    data_source = models.TextField(_("data source"), blank=True)
    line = models.PositiveIntegerField(_("line in the source"), null=True, blank=True)
    example = models.BooleanField(_("an example the document gives"), default=False)

    class Meta:
        ordering = ["objective", "position"]

    def __str__(self):
        return self.performance_indicator


class Consultation(models.Model):
    class Kind(models.TextChoices):
        PUBLIC = "public", _("public consultation")
        FOCUS_GROUP = "focus_group", _("focus group")
        ROUND_TABLE = "round_table", _("round table")
        REVIEW = "review", _("inter-sector review meeting")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="consultations")
    date = models.DateField(_("date"))
    unit = models.ForeignKey(AdministrativeUnit, null=True, blank=True, on_delete=models.PROTECT)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    # {"group": count}, e.g. {"persona me aftësi të kufizuara": 6, "OJF": 4}
    participants = models.JSONField(_("participants by group"), default=dict)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["plan", "-date"]
        verbose_name = _("consultation")

    def __str__(self):
        return f"{self.get_kind_display()} {self.date}"

    @property
    def participant_count(self) -> int:
        return sum(int(n) for n in self.participants.values())


class Recommendation(models.Model):
    class Decision(models.TextChoices):
        PENDING = "pending", _("pending")
        ACCEPTED = "accepted", _("accepted")
        PARTLY = "partly", _("partly accepted")
        REJECTED = "rejected", _("rejected")

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="recommendations"
    )
    text = models.TextField(_("recommendation"))
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING
    )
    justification = models.TextField(_("justification"), blank=True)
    activity = models.ForeignKey(
        Activity, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("plan element it changed"),
    )  # fmt: skip

    class Meta:
        ordering = ["consultation", "pk"]

    def __str__(self):
        return self.text[:60]


class AnnualReport(models.Model):
    """A published annual monitoring report: a frozen snapshot, never recomputed."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="annual_reports")
    year = models.PositiveSmallIntegerField(_("year"))
    version = models.PositiveSmallIntegerField(_("version"))
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    snapshot = models.JSONField()
    html = models.TextField()
    pdf = models.BinaryField()
    docx = models.BinaryField()

    class Meta:
        ordering = ["plan", "-year", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "year", "version"], name="annual_report_version_unique"
            )
        ]

    def __str__(self):
        return f"{self.plan} {self.year} v{self.version}"

    def get_absolute_url(self):
        return reverse("monitoring:published", args=[self.plan.slug, self.year, self.version])
