from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from socialplan.registry.forms import DateInput

from .models import Event, Exercise, Response


class ActivateForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Event.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    units = forms.ModelMultipleChoiceField(
        label=_("Units affected"), queryset=None, widget=forms.CheckboxSelectMultiple
    )
    coordinator = forms.ModelChoiceField(label=_("Coordinator"), queryset=None)

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = municipality.units.all()
        self.fields["coordinator"].queryset = (
            get_user_model()
            .objects.filter(
                memberships__municipality=municipality,
                memberships__role__in=["director", "njvrn", "child_protection", "dv_coordinator"],
            )
            .distinct()
        )


class ResponseForm(forms.Form):
    person = forms.IntegerField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("What was done"), choices=Response.Kind.choices)
    needs_found = forms.CharField(label=_("Needs found"), required=False, max_length=500)


class CloseForm(forms.Form):
    what_happened = forms.CharField(
        label=_("What happened"), widget=forms.Textarea(attrs={"rows": 4})
    )
    gaps = forms.CharField(
        label=_("Gaps found"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ExerciseForm(forms.ModelForm):
    participants_text = forms.CharField(
        label=_("Participants by institution"),
        help_text=_("One line per institution: name = number, e.g. “Bashkia Durrës = 12”."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    class Meta:
        model = Exercise
        fields = ["kind", "date", "title"]
        widgets = {"date": DateInput}

    def clean_participants_text(self):
        participants = {}
        for number, line in enumerate(self.cleaned_data["participants_text"].splitlines(), start=1):
            if not line.strip():
                continue
            name, sep, count = line.rpartition("=")
            if not sep or not name.strip() or not count.strip().isdigit():
                raise forms.ValidationError(
                    _("Line %(n)s: write “institution = number”.") % {"n": number}
                )
            participants[name.strip()] = int(count.strip())
        if not participants:
            raise forms.ValidationError(_("Give at least one institution."))
        return participants
