"""Lists of the people most at risk in the units an emergency affects, built from the register.

Each configured criterion (ListCriterion) names people; a person on several
criteria appears once, with every reason. Queries are a fixed number per
criterion, whatever the number of people.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from socialplan.cases.models import Referral
from socialplan.registry.models import Assessment, Person, PersonCategory

from .models import ListCriterion

# Assessment levels from which a need matters in an emergency (serious, severe).
EMERGENCY_LEVEL = 2


@dataclass
class ListRow:
    person: Person
    reasons: list[str] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)  # assessed needs at a serious level or more

    @property
    def address(self) -> str:
        person = self.person
        return person.address or (person.household.address if person.household_id else "")


def _words(text: str) -> list[str]:
    return [w.strip() for w in text.split(",") if w.strip()]


def _matching_ids(criterion: ListCriterion, people) -> set[int]:
    today = timezone.localdate()
    if criterion.kind == ListCriterion.Kind.CATEGORY:
        rows = PersonCategory.objects.filter(
            person__in=people, category=criterion.category, end_date__isnull=True
        )
        words = _words(criterion.detail_words)
        if words:
            match = Q()
            for word in words:
                match |= Q(detail__icontains=word)
            rows = rows.filter(match)
        return set(rows.values_list("person_id", flat=True))
    if criterion.kind == ListCriterion.Kind.ASSESSED_NEED:
        latest = {}
        for person_id, needs in (
            Assessment.objects.filter(person__in=people)
            .order_by("person_id", "date", "pk")
            .values_list("person_id", "needs")
        ):
            latest[person_id] = needs  # ordered: the last one wins
        level = criterion.min_level or EMERGENCY_LEVEL
        return {
            pid for pid, needs in latest.items() if (needs or {}).get(criterion.domain, 0) >= level
        }
    if criterion.kind == ListCriterion.Kind.INFANT_IN_HOUSEHOLD:
        born_after = today - datetime.timedelta(days=365 * (criterion.age_under or 1))
        infants = Person.objects.filter(
            pk__in=people.values("pk"), date_of_birth__gt=born_after
        ).values_list("pk", "household_id")
        households = {h for _pk, h in infants if h}
        heads = set(
            Person.objects.filter(
                household_id__in=households, relationship=Person.Relationship.HEAD
            ).values_list("pk", flat=True)
        )
        # A household without a recorded head is listed through the infant.
        headed = set(Person.objects.filter(pk__in=heads).values_list("household_id", flat=True))
        return heads | {pk for pk, h in infants if not h or h not in headed}
    if criterion.kind == ListCriterion.Kind.IN_SERVICE_TYPE:
        return set(
            Referral.objects.filter(
                case__person__in=people,
                service__type=criterion.service_type,
                state=Referral.State.ACCEPTED,
            ).values_list("case__person_id", flat=True)
        )
    return set()


def build_list(event, unit) -> list[ListRow]:
    """The people of one affected unit who meet any active criterion of the municipality."""
    return build_lists(event, [unit])[unit.pk]


def build_lists(event, units) -> dict[int, list[ListRow]]:
    """The lists of several units at once, in the same queries as one (unit id -> rows)."""
    people = Person.objects.filter(unit__in=units, merged_into__isnull=True)
    criteria = ListCriterion.objects.filter(
        municipality=event.municipality, active=True
    ).select_related("category")
    reasons: dict[int, list[str]] = {}
    for criterion in criteria:
        for person_id in _matching_ids(criterion, people):
            reasons.setdefault(person_id, []).append(criterion.label)
    rows = {
        p.pk: ListRow(p, reasons[p.pk])
        for p in Person.objects.filter(pk__in=reasons).select_related("unit", "household")
    }
    domains = dict(Assessment.DOMAINS)
    for person_id, needs in (
        Assessment.objects.filter(person_id__in=rows)
        .order_by("person_id", "date", "pk")
        .values_list("person_id", "needs")
    ):
        rows[person_id].needs = [
            str(domains[d])
            for d, level in (needs or {}).items()
            if d in domains and level >= EMERGENCY_LEVEL
        ]
    lists: dict[int, list[ListRow]] = {unit.pk: [] for unit in units}
    for row in sorted(
        rows.values(), key=lambda r: (r.person.last_name, r.person.first_name, r.person.pk)
    ):
        lists[row.person.unit_id].append(row)
    return lists


DEFAULT_CRITERIA = [
    {"code": "elderly_alone", "label": "Të moshuar që jetojnë vetëm", "kind": "category",
     "category": "elderly", "detail_words": "vetëm, vetem, alone"},
    {"code": "bedridden", "label": "Të shtrirë në shtrat ose para/tetraplegjikë",
     "kind": "category", "category": "adults_disability", "detail_words": "para, tetra, shtrat"},
    {"code": "bedridden_children", "label": "Fëmijë para/tetraplegjikë ose të shtrirë",
     "kind": "category", "category": "children_disability", "detail_words": "para, tetra, shtrat"},
    {"code": "medication", "label": "Kanë nevojë për mjekim ose kujdes shëndetësor të rregullt",
     "kind": "assessed_need", "domain": "health", "min_level": 2},
    {"code": "care", "label": "Kanë nevojë për kujdes të përditshëm", "kind": "assessed_need",
     "domain": "care", "min_level": 2},
    {"code": "infants", "label": "Familje me foshnje (nën 1 vjeç)", "kind": "infant",
     "age_under": 1},
    {"code": "residential", "label": "Në shërbim rezidencial", "kind": "service_type",
     "service_type": "residential"},
]  # fmt: skip


def ensure_default_criteria(municipality) -> None:
    """The criteria the issue names, as a starting point the municipality then edits."""
    from socialplan.directory.models import Category

    for position, row in enumerate(DEFAULT_CRITERIA):
        fields = dict(row)
        code = fields.pop("code")
        category = fields.pop("category", None)
        fields["category"] = Category.objects.filter(code=category).first() if category else None
        ListCriterion.objects.get_or_create(
            municipality=municipality, code=code, defaults={"position": position, **fields}
        )
