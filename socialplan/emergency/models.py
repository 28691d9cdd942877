"""Social emergencies: the protocol (versioned data), events, lists of people at risk,
the response, shelter stays, and preparedness (trainings and exercises)."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from socialplan.cases.models import Referral
from socialplan.directory.models import Category, Service, ServiceType
from socialplan.registry.models import Assessment, Person
from socialplan.territory.models import AdministrativeUnit, Municipality

# The 72-hour emergency shelter of the plan: a stay longer than this is flagged.
SHELTER_LIMIT = datetime.timedelta(hours=72)


class Protocol(models.Model):
    """One version of the municipality's protocol for social care in emergencies.

    A version used by an event is never changed again: the municipality saves
    a new version ("Save as new" in the administration) and marks it current.
    """

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    adopted_on = models.DateField(_("adopted on"), null=True, blank=True)
    current = models.BooleanField(_("current version"), default=False)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["municipality", "-version"]
        verbose_name = _("emergency protocol")
        verbose_name_plural = _("emergency protocols")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "version"], name="protocol_version_unique"
            ),
            models.UniqueConstraint(
                fields=["municipality"], condition=Q(current=True), name="protocol_one_current"
            ),
        ]

    def __str__(self):
        return f"{self.title} (v{self.version})"

    @property
    def in_use(self) -> bool:
        return self.events.exists()


class ProtocolStep(models.Model):
    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("order"))
    title = models.CharField(_("step"), max_length=300)
    responsible = models.CharField(_("responsible"), max_length=200)
    due_after_hours = models.PositiveIntegerField(_("due, hours after activation"))

    class Meta:
        ordering = ["protocol", "position"]
        verbose_name = _("protocol step")

    def __str__(self):
        return self.title


class ProtocolContact(models.Model):
    """An institution or team to call in an emergency (never a person in need)."""

    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="contacts")
    institution = models.CharField(_("institution"), max_length=200)
    role = models.CharField(_("role in the response"), max_length=200)
    phone = models.CharField(_("phone"), max_length=60, blank=True)

    class Meta:
        ordering = ["protocol", "institution"]
        verbose_name = _("protocol contact")

    def __str__(self):
        return self.institution


class ListCriterion(models.Model):
    """A rule that puts a person on the emergency lists (the municipality configures them)."""

    class Kind(models.TextChoices):
        CATEGORY = "category", _("in a category (optionally with words in its detail)")
        ASSESSED_NEED = "assessed_need", _("latest assessment shows a need of at least a level")
        INFANT_IN_HOUSEHOLD = "infant", _("household with a child under an age")
        IN_SERVICE_TYPE = "service_type", _("receiving a service of a type")

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)
    code = models.SlugField(max_length=40)
    label = models.CharField(_("label"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT)
    detail_words = models.CharField(
        _("words in the category's detail"),
        max_length=200,
        blank=True,
        help_text=_("Any of these words, separated by commas, e.g. “vetëm, alone”."),
    )
    domain = models.CharField(
        _("assessment domain"), max_length=20, blank=True, choices=Assessment.DOMAINS
    )
    min_level = models.PositiveSmallIntegerField(_("at least level"), null=True, blank=True)
    age_under = models.PositiveSmallIntegerField(_("child under (years)"), null=True, blank=True)
    service_type = models.CharField(
        _("service type"), max_length=20, blank=True, choices=ServiceType.choices
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["municipality", "position"]
        verbose_name = _("list criterion")
        verbose_name_plural = _("list criteria")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="criterion_code_unique")
        ]

    def __str__(self):
        return self.label


class Event(models.Model):
    class Kind(models.TextChoices):
        EARTHQUAKE = "earthquake", _("earthquake")
        FLOOD = "flood", _("flood")
        FIRE = "fire", _("fire")
        COLD = "cold", _("cold wave")
        HEAT = "heat", _("heat wave")
        EPIDEMIC = "epidemic", _("epidemic")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        CLOSED = "closed", _("closed")

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    units = models.ManyToManyField(
        AdministrativeUnit, related_name="+", verbose_name=_("units affected")
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("coordinator"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="events")
    # The short report after the event.
    what_happened = models.TextField(_("what happened"), blank=True)
    gaps = models.TextField(_("gaps found"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("emergency event")
        verbose_name_plural = _("emergency events")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("emergency:event", args=[self.pk])


class EventStep(models.Model):
    """A protocol step, opened as a checklist item when the event was activated."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300)
    responsible = models.CharField(max_length=200)
    due_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["event", "position"]

    def __str__(self):
        return self.title

    @property
    def late(self) -> bool:
        return self.done_at is None and self.due_at < timezone.now()


class Response(models.Model):
    """What the teams did for one listed person."""

    class Kind(models.TextChoices):
        CONTACTED = "contacted", _("contacted")
        VISITED = "visited", _("visited")
        ASSISTED = "assisted", _("assisted")
        EVACUATED = "evacuated", _("evacuated")
        SHELTERED = "sheltered", _("placed in emergency shelter")
        NOT_REACHED = "not_reached", _("tried, not reached")

    # Kinds that count as "assisted" on the coverage board.
    ASSISTED_KINDS = {Kind.ASSISTED, Kind.EVACUATED, Kind.SHELTERED}
    # Kinds that count as "contacted" (reached at all).
    REACHED_KINDS = {Kind.CONTACTED, Kind.VISITED} | ASSISTED_KINDS

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="responses")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("what was done"), max_length=12, choices=Kind.choices)
    at = models.DateTimeField(_("when"), default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    needs_found = models.TextField(_("needs found"), blank=True)
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["event", "-at", "-pk"]
        verbose_name = _("response")

    def __str__(self):
        return f"{self.event}: {self.kind} {self.person_id}"


class ShelterStay(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="shelter_stays")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(
        Service,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("shelter"),
    )
    admitted_at = models.DateTimeField(_("admitted"), default=timezone.now)
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["event", "admitted_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(left_at__isnull=True) | Q(left_at__gte=models.F("admitted_at")),
                name="shelter_stay_ordered",
            )
        ]

    def __str__(self):
        return f"{self.event}: shelter {self.person_id}"

    @property
    def limit_at(self):
        return self.admitted_at + SHELTER_LIMIT

    @property
    def over_limit(self) -> bool:
        end = self.left_at or timezone.now()
        return end > self.limit_at


class Exercise(models.Model):
    """A training on the protocol or a simulation exercise (preparedness)."""

    class Kind(models.TextChoices):
        TRAINING = "training", _("training")
        SIMULATION = "simulation", _("simulation exercise")

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    date = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=200)
    protocol = models.ForeignKey(
        Protocol, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # {"institution": number of participants}
    participants = models.JSONField(_("participants by institution"), default=dict)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-date"]
        verbose_name = _("training or exercise")

    def __str__(self):
        return self.title

    @property
    def participant_count(self) -> int:
        return sum(int(n) for n in self.participants.values())
