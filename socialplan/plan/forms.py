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


class ImportForm(forms.Form):
    """Upload an action plan workbook as a new plan of one municipality."""

    file = forms.FileField(
        label=_("The action plan (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
        help_text=_(
            "One row per activity: objective or measure, activity, indicator, start, end, "
            "budget and funding source, lead and contributing institution. Priorities, "
            "objectives and measures as heading rows (“Prioriteti 1: …”) or in columns."
        ),
    )
    municipality = forms.ModelChoiceField(label=_("Municipality"), queryset=None)
    slug = forms.RegexField(
        label=_("Address of the new plan"),
        regex=r"^[a-z0-9-]+$",
        max_length=60,
        help_text=_("Lower-case letters, digits and hyphens, e.g. elbasan-2025-2028."),
        error_messages={"invalid": _("Use lower-case letters, digits and hyphens only.")},
    )
    title = forms.CharField(label=_("Title of the plan"), max_length=300)

    # Paths under /plans/ that are pages, not plans.
    RESERVED = {"import"}

    def __init__(self, *args, municipalities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = municipalities
        if len(municipalities) == 1:
            self.fields["municipality"].initial = municipalities[0].pk

    def clean_slug(self):
        from .models import Plan

        slug = self.cleaned_data["slug"]
        if slug in self.RESERVED or Plan.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("A plan with this address exists already."))
        return slug
