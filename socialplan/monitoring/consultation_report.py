"""Plain data about consultations: who took part, and what became of the recommendations.

The pages and the annual report lay these out. In public, a group of fewer
than 5 people, or a group named after a special category, shows no number,
and then neither does the total (it would let the hidden number be
recomputed).
"""

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Prefetch

from socialplan import disclosure
from socialplan.directory.models import Category

from .models import Consultation, Recommendation

SMALL_GROUP = disclosure.THRESHOLD


@dataclass
class ParticipantRow:
    group: str
    count: int
    category: Category | None
    hidden: bool

    @property
    def shown(self) -> str:
        if not self.hidden:
            return str(self.count)
        return "<5" if self.count < SMALL_GROUP else "—"


@dataclass
class Participants:
    rows: list[ParticipantRow]
    total: int
    public: bool

    @property
    def total_hidden(self) -> bool:
        return any(row.hidden for row in self.rows)

    @property
    def vulnerable_groups(self) -> list[Category]:
        """The categories in need that had a group of their own at the meeting."""
        return [row.category for row in self.rows if row.category is not None]


def _category_index() -> dict[str, Category]:
    index = {}
    for category in Category.objects.all():
        for name in (category.code, category.name, category.name_en):
            if name:
                index[name.strip().casefold()] = category
    return index


def participants_of(consultation: Consultation, *, public: bool, categories=None) -> Participants:
    categories = _category_index() if categories is None else categories
    rows = []
    for group, count in consultation.participants.items():
        count = int(count)
        category = categories.get(group.strip().casefold())
        hidden = public and (count < SMALL_GROUP or bool(category and category.special))
        rows.append(ParticipantRow(group, count, category, hidden))
    return Participants(rows, sum(row.count for row in rows), public)


def consultations_with_participants(queryset, *, public: bool) -> list[Consultation]:
    """Each consultation of `queryset` with `.people` (a Participants); one Category query."""
    categories = _category_index()
    consultations = list(queryset)
    for consultation in consultations:
        consultation.people = participants_of(consultation, public=public, categories=categories)
    return consultations


@dataclass
class ConsultationYear:
    """For the annual report: the year's meetings and what became of their recommendations."""

    year: int
    consultations: list[Consultation]
    by_decision: Counter = field(default_factory=Counter)

    @property
    def recommendation_count(self) -> int:
        return sum(self.by_decision.values())

    @property
    def participant_total(self) -> int:
        return sum(c.people.total for c in self.consultations)

    def decisions(self) -> list[tuple[str, str, int]]:
        """(code, label, count) for every decision, pending last."""
        return [
            (code, label, self.by_decision.get(code, 0))
            for code, label in Recommendation.Decision.choices
            if code != Recommendation.Decision.PENDING
        ] + [
            (
                Recommendation.Decision.PENDING,
                Recommendation.Decision.PENDING.label,
                self.by_decision.get(Recommendation.Decision.PENDING, 0),
            )
        ]


def consultations_in_year(plan, year: int, *, public: bool = True) -> ConsultationYear:
    queryset = (
        plan.consultations.filter(date__year=year)
        .select_related("unit")
        .prefetch_related(
            Prefetch(
                "recommendations",
                queryset=Recommendation.objects.select_related(
                    "activity__measure__objective__priority__plan"
                ),
            )
        )
        .order_by("date", "pk")
    )
    consultations = consultations_with_participants(queryset, public=public)
    by_decision = Counter(r.decision for c in consultations for r in c.recommendations.all())
    return ConsultationYear(year, consultations, by_decision)
