from django import forms
from django.utils.translation import gettext_lazy as _

from socialplan.directory.models import Category

from .models import Assessment, Person, PersonCategory


class DateInput(forms.DateInput):
    input_type = "date"


class PersonSearchForm(forms.Form):
    # Sent by POST: names and ID numbers never go into a URL or a server log.
    name = forms.CharField(label=_("Name"), required=False, max_length=100)
    national_id = forms.CharField(label=_("National ID"), required=False, max_length=20)
    date_of_birth = forms.DateField(label=_("Date of birth"), required=False, widget=DateInput)

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(f) for f in ("name", "national_id", "date_of_birth")):
            raise forms.ValidationError(_("Give a name, a national ID or a date of birth."))
        return cleaned


class PersonForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    confirm_not_duplicate = forms.BooleanField(
        label=_("I checked the possible duplicates above: this is another person."), required=False
    )

    class Meta:
        model = Person
        fields = [
            "first_name",
            "fathers_name",
            "last_name",
            "sex",
            "date_of_birth",
            "national_id",
            "unit",
            "address",
            "phone",
            "email",
            "relationship",
        ]
        widgets = {"date_of_birth": DateInput}

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            del self.fields["confirm_not_duplicate"]

    def clean_national_id(self):
        value = (self.cleaned_data.get("national_id") or "").strip().upper()
        return value or None


class PersonCategoryForm(forms.ModelForm):
    class Meta:
        model = PersonCategory
        fields = ["category", "detail", "start_date", "source"]
        widgets = {"start_date": DateInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.all()


class AssessmentForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput)
    risk = forms.ChoiceField(label=_("Risk level"), choices=Assessment.Risk.choices)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, label in Assessment.DOMAINS:
            self.fields[f"need_{code}"] = forms.TypedChoiceField(
                label=label, choices=Assessment.LEVELS, coerce=int, initial=0
            )

    def needs(self) -> dict:
        return {code: self.cleaned_data[f"need_{code}"] for code, _label in Assessment.DOMAINS}


class MergeForm(forms.Form):
    duplicate = forms.ModelChoiceField(
        label=_("Merge this record into the one shown"), queryset=Person.objects.none()
    )
    confirm = forms.BooleanField(label=_("I checked: these two records are the same person."))

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["duplicate"].queryset = candidates
