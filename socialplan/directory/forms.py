from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from socialplan.territory.models import AdministrativeUnit, Municipality

from .models import Category, Organisation, Service, ServiceType


class PlainSelect(forms.Select):
    """A <select> written directly, not through a template per option.

    Django renders each option with the form template engine; for the
    country's 370-odd units that is most of the directory page's time.
    """

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        chosen = {"" if v is None else str(v) for v in self.format_value(value)}
        options = "".join(
            f'<option value="{escape(v)}"{" selected" if str(v) in chosen else ""}>'
            f"{escape(label)}</option>"
            for v, label in ((str(key), label) for key, label in self.choices)
        )
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(attrs),
            mark_safe(options),  # each value and label escaped above
        )


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, unit):
        # Units of different municipalities share names ("Njësia 1"): say whose.
        return f"{unit.name} · {unit.municipality.name}"


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Words"), required=False, max_length=100)
    municipality = forms.ModelChoiceField(
        label=_("Municipality"),
        queryset=Municipality.objects.all(),
        required=False,
        to_field_name="code",
        empty_label=_("All municipalities"),
        widget=PlainSelect,
    )
    category = forms.ModelChoiceField(
        label=_("Who it is for"),
        queryset=Category.objects.all(),
        required=False,
        to_field_name="code",
        empty_label=_("Everyone"),
        widget=PlainSelect,
    )
    unit = UnitChoiceField(
        label=_("Where"),
        queryset=AdministrativeUnit.objects.select_related("municipality"),
        required=False,
        empty_label=_("Anywhere"),
        widget=PlainSelect,
    )
    type = forms.ChoiceField(
        label=_("Kind of service"),
        choices=[("", _("Any kind")), *ServiceType.choices],
        required=False,
        widget=PlainSelect,
    )


STALE_MESSAGE = _(
    "Someone else saved this record after you opened it. Nothing was saved: "
    "reload the page to see their changes, then make yours again."
)


class VersionedForm(forms.ModelForm):
    """Refuses a form posted from a page older than the record (a stale form)."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        # A page-level error: the hidden field has no place to show its own.
        if self.instance.pk and cleaned.get("version") != self.instance.version:
            raise forms.ValidationError(STALE_MESSAGE, code="stale")
        return cleaned


class ServiceForm(VersionedForm):
    class Meta:
        model = Service
        fields = [
            "name",
            "type",
            "description",
            "categories",
            "units",
            "age_min",
            "age_max",
            "capacity",
            "capacity_per",
            "beneficiaries",
            "beneficiaries_year",
            "women_percent",
            "roma_percent",
            "funding",
            "status",
            "how_to_apply",
            "hours",
            "phone",
            "email",
            "address",
            "confidential",
            "public_contact",
        ]
        widgets = {
            "categories": forms.CheckboxSelectMultiple,
            "units": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 4}),
            "how_to_apply": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = municipality.units.all()

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("age_min"), cleaned.get("age_max")
        if low is not None and high is not None and low > high:
            self.add_error("age_max", _("The maximum age is lower than the minimum age."))
        if cleaned.get("confidential") and not cleaned.get("public_contact"):
            self.add_error(
                "public_contact",
                _("A confidential service needs a public contact point instead of its address."),
            )
        return cleaned


class OrganisationForm(VersionedForm):
    class Meta:
        model = Organisation
        fields = ["name", "kind", "funding", "units", "description", "email", "phone", "website"]
        # Django 6's default, adopted now: a web address typed without a scheme is https.
        field_classes = {"website": lambda **kw: forms.URLField(assume_scheme="https", **kw)}
        widgets = {
            "units": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = self.instance.municipality.units.all()
