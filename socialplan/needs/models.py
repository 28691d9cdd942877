"""Figures of people in need, as the diagnosis and the statistics annex print them."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from socialplan.directory.models import Category
from socialplan.territory.models import AdministrativeUnit, Municipality


class StatisticsTable(models.Model):
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="statistics_tables"
    )
    table = models.CharField(_("table"), max_length=20)
    title = models.TextField(_("title as printed"))
    line = models.PositiveIntegerField(_("line in the source"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["municipality", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "table"], name="statistics_table_unique"
            )
        ]

    def __str__(self):
        return f"{self.table}: {self.title}"


class NeedFigure(models.Model):
    class Measure(models.TextChoices):
        NEED = "need", _("in need")
        SERVED = "served", _("receiving services")
        CONTEXT = "context", _("context")

    class Sex(models.TextChoices):
        FEMALE = "female", _("female")
        MALE = "male", _("male")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="need_figures"
    )
    position = models.PositiveIntegerField(default=0)
    table = models.CharField(_("table"), max_length=20, blank=True)
    line = models.PositiveIntegerField(_("line in the source"))
    label = models.TextField(_("label as printed"))
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="need_figures"
    )
    measure = models.CharField(_("measure"), max_length=10, choices=Measure.choices)
    unit_of_count = models.CharField(_("counted in"), max_length=20)
    # "municipality", "urban_area" or a unit code; `unit` is set for a unit.
    area = models.CharField(_("area"), max_length=40)
    unit = models.ForeignKey(
        AdministrativeUnit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    period = models.CharField(_("period as printed"), max_length=100, blank=True)
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices, blank=True)
    age_group = models.CharField(_("age group"), max_length=40, blank=True)
    dimensions = models.JSONField(_("other breakdowns"), default=dict, blank=True)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    printed = models.CharField(_("as printed"), max_length=300)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["municipality", "position"]
        verbose_name = _("needs figure")
        verbose_name_plural = _("needs figures")
        indexes = [
            models.Index(fields=["municipality", "category", "measure"], name="need_category_idx")
        ]

    def __str__(self):
        return f"{self.table or 'text'} {self.label}: {self.printed}"

    @property
    def is_total_row(self) -> bool:
        return self.label.strip().lower().startswith("total")
