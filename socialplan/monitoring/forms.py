from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .evidence_files import Refused, check_evidence
from .models import ProgressReport

# What evidence may be: documents and photos, nothing executable. The first
# bytes must agree with the name; then evidence_files opens the file with its
# real parser.
EVIDENCE_TYPES = {
    ".pdf": b"%PDF",
    ".png": b"\x89PNG",
    ".jpg": b"\xff\xd8\xff",
    ".jpeg": b"\xff\xd8\xff",
    ".docx": b"PK\x03\x04",
    ".xlsx": b"PK\x03\x04",
}


class ProgressForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ProgressReport.Status.choices)
    narrative = forms.CharField(
        label=_("What was done"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, activity, **kwargs):
        super().__init__(*args, **kwargs)
        self.targets = [t for t in activity.targets.all() if t.parsed]
        self.lines = [b for b in activity.budget_lines.all()]
        for target in self.targets:
            self.fields[f"target_{target.pk}"] = forms.DecimalField(
                label=f"{target.text} ({_('target')}: {target.value.normalize()})",
                required=False,
                min_value=0,
                max_digits=14,
                decimal_places=2,
            )
        for line in self.lines:
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                label=f"{_('Spent from')}: {line.printed or line.get_source_display()}",
                required=False,
                min_value=0,
            )

    def actuals(self) -> dict:
        return {t: self.cleaned_data[f"target_{t.pk}"] for t in self.targets}

    def spending(self) -> dict:
        return {b: self.cleaned_data[f"line_{b.pk}"] for b in self.lines}


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("Evidence file (PDF, image, Word or Excel; at most 10 MB)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_EVIDENCE_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        name = upload.name.lower()
        suffix = name[name.rfind(".") :] if "." in name else ""
        magic = EVIDENCE_TYPES.get(suffix)
        head = upload.read(8)
        upload.seek(0)
        # The name and the content must agree: a renamed program is refused.
        if magic is None or not head.startswith(magic):
            raise forms.ValidationError(
                _("Only PDF, PNG, JPEG, Word (.docx) or Excel (.xlsx) files are accepted.")
            )
        try:
            # What is kept: the file itself, or an image re-encoded to its pixels only.
            return check_evidence(upload, suffix)
        except Refused as exc:
            raise forms.ValidationError(str(exc)) from exc
