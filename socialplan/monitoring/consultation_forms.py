"""Forms for consultations and their recommendations."""

from django import forms
from django.utils.translation import gettext_lazy as _

from socialplan.plan.models import Activity
from socialplan.plan.revisions import versions_of
from socialplan.registry.forms import DateInput

from .consultation_actions import decision_state
from .models import Consultation, Recommendation


def parse_participants(text: str) -> dict[str, int]:
    """`group = number` lines into {group: number}; a bad line is refused with its number."""
    participants: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, count = line.rpartition("=")
        name, count = name.strip(), count.strip()
        if not sep or not name or not count.isdigit() or int(count) == 0:
            raise forms.ValidationError(
                _("Line %(n)s: write “group = number”, with a number above 0.") % {"n": number}
            )
        if name.casefold() in (g.casefold() for g in participants):
            raise forms.ValidationError(
                _("Line %(n)s: the group “%(group)s” is given twice.")
                % {"n": number, "group": name}
            )
        participants[name] = int(count)
    if not participants:
        raise forms.ValidationError(_("Give at least one group."))
    return participants


class ConsultationForm(forms.ModelForm):
    participants_text = forms.CharField(
        label=_("Participants by group"),
        help_text=_(
            "One line per group: group = number, e.g. “persona me aftësi të kufizuara = 6”. "
            "Name vulnerable groups as the categories in need are named, so the page shows "
            "them as represented."
        ),
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    class Meta:
        model = Consultation
        fields = ["date", "kind", "unit", "notes"]
        widgets = {"date": DateInput, "notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = municipality.units.all()
        self.fields["unit"].empty_label = _("The whole municipality")

    def clean_participants_text(self):
        return parse_participants(self.cleaned_data["participants_text"])


class ActivityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, activity):
        plan = activity.measure.objective.priority.plan
        label = f"{activity.display_code} {activity.title}"
        if plan.revision_number:
            label = _("Version %(n)s") % {"n": plan.revision_number} + f" · {label}"
        return label if len(label) <= 120 else label[:119] + "…"


def _activity_field():
    return ActivityChoiceField(
        label=_("Plan element it changed"),
        queryset=Activity.objects.none(),
        required=False,
        empty_label=_("None"),
    )


def plan_activities(plan):
    """The activities of the plan and of its other versions (a revision may carry the change)."""
    return Activity.objects.filter(
        measure__objective__priority__plan__in=versions_of(plan)
    ).select_related("measure__objective__priority__plan")


class RecommendationForm(forms.Form):
    text = forms.CharField(label=_("Recommendation"), widget=forms.Textarea(attrs={"rows": 3}))
    activity = _activity_field()

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activity"].queryset = plan_activities(plan)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (value, label)
            for value, label in Recommendation.Decision.choices
            if value != Recommendation.Decision.PENDING
        ],
    )
    justification = forms.CharField(
        label=_("Justification"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    activity = _activity_field()
    # What the page showed: a decision recorded by someone else meanwhile is not overwritten.
    state = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, recommendation, activities, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "decision": recommendation.decision
                if recommendation.decision != Recommendation.Decision.PENDING
                else None,
                "justification": recommendation.justification,
                "activity": recommendation.activity_id,
                "state": decision_state(recommendation),
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["activity"].queryset = activities

    def clean(self):
        data = super().clean()
        decision = data.get("decision")
        Decision = Recommendation.Decision
        if decision in (Decision.PARTLY, Decision.REJECTED) and not data.get("justification"):
            self.add_error(
                "justification", _("Say why the recommendation was not accepted in full.")
            )
        if decision == Decision.REJECTED and data.get("activity"):
            self.add_error("activity", _("A rejected recommendation changed no plan element."))
        return data
