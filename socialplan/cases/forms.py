from django import forms
from django.utils.translation import gettext_lazy as _

from socialplan.directory.models import Organisation, Service
from socialplan.registry.forms import DateInput

from .models import Case, CaseConference, Referral


class OpenCaseForm(forms.ModelForm):
    class Meta:
        model = Case
        fields = ["summary", "risk", "priority"]
        widgets = {"summary": forms.Textarea(attrs={"rows": 3})}


class MoveForm(forms.Form):
    to = forms.ChoiceField(label=_("Next step"))
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Case._meta.get_field("status").choices)
        self.fields["to"].choices = [(s, labels[s]) for s in case.allowed_next()]
        self.fields["version"].initial = case.version


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("Why reopen"), widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput)


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}))


class ConferenceForm(forms.ModelForm):
    class Meta:
        model = CaseConference
        fields = ["mechanism", "date", "participants", "decisions", "next_steps"]
        widgets = {
            "date": DateInput,
            "participants": forms.Textarea(attrs={"rows": 2}),
            "decisions": forms.Textarea(attrs={"rows": 3}),
            "next_steps": forms.Textarea(attrs={"rows": 2}),
        }


class ConsentForm(forms.Form):
    recipient = forms.ModelChoiceField(label=_("Shared with"), queryset=Organisation.objects.none())
    purpose = forms.CharField(label=_("For what purpose"), max_length=300)
    given_on = forms.DateField(label=_("Given on"), widget=DateInput)

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipient"].queryset = Organisation.objects.filter(municipality=municipality)


class ReferForm(forms.Form):
    service = forms.ModelChoiceField(label=_("Service"), queryset=Service.objects.none())
    purpose = forms.CharField(
        label=_("What the person needs from the service"), widget=forms.Textarea(attrs={"rows": 3})
    )
    consent = forms.ModelChoiceField(
        label=_("Consent"), queryset=None, required=False, empty_label=_("No consent recorded")
    )
    override_reason = forms.CharField(
        label=_("Reason to refer without consent (only roles allowed to override)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = (
            Service.objects.filter(municipality=case.municipality)
            .exclude(status=Service.Status.CLOSED)
            .select_related("organisation")
        )
        self.fields["consent"].queryset = case.consents.filter(
            withdrawn_on__isnull=True
        ).select_related("recipient")


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Referral.Outcome.choices)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
