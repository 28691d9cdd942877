from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent


class AuditSearchForm(forms.Form):
    username = forms.CharField(label=_("Staff username"), required=False, max_length=150)
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", "—"), *AuditEvent.Action.choices]
    )
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=60)
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=60)
    # "Who saw this person?": every page, list and export that showed them.
    person = forms.IntegerField(label=_("Person id"), required=False, min_value=1)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
