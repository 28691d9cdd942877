"""The register of people and households in need.

Everything here is personal data, much of it of special categories. Rows
are reached only through the querysets in access.py, which start from the
user; every look and change is audited (accounts.audit).
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from socialplan.directory.models import Category, fold
from socialplan.territory.models import AdministrativeUnit, Municipality


class Household(models.Model):
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="+")
    address = models.CharField(_("address"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self):
        return f"{_('Household')} {self.pk}"

    def get_absolute_url(self):
        return reverse("registry:household", args=[self.pk])


# The oldest date of birth the register accepts: older is a typing mistake.
EARLIEST_BIRTH = datetime.date(1900, 1, 1)


def validate_birth_date(value: datetime.date) -> None:
    """One rule for the forms, the imports and the API: a date between 1900 and today."""
    if value < EARLIEST_BIRTH:
        raise ValidationError(
            _("A date of birth before 1900 is not accepted: check the year."), code="too_old"
        )
    if value > timezone.localdate():
        raise ValidationError(_("A date of birth cannot be in the future."), code="future")


class Person(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "F", _("female")
        MALE = "M", _("male")

    class Relationship(models.TextChoices):
        HEAD = "head", _("head of household")
        SPOUSE = "spouse", _("spouse or partner")
        CHILD = "child", _("child")
        PARENT = "parent", _("parent")
        SIBLING = "sibling", _("brother or sister")
        GRANDCHILD = "grandchild", _("grandchild")
        OTHER = "other", _("other relative or member")

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        AdministrativeUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    fathers_name = models.CharField(_("father's name"), max_length=100, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    date_of_birth = models.DateField(_("date of birth"), validators=[validate_birth_date])
    # NULL, not "", when unknown: the uniqueness constraint below ignores NULLs.
    national_id = models.CharField(  # noqa: DJ001
        _("national ID"), max_length=20, null=True, blank=True, help_text=_("Optional.")
    )
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    relationship = models.CharField(
        _("relationship to the head"), max_length=12, choices=Relationship.choices, blank=True
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    # Set when a duplicate was merged into another record; the row stays for history.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from"
    )
    search_name = models.CharField(max_length=220, editable=False, db_index=True)
    synthetic = models.BooleanField(
        _("synthetic (demo data)"), default=False, help_text=_("Made-up person for demonstration.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "national_id"],
                condition=Q(national_id__isnull=False, merged_into__isnull=True),
                name="person_national_id_unique_in_municipality",
            ),
        ]
        indexes = [
            models.Index(fields=["municipality", "date_of_birth"], name="person_dob_idx"),
            # Lists come in name order a page at a time: walking this index, the
            # database stops after the page instead of sorting a whole register.
            models.Index(fields=["last_name", "first_name", "id"], name="person_name_order_idx"),
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"

    def save(self, *args, **kwargs):
        self.search_name = fold(f"{self.first_name} {self.last_name}")
        if self.national_id == "":
            self.national_id = None
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_name", "national_id"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("registry:person", args=[self.pk])

    def age_on(self, day) -> int:
        years = day.year - self.date_of_birth.year
        return years - ((day.month, day.day) < (self.date_of_birth.month, self.date_of_birth.day))


class PersonCategory(models.Model):
    """A category of need a person is in, from a date, on some source's word."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="categories")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    detail = models.CharField(
        _("detail"),
        max_length=200,
        blank=True,
        help_text=_("e.g. type of disability, kind of risk, living alone"),
    )
    start_date = models.DateField(_("since"))
    end_date = models.DateField(_("until"), null=True, blank=True)
    source = models.CharField(
        _("source"), max_length=200, help_text=_("Who said so: self-declaration, a decision...")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["person", "category__position"]
        verbose_name = _("category of a person")
        verbose_name_plural = _("categories of people")

    def __str__(self):
        return f"{self.category} ({self.detail})" if self.detail else str(self.category)

    @property
    def current(self) -> bool:
        return self.end_date is None


class Assessment(models.Model):
    class Risk(models.TextChoices):
        LOW = "low", _("low")
        MEDIUM = "medium", _("medium")
        HIGH = "high", _("high")
        CRITICAL = "critical", _("critical")

    # The domains the NJVRN assesses; each gets a level 0 (no need) to 3 (severe).
    DOMAINS = [
        ("income", _("income")),
        ("housing", _("housing")),
        ("health", _("health")),
        ("education", _("education")),
        ("employment", _("employment")),
        ("care", _("care")),
        ("protection", _("protection")),
        ("documents", _("documents")),
    ]
    LEVELS = [(0, _("no need")), (1, _("some need")), (2, _("serious need")), (3, _("severe need"))]

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="assessments")
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="assessments"
    )
    date = models.DateField(_("date"))
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    needs = models.JSONField(_("needs by domain"), default=dict)
    risk = models.CharField(_("risk level"), max_length=10, choices=Risk.choices)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["person", "-date", "-pk"]
        verbose_name = _("needs assessment")
        verbose_name_plural = _("needs assessments")

    def __str__(self):
        return f"{self.person} {self.date}"

    def need_rows(self):
        levels = dict(self.LEVELS)
        return [(label, levels.get(self.needs.get(code, 0))) for code, label in self.DOMAINS]


class DuplicateCheck(models.Model):
    """A possible duplicate its finder may not see, sent to someone who may.

    A social administrator registering a person whose national ID (or name
    and date of birth) matches a record outside their unit is not told who or
    where: the NJVRN and the director of the municipality find the request
    here, compare, and answer the administrator themselves.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    asked_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-asked_at", "-pk"]
        verbose_name = _("duplicate check")
        verbose_name_plural = _("duplicate checks")

    def __str__(self):
        return f"{_('duplicate check')} {self.pk}"


class ImportBatch(models.Model):
    """An uploaded list waiting for review. Its rows are personal data: they are
    erased once the import is confirmed or abandoned, and after EXPIRE_AFTER at
    the latest (see imports.py and registry/tasks.py).

    The file is read, and a confirmed list written, by a background task; the
    status says where it is, `error` why it failed."""

    class Status(models.TextChoices):
        READING = "reading", _("being read")
        READY = "ready", _("ready for review")
        CONFIRMING = "confirming", _("being registered")
        DONE = "done", _("registered")
        FAILED = "failed", _("failed")
        EXPIRED = "expired", _("expired")

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(max_length=200)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.READY)
    error = models.TextField(blank=True)
    # The uploaded bytes, only until the background reader has turned them into rows.
    upload = models.BinaryField(null=True, blank=True, editable=False)
    encoding = models.CharField(max_length=20, default="utf-8")
    created_count = models.PositiveIntegerField(null=True, blank=True)
    headers = models.JSONField(default=list)
    rows = models.JSONField(default=list)
    mapping = models.JSONField(default=dict)
    category_code = models.CharField(max_length=40, blank=True)
    category_source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["created_at"], name="importbatch_created_idx")]

    def __str__(self):
        return f"{self.file_name} ({len(self.rows)} rows)"
