from django import forms
from django.utils.translation import gettext_lazy as _


class RevisionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the revision"), widget=forms.Textarea(attrs={"rows": 4})
    )
    council_decision = forms.CharField(
        label=_("Council decision"),
        max_length=200,
        help_text=_("The decision that approves the revision, e.g. “VKB nr. 45, datë 12.03.2027”."),
    )
