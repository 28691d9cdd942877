"""Cases, their steps and deadlines, notes, case conferences, consents and referrals."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from socialplan.directory.models import Organisation, Service
from socialplan.registry.models import Assessment, Person
from socialplan.territory.models import AdministrativeUnit, Municipality

Risk = Assessment.Risk


class Status(models.TextChoices):
    IDENTIFIED = "identified", _("identified")
    ASSESSMENT = "assessment", _("assessment")
    CASE_PLAN = "case_plan", _("case plan")
    REFERRED = "referred", _("referred")
    IN_SERVICE = "in_service", _("in service")
    FOLLOW_UP = "follow_up", _("follow-up")
    CLOSED = "closed", _("closed")


# Which step may follow which. "Reopen" (closed -> assessment) is its own action.
TRANSITIONS = {
    Status.IDENTIFIED: {Status.ASSESSMENT, Status.CLOSED},
    Status.ASSESSMENT: {Status.CASE_PLAN, Status.CLOSED},
    Status.CASE_PLAN: {Status.REFERRED, Status.IN_SERVICE, Status.CLOSED},
    Status.REFERRED: {Status.IN_SERVICE, Status.CASE_PLAN, Status.CLOSED},
    Status.IN_SERVICE: {Status.FOLLOW_UP, Status.CLOSED},
    Status.FOLLOW_UP: {Status.IN_SERVICE, Status.CLOSED},
    Status.CLOSED: set(),
}

# Documented defaults (docs/cases.md): days a case may stay in each step
# before it is overdue. A municipality overrides them with DeadlinePolicy rows.
DEFAULT_DEADLINE_DAYS = {
    Status.IDENTIFIED: 3,
    Status.ASSESSMENT: 10,
    Status.CASE_PLAN: 10,
    Status.REFERRED: 7,
    Status.IN_SERVICE: 90,
    Status.FOLLOW_UP: 30,
}


class DeadlinePolicy(models.Model):
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(_("step"), max_length=12, choices=Status.choices)
    days = models.PositiveSmallIntegerField(_("days allowed"))

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "status"], name="deadline_unique"),
            models.CheckConstraint(condition=~Q(status="closed"), name="deadline_not_for_closed"),
        ]

    def __str__(self):
        return f"{self.municipality}: {self.get_status_display()} {self.days}"


def deadline_days(municipality_id: int, status: str) -> int | None:
    if status == Status.CLOSED:
        return None
    policy = DeadlinePolicy.objects.filter(municipality_id=municipality_id, status=status).first()
    return policy.days if policy else DEFAULT_DEADLINE_DAYS[status]


class CaseQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status=Status.CLOSED)

    def overdue(self, now=None):
        return self.open().filter(due_at__lt=now or timezone.now())

    def in_unit(self, unit):
        return self.filter(unit=unit)


class Case(models.Model):
    class Priority(models.TextChoices):
        NORMAL = "normal", _("normal")
        HIGH = "high", _("high")
        URGENT = "urgent", _("urgent")

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cases")
    reference = models.CharField(_("reference"), max_length=30, unique=True)
    status = models.CharField(
        _("step"), max_length=12, choices=Status.choices, default=Status.IDENTIFIED
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_cases"
    )
    risk = models.CharField(_("risk"), max_length=10, choices=Risk.choices, default=Risk.MEDIUM)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    summary = models.TextField(_("reason for the case"), blank=True)
    opened_at = models.DateTimeField(_("identified on"), default=timezone.now)
    status_changed_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(_("step due by"), null=True, blank=True)
    first_service_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["municipality", "status", "due_at"], name="case_due_idx"),
            models.Index(fields=["owner", "status"], name="case_owner_idx"),
            # Case lists come by due date a page at a time (see Meta.ordering).
            models.Index(fields=["due_at", "id"], name="case_due_order_idx"),
        ]

    def __str__(self):
        return self.reference

    def get_absolute_url(self):
        return reverse("cases:case", args=[self.pk])

    @property
    def is_overdue(self) -> bool:
        return (
            self.status != Status.CLOSED
            and self.due_at is not None
            and self.due_at < timezone.now()
        )

    def allowed_next(self) -> list[str]:
        return sorted(TRANSITIONS[Status(self.status)])

    def set_due(self, now=None) -> None:
        days = deadline_days(self.municipality_id, self.status)
        now = now or timezone.now()
        self.due_at = now + datetime.timedelta(days=days) if days is not None else None


class CaseEvent(models.Model):
    """A step of the case's history: who moved it from where to where, and why."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Status.choices)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["case", "at", "pk"]

    def __str__(self):
        return f"{self.case} {self.from_status} -> {self.to_status}"


class CaseNote(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    text = models.TextField(_("note"))

    class Meta:
        ordering = ["case", "-at", "-pk"]
        verbose_name = _("case note")

    def __str__(self):
        return f"{self.case} {self.at:%Y-%m-%d}"


class CaseConference(models.Model):
    """A multi-agency meeting on a case (child-protection and domestic-violence mechanisms)."""

    class Mechanism(models.TextChoices):
        CHILD_PROTECTION = "child_protection", _("child protection (GTN)")
        DOMESTIC_VIOLENCE = "domestic_violence", _("domestic violence referral mechanism")
        OTHER = "other", _("other multi-agency meeting")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="conferences")
    mechanism = models.CharField(_("mechanism"), max_length=20, choices=Mechanism.choices)
    date = models.DateField(_("date"))
    participants = models.TextField(
        _("participants"), help_text=_("Institutions and roles present.")
    )
    decisions = models.TextField(_("decisions"))
    next_steps = models.TextField(_("next steps"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "-date", "-pk"]
        verbose_name = _("case conference")

    def __str__(self):
        return f"{self.case} {self.date}"


class Consent(models.Model):
    """A person's consent to share their case with one recipient for one purpose."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="consents")
    recipient = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(_("purpose"), max_length=300)
    given_on = models.DateField(_("given on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["case", "-given_on", "-pk"]
        verbose_name = _("consent")

    def __str__(self):
        return f"{self.recipient}: {self.purpose}"

    @property
    def active(self) -> bool:
        return self.withdrawn_on is None


class Referral(models.Model):
    class State(models.TextChoices):
        SENT = "sent", _("sent")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        COMPLETED = "completed", _("outcome reported")
        WITHDRAWN = "withdrawn", _("withdrawn")

    class Outcome(models.TextChoices):
        SERVED = "served", _("service given")
        PARTLY = "partly", _("service partly given")
        NOT_SERVED = "not_served", _("service not given")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="referrals")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="referrals")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="referrals"
    )
    reference = models.CharField(_("reference"), max_length=30, unique=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.SENT)
    purpose = models.TextField(_("what the person needs from the service"))
    consent = models.ForeignKey(
        Consent, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    # Sharing without consent: only roles allowed to override, always with a reason.
    override_reason = models.TextField(_("reason to refer without consent"), blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    outcome_notes = models.TextField(_("outcome notes"), blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    # Set when the provider has no account and staff typed in its reply.
    reply_recorded_by_staff = models.BooleanField(default=False)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints = [
            models.CheckConstraint(
                condition=Q(consent__isnull=False) | ~Q(override_reason=""),
                name="referral_consent_or_override",
            ),
        ]

    def __str__(self):
        return self.reference

    def get_absolute_url(self):
        return reverse("cases:referral", args=[self.pk])


class ServiceEvent(models.Model):
    """One service delivered to a person on a day: a session, a visit, a meal, a payment.

    The most numerous rows in the system (millions nationally), so they are
    narrow, carry their municipality and unit (the tenant key and the
    commonest filter) and are counted by the maintained tallies
    (socialplan.national.tallies), never by dashboards directly.
    """

    class Kind(models.TextChoices):
        SESSION = "session", _("session")
        HOME_VISIT = "home_visit", _("home visit")
        DAY_CARE = "day_care", _("day care")
        MEAL = "meal", _("meal")
        COUNSELLING = "counselling", _("counselling")
        SUPPORT_IN_KIND = "in_kind", _("support in kind")

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="service_events")
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="service_events"
    )
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.PROTECT, related_name="service_events"
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="events")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("service event")
        verbose_name_plural = _("service events")
        indexes = [
            models.Index(fields=["municipality", "date"], name="serviceevent_muni_date_idx"),
            models.Index(fields=["person", "date"], name="serviceevent_person_idx"),
        ]

    def __str__(self):
        return f"{self.service_id} {self.date}"
