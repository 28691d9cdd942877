"""The directory of social services: organisations, services, categories in need."""

import unicodedata

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from socialplan.territory.models import AdministrativeUnit, Municipality


def fold(text: str) -> str:
    """Lower case without diacritics, for search (ë -> e, ç -> c)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class Category(models.Model):
    """A category of people in need (a national list, shared by municipalities).

    `special` marks categories whose mere mention reveals special-category
    personal data (health, ethnicity, sexual orientation, violence, substance
    use): they are narrower in the register and suppressed in public tables.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("name in English"), max_length=120)
    special = models.BooleanField(_("special category of personal data"), default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        verbose_name = _("category in need")
        verbose_name_plural = _("categories in need")

    def __str__(self):
        return self.name

    def label(self, language: str) -> str:
        return self.name_en if language == "en" else self.name


class ServiceType(models.TextChoices):
    PRE_SOCIAL = "pre_social", _("pre-social")
    COMMUNITY = "community", _("community")
    DAY = "day", _("day")
    SPECIALISED = "specialised", _("specialised")
    ONLINE = "online", _("online")
    EMERGENCY = "emergency", _("emergency")
    MOBILE = "mobile", _("mobile")
    RESIDENTIAL = "residential", _("residential")
    IN_FAMILY = "in_family", _("in the family")


class Funding(models.TextChoices):
    MUNICIPAL = "municipal", _("municipal budget")
    NGO_DONOR = "ngo_donor", _("NGO or donor")
    COFINANCED = "cofinanced", _("co-financed")
    CENTRAL_GOVERNMENT = "central_government", _("central government")
    UNKNOWN = "unknown", _("not stated")


class Organisation(models.Model):
    class Kind(models.TextChoices):
        PUBLIC = "public", _("public")
        NON_PUBLIC = "non_public", _("non-public")
        MIXED = "mixed", _("mixed")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="organisations"
    )
    code = models.SlugField(_("code"), max_length=80)
    name = models.CharField(_("name"), max_length=300)
    aliases = models.JSONField(_("other spellings"), default=list, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    funding = models.CharField(_("funding"), max_length=20, choices=Funding.choices)
    units = models.ManyToManyField(
        AdministrativeUnit, blank=True, related_name="organisations", verbose_name=_("units")
    )
    description = models.TextField(_("description"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    website = models.URLField(_("website"), blank=True)
    line = models.PositiveIntegerField(_("line in the source"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Bumped on every save: a form posted with an older version is refused.
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["municipality", "name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "code"], name="organisation_code_unique"
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("directory:organisation", args=[self.pk])


class Service(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        PLANNED = "planned", _("planned")
        CLOSED = "closed", _("closed")

    class Per(models.TextChoices):
        DAY = "day", _("a day")
        YEAR = "year", _("a year")
        AT_ONCE = "at_once", _("at once")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="services"
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="services",
        verbose_name=_("organisation"),
    )
    code = models.SlugField(_("code"), max_length=100)
    name = models.CharField(_("name"), max_length=300)
    type = models.CharField(_("service type"), max_length=20, choices=ServiceType.choices)
    description = models.TextField(_("description"), blank=True)
    categories = models.ManyToManyField(
        Category, blank=True, related_name="services", verbose_name=_("categories in need")
    )
    units = models.ManyToManyField(
        AdministrativeUnit, blank=True, related_name="services", verbose_name=_("units served")
    )
    age_min = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    age_max = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    age_printed = models.CharField(_("age range as printed"), max_length=100, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    capacity_per = models.CharField(
        _("capacity per"), max_length=10, choices=Per.choices, blank=True
    )
    capacity_printed = models.CharField(_("capacity as printed"), max_length=200, blank=True)
    capacity_line = models.PositiveIntegerField(null=True, blank=True)
    beneficiaries = models.PositiveIntegerField(_("beneficiaries a year"), null=True, blank=True)
    beneficiaries_year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    women_percent = models.DecimalField(
        _("women (%)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    roma_percent = models.DecimalField(
        _("Roma and Egyptian (%)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    beneficiaries_printed = models.CharField(
        _("beneficiaries as printed"), max_length=300, blank=True
    )
    beneficiaries_line = models.PositiveIntegerField(null=True, blank=True)
    funding = models.CharField(_("funding"), max_length=20, choices=Funding.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    how_to_apply = models.TextField(_("how to apply"), blank=True)
    hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    # A confidential service (a shelter, help for victims of violence) never
    # shows its address to the public: only the contact point below.
    confidential = models.BooleanField(_("confidential location"), default=False)
    public_contact = models.CharField(
        _("public contact point"),
        max_length=300,
        blank=True,
        help_text=_("What the public sees instead of the address of a confidential service."),
    )
    # Terms of an imported HSDS dataset that match none of our codes.
    extra_terms = models.JSONField(_("other taxonomy terms"), default=list, blank=True)
    line = models.PositiveIntegerField(_("line in the source"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Lower case, without diacritics: "femije" finds "fëmijë" on any database.
    search_text = models.TextField(editable=False, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["municipality", "organisation__name", "type", "name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="service_code_unique"),
            models.CheckConstraint(
                condition=Q(age_min__isnull=True)
                | Q(age_max__isnull=True)
                | Q(age_min__lte=models.F("age_max")),
                name="service_age_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(women_percent__isnull=True) | Q(women_percent__lte=100),
                name="service_women_percent_max_100",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        words = [self.name, self.description, self.organisation.name, *self.organisation.aliases]
        self.search_text = fold(" ".join(w for w in words if w))
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("directory:service", args=[self.pk])


class DeclaredCount(models.Model):
    """A count the document states about its providers and services (e.g. "21 ofrues")."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="declared_counts"
    )
    position = models.PositiveSmallIntegerField(default=0)
    key = models.CharField(max_length=40)
    service_type = models.CharField(max_length=20, choices=ServiceType.choices, blank=True)
    column = models.CharField(max_length=200, blank=True)
    value = models.IntegerField()
    printed = models.TextField(blank=True)
    line = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["municipality", "position"]

    def __str__(self):
        return f"{self.key}: {self.value}"


class CategoryDiagnosis(models.Model):
    """A row of the document's table of categories in need (Figure 13 in Durrës)."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="category_diagnoses"
    )
    position = models.PositiveSmallIntegerField(default=0)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT)
    label = models.CharField(max_length=200)
    services_printed = models.TextField(blank=True)
    providers_printed = models.TextField(blank=True)
    problems = models.TextField(blank=True)
    suggestions = models.TextField(blank=True)
    line = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["municipality", "position"]

    def __str__(self):
        return self.label


class UnitCoverage(models.Model):
    """What the document says of coverage in one area (Figure 10 in Durrës)."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="unit_coverages"
    )
    position = models.PositiveSmallIntegerField(default=0)
    area = models.CharField(max_length=40)
    label = models.CharField(max_length=200)
    services_offered = models.CharField(max_length=200, blank=True)
    coverage = models.CharField(max_length=200, blank=True)
    suggestion = models.TextField(blank=True)
    line = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["municipality", "position"]

    def __str__(self):
        return self.label
