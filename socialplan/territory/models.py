from django.db import models
from django.utils.translation import gettext_lazy as _


class Municipality(models.Model):
    """One of Albania's 61 municipalities; every domain row hangs from one."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    # What the statistics call the urban units taken together ("Qyteti Durrës").
    urban_area_name = models.CharField(_("name of the urban area"), max_length=120, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")

    def __str__(self):
        return self.name


class AdministrativeUnit(models.Model):
    class Kind(models.TextChoices):
        URBAN = "urban", _("urban")
        RURAL = "rural", _("rural")

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="units")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    number = models.PositiveSmallIntegerField(_("number"), null=True, blank=True)
    # Other spellings the documents use ("Manza" for Manëz), to match imports.
    aliases = models.JSONField(_("other spellings"), default=list, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["municipality", "position"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="unit_code_unique"),
        ]
        verbose_name = _("administrative unit")
        verbose_name_plural = _("administrative units")

    def __str__(self):
        return self.name


class Source(models.TextChoices):
    CENSUS = "census", _("Census")
    CIVIL_REGISTER = "civil_register", _("Civil register")


class PopulationFigure(models.Model):
    """A population or household count as a table or the text printed it."""

    class Measure(models.TextChoices):
        POPULATION = "population", _("population")
        FAMILIES = "families", _("families")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="population_figures"
    )
    # area: "municipality", "urban_area" or the code of a unit (kept as text
    # because the tables also print groupings that are no single unit).
    area = models.CharField(_("area"), max_length=40)
    unit = models.ForeignKey(
        AdministrativeUnit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    measure = models.CharField(_("measure"), max_length=12, choices=Measure.choices)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    age_group = models.CharField(_("age group"), max_length=10, blank=True)
    value = models.PositiveIntegerField(_("value"))
    printed = models.CharField(_("as printed"), max_length=200)
    table = models.CharField(_("table"), max_length=20, blank=True)
    line = models.PositiveIntegerField(_("line in the source"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["municipality", "position"]
        verbose_name = _("population figure")
        verbose_name_plural = _("population figures")

    def __str__(self):
        return (
            f"{self.area} {self.measure} {self.source} {self.year} {self.age_group}: {self.value}"
        )

    @property
    def key(self):
        return (self.area, self.measure, self.source, self.year, self.age_group)

    @property
    def from_text(self) -> bool:
        return not self.table


class PopulationChange(models.Model):
    """A percentage change the document prints; checked against the figures."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="population_changes"
    )
    area = models.CharField(_("area"), max_length=40)
    measure = models.CharField(_("measure"), max_length=12, choices=PopulationFigure.Measure)
    age_group = models.CharField(_("age group"), max_length=10, blank=True)
    from_source = models.CharField(max_length=20, choices=Source.choices)
    from_year = models.PositiveSmallIntegerField()
    to_source = models.CharField(max_length=20, choices=Source.choices)
    to_year = models.PositiveSmallIntegerField()
    percent = models.DecimalField(_("printed change (%)"), max_digits=7, decimal_places=2)
    printed = models.CharField(_("as printed"), max_length=200)
    table = models.CharField(_("table"), max_length=20, blank=True)
    line = models.PositiveIntegerField(_("line in the source"))
    note = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["municipality", "position"]

    def __str__(self):
        return f"{self.area} {self.measure}: {self.printed}"
